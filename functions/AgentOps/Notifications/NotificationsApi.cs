namespace AgentOps.Notifications;

/// <summary>
/// The in-app channel over HTTP (<see cref="NotificationService"/> holds the use cases). Marking read needs a person
/// (<see cref="Permission.UserSession"/>): API keys may list notifications but have no read state.
/// </summary>
public static class NotificationsApi
{
    public static readonly string[] Severities = ["info", "warning", "critical"];

    public static void MapNotificationsApi(this RouteGroupBuilder api)
    {
        var notifications = api.MapGroup("/notifications").WithTags("Notifications");
        notifications.MapGet("/", ListAsync).Requires(Permission.NotificationsRead).WithName("listNotifications").WithSummary("Notifications, newest first, with the caller's read state");
        notifications.MapGet("/unread-count", UnreadCountAsync).Requires(Permission.UserSession).WithName("countUnreadNotifications").WithSummary("How many the caller has not read (at most 1000)");
        notifications.MapPost("/{id:guid}/read", MarkReadAsync).Requires(Permission.UserSession).WithName("markNotificationRead").WithSummary("Mark one read, for the caller");
        notifications.MapPost("/read-all", MarkAllReadAsync).Requires(Permission.UserSession).WithName("markAllNotificationsRead").WithSummary("Mark every current notification read, for the caller");
    }

    public sealed record UnreadCount(int Unread);
    public sealed record MarkedRead(int Marked);

    public static async Task<Ok<Page<NotificationView>>> ListAsync(Caller caller, NotificationService notifications, bool? unread, string? kind, string? severity, int? limit,
        string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var v = new Validation();
        if (kind is { Length: 0 or > 100 }) v.Add("kind", "must be 1 to 100 characters.");
        if (severity is not null && !Severities.Contains(severity)) v.Add("severity", "must be info, warning or critical.");
        v.ThrowIfInvalid();
        return TypedResults.Ok(Paging.Of(await notifications.PageAsync(caller, unread, kind, severity, after, take + 1, ct), take, n => n.Id));
    }

    public static async Task<Ok<UnreadCount>> UnreadCountAsync(Caller caller, NotificationService notifications, CancellationToken ct) =>
        TypedResults.Ok(new UnreadCount(await notifications.UnreadCountAsync(caller, ct)));

    public static async Task<NoContent> MarkReadAsync(Guid id, Caller caller, NotificationService notifications, CancellationToken ct)
    {
        await notifications.MarkReadAsync(caller, id, ct);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<MarkedRead>> MarkAllReadAsync(Caller caller, NotificationService notifications, CancellationToken ct) =>
        TypedResults.Ok(new MarkedRead(await notifications.MarkAllReadAsync(caller, ct)));
}
