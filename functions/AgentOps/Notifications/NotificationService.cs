namespace AgentOps.Notifications;

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
        return db.InOrgAsync(caller.OrgId, tx => NotificationStore.PageAsync(tx, caller.UserId, unread, kind, severity, after, take, ct), ct);
    }

    public async Task<int> UnreadCountAsync(Caller caller, CancellationToken ct)
    {
        var userId = PersonOf(caller);
        return (int)await db.InOrgAsync(caller.OrgId, tx => NotificationStore.UnreadAsync(tx, userId, UnreadCountCap, ct), ct);
    }

    /// <summary>Idempotent: marking a read notification again changes nothing (the first read_at stays).</summary>
    public async Task MarkReadAsync(Caller caller, Guid id, CancellationToken ct)
    {
        var userId = PersonOf(caller);
        var found = await db.InOrgAsync(caller.OrgId, tx => NotificationStore.MarkReadAsync(tx, id, userId, ct), ct);
        if (!found) throw DomainError.NotFound("notification");
    }

    /// <summary>Marks every notification that exists when the request runs; later ones arrive unread. Returns how many were marked.</summary>
    public Task<int> MarkAllReadAsync(Caller caller, CancellationToken ct)
    {
        var userId = PersonOf(caller);
        return db.InOrgAsync(caller.OrgId, tx => NotificationStore.MarkAllReadAsync(tx, userId, ct), ct);
    }

    /// <summary>The person calling. The routes that need one require UserSession; this is the belt to those braces.</summary>
    private static Guid PersonOf(Caller caller) =>
        caller.UserId ?? throw DomainError.Forbidden("user_required", "Read state belongs to a person; sign in instead of using an API key.");
}
