using System.Text.Json;

namespace AgentOps.Notifications;

/// <summary>
/// The in-app channel: the organization's notifications, newest first, each with whether the calling person has read
/// it. Read marks are per person and are personal UI state, not a change to the organization: they are not audited.
/// Marking read therefore needs a person (<see cref="Permission.UserSession"/>): API keys may list notifications but
/// have no read state.
/// </summary>
public static class NotificationsApi
{
    /// <summary>unread-count stops counting here (a badge shows "1000+").</summary>
    public const int UnreadCountCap = 1000;
    public static readonly string[] Severities = ["info", "warning", "critical"];

    public static void MapNotificationsApi(this RouteGroupBuilder api)
    {
        var notifications = api.MapGroup("/notifications").WithTags("Notifications");
        notifications.MapGet("/", ListAsync).Requires(Permission.NotificationsRead).WithName("listNotifications").WithSummary("Notifications, newest first, with the caller's read state");
        notifications.MapGet("/unread-count", UnreadCountAsync).Requires(Permission.UserSession).WithName("countUnreadNotifications").WithSummary("How many the caller has not read (at most 1000)");
        notifications.MapPost("/{id:guid}/read", MarkReadAsync).Requires(Permission.UserSession).WithName("markNotificationRead").WithSummary("Mark one read, for the caller");
        notifications.MapPost("/read-all", MarkAllReadAsync).Requires(Permission.UserSession).WithName("markAllNotificationsRead").WithSummary("Mark every current notification read, for the caller");
    }

    /// <summary><c>read</c>/<c>read_at</c> are the calling person's; null for API keys (they have no read state).</summary>
    public sealed record NotificationView(Guid Id, string Kind, string Severity, string Title, string? Body, JsonElement Data, string? EntityType,
        string? EntityId, DateTimeOffset CreatedAt, bool? Read, DateTimeOffset? ReadAt);

    public sealed record UnreadCount(int Unread);
    public sealed record MarkedRead(int Marked);

    public static async Task<Ok<Page<NotificationView>>> ListAsync(Caller caller, Db db, bool? unread, string? kind, string? severity, int? limit,
        string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var v = new Validation();
        if (kind is { Length: 0 or > 100 }) v.Add("kind", "must be 1 to 100 characters.");
        if (severity is not null && !Severities.Contains(severity)) v.Add("severity", "must be info, warning or critical.");
        v.ThrowIfInvalid();
        if (unread is not null && caller.UserId is null)
            throw ApiProblem.Forbidden("user_required", "Read state belongs to a person; API keys cannot filter by unread.");
        var rows = await db.InOrgAsync(caller.OrgId, tx => tx.ListAsync("""
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
            ct, caller.OrgId, after == Guid.Empty ? null : after, caller.UserId, unread, kind, severity, take + 1), ct);
        return TypedResults.Ok(Paging.Of(rows, take, n => n.Id));
    }

    public static async Task<Ok<UnreadCount>> UnreadCountAsync(Caller caller, Db db, CancellationToken ct)
    {
        var userId = PersonOf(caller);
        var count = await db.InOrgAsync(caller.OrgId, tx => tx.ScalarAsync<long>("""
            SELECT count(*) FROM (
              SELECT 1 FROM notifications n
              WHERE n.org_id = $1 AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_id = $2)
              LIMIT $3) unread
            """, ct, caller.OrgId, userId, UnreadCountCap), ct);
        return TypedResults.Ok(new UnreadCount((int)count));
    }

    /// <summary>Idempotent: marking a read notification again changes nothing (the first read_at stays).</summary>
    public static async Task<NoContent> MarkReadAsync(Guid id, Caller caller, Db db, CancellationToken ct)
    {
        var userId = PersonOf(caller);
        var marked = await db.InOrgAsync(caller.OrgId, tx => tx.ScalarAsync<bool>("""
            WITH target AS (SELECT id FROM notifications WHERE id = $1 AND org_id = $2),
                 mark AS (INSERT INTO notification_reads (org_id, notification_id, user_id) SELECT $2, id, $3 FROM target ON CONFLICT DO NOTHING)
            SELECT EXISTS (SELECT 1 FROM target)
            """, ct, id, caller.OrgId, userId), ct);
        return marked ? TypedResults.NoContent() : throw ApiProblem.NotFound("notification");
    }

    /// <summary>Marks every notification that exists when the request runs; later ones arrive unread.</summary>
    public static async Task<Ok<MarkedRead>> MarkAllReadAsync(Caller caller, Db db, CancellationToken ct)
    {
        var userId = PersonOf(caller);
        var marked = await db.InOrgAsync(caller.OrgId, tx => tx.ExecuteAsync("""
            INSERT INTO notification_reads (org_id, notification_id, user_id)
            SELECT n.org_id, n.id, $2 FROM notifications n
            WHERE n.org_id = $1 AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_id = $2)
            ON CONFLICT DO NOTHING
            """, ct, caller.OrgId, userId), ct);
        return TypedResults.Ok(new MarkedRead(marked));
    }

    /// <summary>The person calling. The routes that need one require UserSession; this is the belt to those braces.</summary>
    private static Guid PersonOf(Caller caller) =>
        caller.UserId ?? throw ApiProblem.Forbidden("user_required", "Read state belongs to a person; sign in instead of using an API key.");
}
