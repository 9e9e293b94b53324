using AgentOps.Agents;
using AgentOps.Approvals;
using AgentOps.Audit;
using AgentOps.Policies;

namespace AgentOps.Controls;

/// <summary>
/// The big red buttons. Pausing is a state of the agent, so every path that serves agents sees it: ingest answers
/// agent_paused within <see cref="AgentDirectory.Freshness"/> (1 s) on every replica, at once on this one. The kill
/// switch pauses every active agent of the organization in one transaction and keeps the organization marked until
/// resume-all, which resumes exactly the agents the switch paused (not those paused on purpose before it). Agents
/// registered while the switch is on start paused. The policy check sees the switch through <see cref="OrgPolicyCache"/>
/// (the same 1 s, at once here) and answers block org_killed. Approval requests that a pause or the switch rejects are
/// announced after the commit (approval.decision events on their runs; their waiters woken).
/// </summary>
public static class ControlsApi
{
    public static void MapControlsApi(this RouteGroupBuilder api)
    {
        var controls = api.MapGroup("/controls").WithTags("Controls");
        controls.MapGet("/status", StatusAsync).Requires(Permission.OrgRead).WithName("getControlStatus").WithSummary("Is the kill switch on; how many agents are paused");
        controls.MapPost("/pause-agent/{id:guid}", PauseAsync).Requires(Permission.Controls).WithName("pauseAgent").Problems(409).WithSummary("Pause one agent");
        controls.MapPost("/resume-agent/{id:guid}", ResumeAsync).Requires(Permission.Controls).WithName("resumeAgent").Problems(409).WithSummary("Resume one agent");
        controls.MapPost("/kill-switch", KillAsync).Requires(Permission.Controls).WithName("activateKillSwitch").WithSummary("Pause every agent of the organization at once");
        controls.MapPost("/resume-all", ResumeAllAsync).Requires(Permission.Controls).WithName("resumeAllAgents").WithSummary("Lift the kill switch: resume the agents it paused");
    }

    public sealed record ReasonRequest(string? Reason);
    public sealed record ControlStatus(bool Killed, DateTimeOffset? KilledAt, string? KilledReason, long ActiveAgents, long PausedAgents, long PausedByKillSwitch);
    public sealed record AgentControl(Guid Id, string Name, string Status, string? PausedReason);
    public sealed record KillSwitchResult(ControlStatus Status, IReadOnlyList<Guid> AgentsChanged, IReadOnlyList<Guid> ApprovalsRejected);

    private static Task<ControlStatus> ReadStatusAsync(Tx tx, CancellationToken ct) =>
        tx.SingleAsync("""
            SELECT o.killed_at, o.killed_reason,
                   (SELECT count(*) FROM agents WHERE org_id = o.id AND status = 'active'),
                   (SELECT count(*) FROM agents WHERE org_id = o.id AND status = 'paused'),
                   (SELECT count(*) FROM agents WHERE org_id = o.id AND status = 'paused' AND paused_by_kill_switch)
            FROM organizations o WHERE o.id = $1
            """, r => new ControlStatus(!r.IsDBNull(0), r.NullableTime(0), r.NullableString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4)), ct, tx.OrgId)!;

    public static async Task<Ok<ControlStatus>> StatusAsync(Caller caller, Db db, CancellationToken ct) =>
        TypedResults.Ok(await db.InOrgAsync(caller.OrgId, tx => ReadStatusAsync(tx, ct), ct));

    private static string? Reason(ReasonRequest? body, bool required)
    {
        var v = new Validation();
        var reason = required ? v.RequiredText("$.reason", body?.Reason, 500) : v.Text("$.reason", body?.Reason, 500);
        v.ThrowIfInvalid();
        return reason;
    }

    public static async Task<Ok<AgentControl>> PauseAsync(Guid id, ReasonRequest? body, Caller caller, Db db, ControlEffects effects, CancellationToken ct)
    {
        var reason = Reason(body, required: false);
        var (agent, rejected) = await SetAgentAsync(id, caller, db, "paused", reason, "control.agent_paused", ct);
        effects.Committed(caller.OrgId, rejected, KillSwitchChange.Unchanged);
        return TypedResults.Ok(agent);
    }

    public static async Task<Ok<AgentControl>> ResumeAsync(Guid id, ReasonRequest? body, Caller caller, Db db, ControlEffects effects, CancellationToken ct)
    {
        var reason = Reason(body, required: false);
        var (agent, _) = await SetAgentAsync(id, caller, db, "active", reason, "control.agent_resumed", ct);
        effects.Committed(caller.OrgId, killSwitch: KillSwitchChange.Unchanged);
        return TypedResults.Ok(agent);
    }

    private static Task<(AgentControl Agent, IReadOnlyList<RejectedApproval> Rejected)> SetAgentAsync(Guid id, Caller caller, Db db, string status, string? reason, string action, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            // The organization first, shared: a kill switch in flight (which locks it exclusively) is seen, never raced.
            var killed = await tx.ScalarAsync<DateTime?>("SELECT killed_at FROM organizations WHERE id = $1 FOR SHARE", ct, caller.OrgId) is not null;
            var before = await tx.SingleAsync("SELECT id, name, status, paused_reason FROM agents WHERE id = $1 AND org_id = $2 FOR UPDATE",
                r => new AgentControl(r.GetGuid(0), r.GetString(1), r.GetString(2), r.NullableString(3)), ct, id, caller.OrgId) ?? throw ApiProblem.NotFound("agent");
            if (before.Status == "archived") throw ApiProblem.Conflict("agent_archived", "The agent is archived; restore it first.");
            if (status == "active" && killed)
                throw ApiProblem.Conflict("org_killed", "The organization's kill switch is on: lift it with resume-all first.");
            if (before.Status == status) return (before, (IReadOnlyList<RejectedApproval>)[]);
            var after = (await tx.SingleAsync("""
                UPDATE agents SET status = $3, paused_reason = CASE WHEN $3 = 'paused' THEN $4 END, paused_by_kill_switch = false, updated_at = now()
                WHERE id = $1 AND org_id = $2 RETURNING id, name, status, paused_reason
                """, r => new AgentControl(r.GetGuid(0), r.GetString(1), r.GetString(2), r.NullableString(3)), ct, id, caller.OrgId, status, reason))!;
            await AuditLog.RecordAsync(tx, Actor.Of(caller), action, "agent", id, new { agent = before }, new { agent = after, reason }, ct);
            var rejected = status == "paused"
                ? await EmergencyControls.RejectPendingApprovalsAsync(tx, Actor.Of(caller), [id], "agent_paused", ct)
                : [];
            return (after, rejected);
        }, ct);

    public static async Task<Ok<KillSwitchResult>> KillAsync(ReasonRequest body, Caller caller, Db db, ControlEffects effects, CancellationToken ct)
    {
        var reason = Reason(body, required: true)!;
        var (result, rejected) = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var paused = await EmergencyControls.KillAsync(tx, Actor.Of(caller), reason, ct);
            return (new KillSwitchResult(await ReadStatusAsync(tx, ct), paused.Agents, paused.RejectedApprovals.Select(a => a.Id).ToList()), paused.RejectedApprovals);
        }, ct);
        effects.Committed(caller.OrgId, rejected, KillSwitchChange.Pulled);
        return TypedResults.Ok(result);
    }

    public static async Task<Ok<KillSwitchResult>> ResumeAllAsync(ReasonRequest? body, Caller caller, Db db, ControlEffects effects, CancellationToken ct)
    {
        var reason = Reason(body, required: false);
        var result = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            await tx.ExecuteAsync("SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE", ct, caller.OrgId);
            var before = await ReadStatusAsync(tx, ct);
            await tx.ExecuteAsync("UPDATE organizations SET killed_at = NULL, killed_reason = NULL WHERE id = $1", ct, caller.OrgId);
            var resumed = await tx.ListAsync("""
                UPDATE agents SET status = 'active', paused_by_kill_switch = false, paused_reason = NULL, updated_at = now()
                WHERE org_id = $1 AND status = 'paused' AND paused_by_kill_switch RETURNING id
                """, r => r.GetGuid(0), ct, caller.OrgId);
            var after = await ReadStatusAsync(tx, ct);
            if (before.Killed || resumed.Count > 0)
                await AuditLog.RecordAsync(tx, Actor.Of(caller), "control.resume_all", "organization", caller.OrgId, before, new { after, resumed_agents = resumed, reason }, ct);
            return new KillSwitchResult(after, resumed, []);
        }, ct);
        effects.Committed(caller.OrgId, killSwitch: KillSwitchChange.Lifted);
        return TypedResults.Ok(result);
    }
}
