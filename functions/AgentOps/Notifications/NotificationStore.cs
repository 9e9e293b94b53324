using System.Text.Json;

namespace AgentOps.Notifications;

/// <summary><c>read</c>/<c>read_at</c> are the calling person's; null for API keys (they have no read state).</summary>
public sealed record NotificationView(Guid Id, string Kind, string Severity, string Title, string? Body, JsonElement Data, string? EntityType,
    string? EntityId, DateTimeOffset CreatedAt, bool? Read, DateTimeOffset? ReadAt);

/// <summary>
/// The SQL of the in-app channel as people read it: the organization's notifications with one person's read marks
/// (null: an API key, which has none). Runs in the caller's transaction and organization. (Notifier writes them.)
/// </summary>
public static class NotificationStore
{
    /// <summary>Newest first; the cursor is the last notification seen.</summary>
    public static Task<List<NotificationView>> PageAsync(Tx tx, Guid? userId, bool? unread, string? kind, string? severity, Guid after, int take,
        CancellationToken ct) =>
        tx.ListAsync("""
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
                userId is null ? null : !r.IsDBNull(9), r.NullableTime(9)),
            ct, tx.OrgId, after == Guid.Empty ? null : after, userId, unread, kind, severity, take);

    /// <summary>The person's unread notifications, counted up to <paramref name="cap"/>.</summary>
    public static Task<long> UnreadAsync(Tx tx, Guid userId, int cap, CancellationToken ct) =>
        tx.ScalarAsync<long>("""
            SELECT count(*) FROM (
              SELECT 1 FROM notifications n
              WHERE n.org_id = $1 AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_id = $2)
              LIMIT $3) unread
            """, ct, tx.OrgId, userId, cap);

    /// <summary>Marks the notification read for the person (the first read_at stays); false: no such notification.</summary>
    public static Task<bool> MarkReadAsync(Tx tx, Guid id, Guid userId, CancellationToken ct) =>
        tx.ScalarAsync<bool>("""
            WITH target AS (SELECT id FROM notifications WHERE id = $1 AND org_id = $2),
                 mark AS (INSERT INTO notification_reads (org_id, notification_id, user_id) SELECT $2, id, $3 FROM target ON CONFLICT DO NOTHING)
            SELECT EXISTS (SELECT 1 FROM target)
            """, ct, id, tx.OrgId, userId);

    /// <summary>Marks every notification there is now read for the person; returns how many it marked.</summary>
    public static Task<int> MarkAllReadAsync(Tx tx, Guid userId, CancellationToken ct) =>
        tx.ExecuteAsync("""
            INSERT INTO notification_reads (org_id, notification_id, user_id)
            SELECT n.org_id, n.id, $2 FROM notifications n
            WHERE n.org_id = $1 AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_id = $2)
            ON CONFLICT DO NOTHING
            """, ct, tx.OrgId, userId);
}
