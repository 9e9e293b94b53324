using AgentOps.Audit;

namespace AgentOps.Controls;

/// <summary>An approval request that an emergency control rejected (the caller records it on the run and wakes waiters).</summary>
public sealed record RejectedApproval(Guid Id, string RunId, Guid AgentId, string Reason);

/// <summary>
/// The one path that effects agents, in the caller's transaction: the pause buttons, the kill switch and budget
/// auto-pause all come through here. Pausing also rejects the paused agents' pending approval requests (reason
/// agent_paused, or org_killed for the kill switch), so nothing waits on an approval for an agent that is stopped.
/// </summary>
public static class EmergencyControls
{
    public sealed record Paused(IReadOnlyList<Guid> Agents, IReadOnlyList<RejectedApproval> RejectedApprovals);

    /// <summary>
    /// The kill switch: marks the organization (first reason wins while it stays on) and effects every active agent.
    /// Locks the organization row first, so concurrent switches, resumes and registrations wait and then see it.
    /// </summary>
    public static async Task<Paused> KillAsync(Tx tx, Actor actor, string reason, CancellationToken ct)
    {
        await tx.ExecuteAsync("SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE", ct, tx.OrgId);
        var wasKilled = await tx.ScalarAsync<DateTime?>("SELECT killed_at FROM organizations WHERE id = $1", ct, tx.OrgId) is not null;
        await tx.ExecuteAsync("UPDATE organizations SET killed_at = coalesce(killed_at, now()), killed_reason = coalesce(killed_reason, $2) WHERE id = $1", ct, tx.OrgId, reason);
        var paused = await tx.ListAsync("""
            UPDATE agents SET status = 'paused', paused_by_kill_switch = true, paused_reason = $2, updated_at = now()
            WHERE org_id = $1 AND status = 'active' RETURNING id
            """, r => r.GetGuid(0), ct, tx.OrgId, reason);
        var rejected = await RejectPendingApprovalsAsync(tx, actor, null, "org_killed", ct);
        if (!wasKilled || paused.Count > 0)
            await AuditLog.RecordAsync(tx, actor, "control.kill_switch", "organization", tx.OrgId, new { killed = wasKilled },
                new { killed = true, paused_agents = paused, rejected_approvals = rejected.Select(a => a.Id), reason }, ct);
        return new Paused(paused, rejected);
    }

    /// <summary>Pauses the given agents that are active (one audit row each) and rejects their pending approvals.</summary>
    public static async Task<Paused> PauseAgentsAsync(Tx tx, Actor actor, IReadOnlyCollection<Guid> agentIds, string? reason, string auditAction, CancellationToken ct)
    {
        var paused = await tx.ListAsync("""
            WITH target AS (SELECT id, status, paused_reason FROM agents WHERE org_id = $1 AND id = ANY($2) AND status = 'active' ORDER BY id FOR UPDATE)
            UPDATE agents a SET status = 'paused', paused_reason = $3, paused_by_kill_switch = false, updated_at = now()
            FROM target WHERE a.id = target.id RETURNING a.id, a.name
            """, r => (Id: r.GetGuid(0), Name: r.GetString(1)), ct, tx.OrgId, agentIds.ToArray(), reason);
        foreach (var agent in paused)
            await AuditLog.RecordAsync(tx, actor, auditAction, "agent", agent.Id, new { agent.Name, status = "active" },
                new { agent.Name, status = "paused", paused_reason = reason }, ct);
        var ids = paused.Select(a => a.Id).ToArray();
        var rejected = ids.Length == 0 ? [] : await RejectPendingApprovalsAsync(tx, actor, ids, "agent_paused", ct);
        return new Paused(ids, rejected);
    }

    /// <summary>Rejects pending approvals (of some agents, or all of the organization's), one audit row each.</summary>
    public static async Task<IReadOnlyList<RejectedApproval>> RejectPendingApprovalsAsync(Tx tx, Actor actor, Guid[]? agentIds, string reason, CancellationToken ct)
    {
        var rejected = await tx.ListAsync("""
            UPDATE approvals SET status = 'rejected', decided_at = now(), decision_reason = $3
            WHERE org_id = $1 AND status = 'pending' AND ($2::uuid[] IS NULL OR agent_id = ANY($2))
            RETURNING id, run_id, agent_id
            """, r => new RejectedApproval(r.GetGuid(0), r.GetString(1), r.GetGuid(2), reason), ct, tx.OrgId, agentIds, reason);
        foreach (var a in rejected)
            await AuditLog.RecordAsync(tx, actor, "approval.rejected", "approval", a.Id, new { status = "pending" },
                new { status = "rejected", decision_reason = reason, run_id = a.RunId, agent_id = a.AgentId }, ct);
        return rejected;
    }
}

/// <summary>What a committed change did to the organization's kill switch, as far as its caller knows.</summary>
public enum KillSwitchChange
{
    /// <summary>It may have moved (a budget's auto-pause can pull it): the policy cache reloads.</summary>
    Unknown,
    /// <summary>Only agents changed (pause, resume, edit): the policy snapshot holds no agent status, so it stays.</summary>
    Unchanged,
    Pulled,
    Lifted,
}

/// <summary>
/// What a change of agents' status means for this replica once its transaction has committed: the agent cache forgets
/// the organization, the policy cache learns the kill switch's new state (ingest and the policy check see both at once
/// here, within their 1 s freshness elsewhere), and the approvals a pause rejected are announced (events on their
/// runs, waiters woken). Every path that pauses, resumes, kills or registers calls this, and nothing else.
/// </summary>
public sealed class ControlEffects(Agents.AgentDirectory agents, Policies.OrgPolicyCache policies, Approvals.ApprovalOutcomes approvals)
{
    public void Committed(Guid orgId, IReadOnlyList<RejectedApproval>? rejected = null, KillSwitchChange killSwitch = KillSwitchChange.Unknown)
    {
        agents.Invalidate(orgId);
        switch (killSwitch)
        {
            case KillSwitchChange.Pulled: policies.SetKilled(orgId, true); break;
            case KillSwitchChange.Lifted: policies.SetKilled(orgId, false); break;
            case KillSwitchChange.Unknown: policies.Invalidate(orgId); break;
        }
        if (rejected is { Count: > 0 }) approvals.Rejected(orgId, rejected);
    }
}
