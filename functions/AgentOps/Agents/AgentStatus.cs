using AgentOps.Audit;
using AgentOps.Contracts;

namespace AgentOps.Agents;

/// <summary>
/// The agents' status as the emergency controls change it (the only writes of agents.status besides the registry's
/// own edits), in the caller's transaction. Stopping agents one by one raises <see cref="AgentsStopped"/> (approvals
/// react); the kill switch's bulk changes are the caller's to announce (Controls raises KillSwitchPulled/Lifted).
/// </summary>
public static class AgentStatus
{
    public sealed record AgentControl(Guid Id, string Name, string Status, string? PausedReason);

    /// <summary>Pauses the given agents that are active (one audit row each, <paramref name="auditAction"/>).</summary>
    public static async Task<IReadOnlyList<Guid>> PauseAsync(Tx tx, Actor actor, IReadOnlyCollection<Guid> agentIds, string? reason, string auditAction, CancellationToken ct)
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
        if (ids.Length > 0) await tx.RaiseAsync(new AgentsStopped(ids, actor), ct);
        return ids;
    }

    /// <summary>
    /// One agent to <paramref name="status"/> (paused or active) by a person, with its audit row; raises
    /// <see cref="AgentsStopped"/> or <see cref="AgentsResumed"/> when it changed. The organization is locked shared
    /// first, so a kill switch in flight (which locks it exclusively) is seen, never raced.
    /// </summary>
    public static async Task<AgentControl> SetAsync(Tx tx, Actor actor, Guid id, string status, string? reason, string auditAction, CancellationToken ct)
    {
        var killed = await tx.ScalarAsync<DateTime?>("SELECT killed_at FROM organizations WHERE id = $1 FOR SHARE", ct, tx.OrgId) is not null;
        var before = await tx.SingleAsync("SELECT id, name, status, paused_reason FROM agents WHERE id = $1 AND org_id = $2 FOR UPDATE",
            r => new AgentControl(r.GetGuid(0), r.GetString(1), r.GetString(2), r.NullableString(3)), ct, id, tx.OrgId) ?? throw DomainError.NotFound("agent");
        if (before.Status == "archived") throw DomainError.Conflict("agent_archived", "The agent is archived; restore it first.");
        if (status == "active" && killed)
            throw DomainError.Conflict("org_killed", "The organization's kill switch is on: lift it with resume-all first.");
        if (before.Status == status) return before;
        var after = (await tx.SingleAsync("""
            UPDATE agents SET status = $3, paused_reason = CASE WHEN $3 = 'paused' THEN $4 END, paused_by_kill_switch = false, updated_at = now()
            WHERE id = $1 AND org_id = $2 RETURNING id, name, status, paused_reason
            """, r => new AgentControl(r.GetGuid(0), r.GetString(1), r.GetString(2), r.NullableString(3)), ct, id, tx.OrgId, status, reason))!;
        await AuditLog.RecordAsync(tx, actor, auditAction, "agent", id, new { agent = before }, new { agent = after, reason }, ct);
        await Announce(tx, actor, id, before.Status, after.Status, ct);
        return after;
    }

    /// <summary>What an agent's change of status means to others: stopped (paused or archived) or active again.</summary>
    public static Task Announce(Tx tx, Actor actor, Guid id, string before, string after, CancellationToken ct) =>
        before == "active" && after != "active" ? tx.RaiseAsync(new AgentsStopped([id], actor), ct)
        : before != "active" && after == "active" ? tx.RaiseAsync(new AgentsResumed([id]), ct)
        : Task.CompletedTask;

    /// <summary>The kill switch's pause: every active agent, marked as paused by it (the caller audits and raises KillSwitchPulled).</summary>
    public static Task<List<Guid>> PauseAllForKillSwitchAsync(Tx tx, string reason, CancellationToken ct) =>
        tx.ListAsync("""
            UPDATE agents SET status = 'paused', paused_by_kill_switch = true, paused_reason = $2, updated_at = now()
            WHERE org_id = $1 AND status = 'active' RETURNING id
            """, r => r.GetGuid(0), ct, tx.OrgId, reason);

    /// <summary>Lifting the kill switch: the agents it paused are active again (the caller audits and raises KillSwitchLifted).</summary>
    public static Task<List<Guid>> ResumeKillSwitchPausedAsync(Tx tx, CancellationToken ct) =>
        tx.ListAsync("""
            UPDATE agents SET status = 'active', paused_by_kill_switch = false, paused_reason = NULL, updated_at = now()
            WHERE org_id = $1 AND status = 'paused' AND paused_by_kill_switch RETURNING id
            """, r => r.GetGuid(0), ct, tx.OrgId);
}
