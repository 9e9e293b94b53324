using AgentOps.Agents;
using AgentOps.Audit;

namespace AgentOps.Controls;

/// <summary>What the kill switch and resume-all did: the organization's state after, the agents changed, the approvals rejected.</summary>
public sealed record KillSwitchResult(ControlStatus Status, IReadOnlyList<Guid> AgentsChanged, IReadOnlyList<Guid> ApprovalsRejected);

/// <summary>
/// The big red buttons. Pausing is a state of the agent, so every path that serves agents sees it: ingest answers
/// agent_paused within <see cref="AgentDirectory.Freshness"/> (1 s) on every replica, at once on this one. The kill
/// switch pauses every active agent of the organization in one transaction and keeps the organization marked until
/// resume-all, which resumes exactly the agents the switch paused (not those paused on purpose before it). Agents
/// registered while the switch is on start paused. The policy check sees the switch through <see cref="Policies.OrgPolicyCache"/>
/// (the same 1 s, at once here) and answers block org_killed. Approval requests that a pause or the switch rejects are
/// announced after the commit (approval.decision events on their runs; their waiters woken).
/// </summary>
public sealed class ControlService(Db db)
{
    public Task<ControlStatus> StatusAsync(Guid orgId, CancellationToken ct) => db.InOrgAsync(orgId, tx => EmergencyControls.StatusAsync(tx, ct), ct);

    public Task<AgentStatus.AgentControl> PauseAgentAsync(Caller caller, Guid id, string? reason, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, tx => AgentStatus.SetAsync(tx, Actor.Of(caller), id, "paused", reason, "control.agent_paused", ct), ct);

    public Task<AgentStatus.AgentControl> ResumeAgentAsync(Caller caller, Guid id, string? reason, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, tx => AgentStatus.SetAsync(tx, Actor.Of(caller), id, "active", reason, "control.agent_resumed", ct), ct);

    public Task<KillSwitchResult> KillAsync(Caller caller, string reason, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            var paused = await EmergencyControls.KillAsync(tx, Actor.Of(caller), reason, ct);
            return new KillSwitchResult(await EmergencyControls.StatusAsync(tx, ct), paused.Agents, paused.RejectedApprovals);
        }, ct);

    public Task<KillSwitchResult> ResumeAllAsync(Caller caller, string? reason, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            var resumed = await EmergencyControls.LiftAsync(tx, Actor.Of(caller), reason, ct);
            return new KillSwitchResult(await EmergencyControls.StatusAsync(tx, ct), resumed, []);
        }, ct);
}
