using AgentOps.Agents;
using AgentOps.Audit;
using AgentOps.Contracts;
using AgentOps.Tenancy;

namespace AgentOps.Controls;

/// <summary>The organization's emergency state as the controls page shows it.</summary>
public sealed record ControlStatus(bool Killed, DateTimeOffset? KilledAt, string? KilledReason, long ActiveAgents, long PausedAgents, long PausedByKillSwitch);

/// <summary>
/// The kill switch, in the caller's transaction: a person's button and an organization budget's auto-pause both come
/// through here. Pulling it pauses every active agent and raises <see cref="KillSwitchPulled"/> (approvals react by
/// rejecting every pending request, reason org_killed; caches follow after commit).
/// </summary>
public static class EmergencyControls
{
    public sealed record Paused(IReadOnlyList<Guid> Agents, IReadOnlyList<Guid> RejectedApprovals);

    public static Task<ControlStatus> StatusAsync(Tx tx, CancellationToken ct) =>
        tx.SingleAsync("""
            SELECT o.killed_at, o.killed_reason,
                   (SELECT count(*) FROM agents WHERE org_id = o.id AND status = 'active'),
                   (SELECT count(*) FROM agents WHERE org_id = o.id AND status = 'paused'),
                   (SELECT count(*) FROM agents WHERE org_id = o.id AND status = 'paused' AND paused_by_kill_switch)
            FROM organizations o WHERE o.id = $1
            """, r => new ControlStatus(!r.IsDBNull(0), r.NullableTime(0), r.NullableString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4)), ct, tx.OrgId)!;

    /// <summary>
    /// Marks the organization (Tenancy's flag: first reason wins while it stays on; the row locked first, so concurrent
    /// switches, resumes and registrations wait and then see it) and pauses every active agent.
    /// </summary>
    public static async Task<Paused> KillAsync(Tx tx, Actor actor, string reason, CancellationToken ct)
    {
        var wasKilled = await TenancyStore.SetKilledAsync(tx, reason, ct);
        var paused = await AgentStatus.PauseAllForKillSwitchAsync(tx, reason, ct);
        var decidedBefore = tx.Raised<ApprovalsDecided>().Count();
        await tx.RaiseAsync(new KillSwitchPulled(paused, reason, actor), ct);
        var rejected = tx.Raised<ApprovalsDecided>().Skip(decidedBefore).SelectMany(d => d.Decisions).Select(d => d.Id).ToList();
        if (!wasKilled || paused.Count > 0)
            await AuditLog.RecordAsync(tx, actor, "control.kill_switch", "organization", tx.OrgId, new { killed = wasKilled },
                new { killed = true, paused_agents = paused, rejected_approvals = rejected, reason }, ct);
        return new Paused(paused, rejected);
    }

    /// <summary>Lifts the kill switch: the agents it paused are active again (one audit row when anything changed).</summary>
    public static async Task<IReadOnlyList<Guid>> LiftAsync(Tx tx, Actor actor, string? reason, CancellationToken ct)
    {
        await TenancyStore.ReadOrganizationAsync(tx, forUpdate: true, ct); // locked, as SetKilledAsync does, before the flag is read and cleared
        var before = await StatusAsync(tx, ct);
        await TenancyStore.ClearKilledAsync(tx, ct);
        var resumed = await AgentStatus.ResumeKillSwitchPausedAsync(tx, ct);
        if (before.Killed || resumed.Count > 0)
        {
            await AuditLog.RecordAsync(tx, actor, "control.resume_all", "organization", tx.OrgId, before,
                new { after = await StatusAsync(tx, ct), resumed_agents = resumed, reason }, ct);
            await tx.RaiseAsync(new KillSwitchLifted(resumed), ct);
        }
        return resumed;
    }
}
