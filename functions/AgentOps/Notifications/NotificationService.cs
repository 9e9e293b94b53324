using System.Text.Json;

namespace AgentOps.Notifications;

/// <summary><c>read</c>/<c>read_at</c> are the calling person's; null for API keys (they have no read state).</summary>
public sealed record NotificationView(Guid Id, string Kind, string Severity, string Title, string? Body, JsonElement Data, string? EntityType,
    string? EntityId, DateTimeOffset CreatedAt, bool? Read, DateTimeOffset? ReadAt);

/// <summary>
/// The in-app channel's use cases: the organization's notifications, newest first, each with whether the calling
/// person has read it, and marking them read. Read marks are per person and are personal UI state, not a change to
/// the organization: they are not audited, and they need a person (API keys may list notifications but have no read state).
/// </summary>
public sealed class NotificationService(Db db)
{
    /// <summary>The unread count stops counting here (a badge shows "1000+").</summary>
    public const int UnreadCountCap = 1000;

    public Task<List<NotificationView>> PageAsync(Caller caller, bool? unread, string? kind, string? severity, Guid after, int take, CancellationToken ct)
    {
        if (unread is not null && caller.UserId is null)
            throw DomainError.Forbidden("user_required", "Read state belongs to a person; API keys cannot filter by unread.");
        return db.InOrgAsync(caller.OrgId, tx => tx.ListAsync("""
            SELECT n.id, n.kind, n.severity, n.title, n.body, n.data::text, n.entity_type, n.entity_id, n.created_at, r.read_at
            FROM notifications n LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = $3
            WHERE n.org_id = $1
              AND ($2::uuid IS NULL OR (n.created_at, n.id) < (SELECT c.created_at, c.id FROM notifications c WHERE c.id = $2 AND c.org_id = $1))
              AND ($4::boolean IS NULL OR (r.read_at IS NULL) = $4)
              AND ($5::text IS NULL OR n.kind = $5) AND ($6::text IS NULL OR n.severity = $6)
            ORDER BY n.created_at DESC, n.id DESC
            LIMIT $7
            """, r => new NotificationView(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), r.NullableString(4),
                JsonDocument.Parse(r.GetString(5)).RootElement.Clone(), r.NullableString(6), r.NullableString(7), r.Time(8),
                caller.UserId is null ? null : !r.IsDBNull(9), r.NullableTime(9)),
            ct, caller.OrgId, after == Guid.Empty ? null : after, caller.UserId, unread, kind, severity, take), ct);
    }

    public async Task<int> UnreadCountAsync(Caller caller, CancellationToken ct)
    {
        var userId = PersonOf(caller);
        return (int)await db.InOrgAsync(caller.OrgId, tx => tx.ScalarAsync<long>("""
            SELECT count(*) FROM (
              SELECT 1 FROM notifications n
              WHERE n.org_id = $1 AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_id = $2)
              LIMIT $3) unread
            """, ct, caller.OrgId, userId, UnreadCountCap), ct);
    }

    /// <summary>Idempotent: marking a read notification again changes nothing (the first read_at stays).</summary>
    public async Task MarkReadAsync(Caller caller, Guid id, CancellationToken ct)
    {
        var userId = PersonOf(caller);
        var found = await db.InOrgAsync(caller.OrgId, tx => tx.ScalarAsync<bool>("""
            WITH target AS (SELECT id FROM notifications WHERE id = $1 AND org_id = $2),
                 mark AS (INSERT INTO notification_reads (org_id, notification_id, user_id) SELECT $2, id, $3 FROM target ON CONFLICT DO NOTHING)
            SELECT EXISTS (SELECT 1 FROM target)
            """, ct, id, caller.OrgId, userId), ct);
        if (!found) throw DomainError.NotFound("notification");
    }

    /// <summary>Marks every notification that exists when the request runs; later ones arrive unread. Returns how many were marked.</summary>
    public Task<int> MarkAllReadAsync(Caller caller, CancellationToken ct)
    {
        var userId = PersonOf(caller);
        return db.InOrgAsync(caller.OrgId, tx => tx.ExecuteAsync("""
            INSERT INTO notification_reads (org_id, notification_id, user_id)
            SELECT n.org_id, n.id, $2 FROM notifications n
            WHERE n.org_id = $1 AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_id = $2)
            ON CONFLICT DO NOTHING
            """, ct, caller.OrgId, userId), ct);
    }

    /// <summary>The person calling. The routes that need one require UserSession; this is the belt to those braces.</summary>
    private static Guid PersonOf(Caller caller) =>
        caller.UserId ?? throw DomainError.Forbidden("user_required", "Read state belongs to a person; sign in instead of using an API key.");
}
