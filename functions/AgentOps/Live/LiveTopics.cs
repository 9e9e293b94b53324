using AgentOps.Contracts;
using AgentOps.Platform.Events;
using AgentOps.Platform.Live;

namespace AgentOps.Live;

/// <summary>
/// What the live stream tells (docs/api.md, "Live updates"): a topic per kind of change, each mapped here from the
/// domain events that cause it, after their commit. A client re-reads what it shows of that topic.
/// </summary>
public static class LiveTopics
{
    /// <summary>Events were stored: runs and their timelines changed (the runs list, a run, the overview).</summary>
    public const string Runs = "runs";
    /// <summary>An approval request was created or decided (the pending count, the approvals page).</summary>
    public const string Approvals = "approvals";
    /// <summary>The kill switch or an agent's status changed.</summary>
    public const string Controls = "controls";
    /// <summary>A notification was published (the bell's unread count).</summary>
    public const string Notifications = "notifications";
    /// <summary>A job started, progressed, finished, failed, or was cancelled or retried.</summary>
    public const string Jobs = "jobs";

    public static readonly string[] All = [Runs, Approvals, Controls, Notifications, Jobs, LiveHints.Resync];

    /// <summary>What each topic tells about, as the permission that reads it: a stream carries only what its caller may read.</summary>
    private static readonly (string Topic, Permission ReadBy)[] Readers =
        [(Runs, Permission.RunsRead), (Approvals, Permission.ApprovalsRead), (Controls, Permission.OrgRead), (Notifications, Permission.NotificationsRead), (Jobs, Permission.JobsRead)];

    /// <summary>The topics a caller's stream carries (resync always).</summary>
    public static IReadOnlySet<string> For(Caller caller) =>
        Readers.Where(r => Rbac.Allows(caller, r.ReadBy)).Select(r => r.Topic).Append(LiveHints.Resync).ToHashSet(StringComparer.Ordinal);
}

/// <summary>Marks the topic of each committed change for the live streams.</summary>
public sealed class LiveMarks(LiveHints hints) :
    IAfterCommit<EventsStored>, IAfterCommit<ApprovalRequested>, IAfterCommit<ApprovalsDecided>, IAfterCommit<KillSwitchPulled>,
    IAfterCommit<KillSwitchLifted>, IAfterCommit<AgentsStopped>, IAfterCommit<AgentsResumed>, IAfterCommit<NotificationPublished>, IAfterCommit<JobChanged>
{
    public void Committed(Guid orgId, EventsStored e) => hints.Mark(orgId, LiveTopics.Runs);
    public void Committed(Guid orgId, ApprovalRequested e) => hints.Mark(orgId, LiveTopics.Approvals);
    public void Committed(Guid orgId, ApprovalsDecided e) => hints.Mark(orgId, LiveTopics.Approvals);
    public void Committed(Guid orgId, KillSwitchPulled e) => hints.Mark(orgId, LiveTopics.Controls);
    public void Committed(Guid orgId, KillSwitchLifted e) => hints.Mark(orgId, LiveTopics.Controls);
    public void Committed(Guid orgId, AgentsStopped e) => hints.Mark(orgId, LiveTopics.Controls);
    public void Committed(Guid orgId, AgentsResumed e) => hints.Mark(orgId, LiveTopics.Controls);
    public void Committed(Guid orgId, NotificationPublished e) => hints.Mark(orgId, LiveTopics.Notifications);
    public void Committed(Guid orgId, JobChanged e) => hints.Mark(orgId, LiveTopics.Jobs);
}
