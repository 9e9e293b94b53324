using AgentOps.Platform.Events;

namespace AgentOps.Contracts;

// The domain events features share. Each is raised by the one feature that owns the change (named below), inside the
// transaction that made it; others react to it without a reference to the raiser (docs/architecture.md, "Reactions").
// The chain they form today: costs accrued → budgets evaluate → a budget pauses agents or pulls the kill switch →
// approvals of stopped agents are rejected → their decisions are announced (run events, waiters woken).

/// <summary>
/// Cost newly folded into the rollups, per agent and organization day (sums that are not zero). Raised by Ingest in
/// the processing transaction after each merge, including costs moved by trace re-attribution (negative for the agent
/// that lost them). Budgets add it to their spend and act on their thresholds.
/// </summary>
public sealed record CostsAccrued(IReadOnlyList<AccruedCost> Costs) : IDomainEvent;

public sealed record AccruedCost(Guid AgentId, DateOnly Day, long Micros);

/// <summary>
/// Agents that stopped being active one by one — paused (a button, an edit, a budget's auto-pause) or archived — by
/// <paramref name="Actor"/>. Raised by Agents. Not raised for the kill switch, which raises <see cref="KillSwitchPulled"/>.
/// </summary>
public sealed record AgentsStopped(IReadOnlyList<Guid> AgentIds, Actor Actor) : IDomainEvent;

/// <summary>Agents active again one by one (a button, an edit). Raised by Agents.</summary>
public sealed record AgentsResumed(IReadOnlyList<Guid> AgentIds) : IDomainEvent;

/// <summary>The organization's kill switch was pulled (or pulled again): the agents it paused now. Raised by Controls.</summary>
public sealed record KillSwitchPulled(IReadOnlyList<Guid> PausedAgents, string Reason, Actor Actor) : IDomainEvent;

/// <summary>The kill switch was lifted: the agents it had paused are active again. Raised by Controls.</summary>
public sealed record KillSwitchLifted(IReadOnlyList<Guid> ResumedAgents) : IDomainEvent;

/// <summary>
/// Approval requests that ended — approved, rejected (by a person, a pause or the kill switch) or expired. Raised by
/// Approvals.
/// </summary>
public sealed record ApprovalsDecided(IReadOnlyList<ApprovalDecision> Decisions) : IDomainEvent;

public sealed record ApprovalDecision(Guid Id, string RunId, Guid AgentId, string Status, string Reason, Guid? DecidedBy, string? Comment);

/// <summary>A member left the organization (removed by an admin). Raised by Tenancy; Auth ends the person's sessions in the same transaction.</summary>
public sealed record MemberRemoved(Guid MemberId, Guid? UserId) : IDomainEvent;

/// <summary>The organization's profile changed (Tenancy), its ingest rate and burst among it: Ingest re-reads them after the commit.</summary>
public sealed record OrganizationUpdated : IDomainEvent;

/// <summary>Events were stored and folded into runs (Ingest, once per organization per processing transaction).</summary>
public sealed record EventsStored(int Count) : IDomainEvent;

/// <summary>An approval request was created by a policy check (Approvals).</summary>
public sealed record ApprovalRequested(Guid Id, Guid AgentId) : IDomainEvent;

/// <summary>A notification was published to the organization (Notifications).</summary>
public sealed record NotificationPublished(Guid Id, string Kind) : IDomainEvent;

/// <summary>A job started, made progress (a shard's batch or its end), finished, failed, was cancelled or retried (Jobs).</summary>
public sealed record JobChanged(Guid JobId) : IDomainEvent;
