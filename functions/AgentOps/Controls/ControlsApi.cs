using AgentOps.Agents;
using AgentOps.Approvals;
using AgentOps.Audit;
using AgentOps.Contracts;
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

    public sealed record KillSwitchResult(ControlStatus Status, IReadOnlyList<Guid> AgentsChanged, IReadOnlyList<Guid> ApprovalsRejected);

    public static async Task<Ok<ControlStatus>> StatusAsync(Caller caller, Db db, CancellationToken ct) =>
        TypedResults.Ok(await db.InOrgAsync(caller.OrgId, tx => EmergencyControls.StatusAsync(tx, ct), ct));

    private static string? Reason(ReasonRequest? body, bool required)
    {
        var v = new Validation();
        var reason = required ? v.RequiredText("$.reason", body?.Reason, 500) : v.Text("$.reason", body?.Reason, 500);
        v.ThrowIfInvalid();
        return reason;
    }

    public static async Task<Ok<AgentStatus.AgentControl>> PauseAsync(Guid id, ReasonRequest? body, Caller caller, Db db, CancellationToken ct)
    {
        var reason = Reason(body, required: false);
        return TypedResults.Ok(await db.InOrgAsync(caller.OrgId, tx => AgentStatus.SetAsync(tx, Actor.Of(caller), id, "paused", reason, "control.agent_paused", ct), ct));
    }

    public static async Task<Ok<AgentStatus.AgentControl>> ResumeAsync(Guid id, ReasonRequest? body, Caller caller, Db db, CancellationToken ct)
    {
        var reason = Reason(body, required: false);
        return TypedResults.Ok(await db.InOrgAsync(caller.OrgId, tx => AgentStatus.SetAsync(tx, Actor.Of(caller), id, "active", reason, "control.agent_resumed", ct), ct));
    }

    public static async Task<Ok<KillSwitchResult>> KillAsync(ReasonRequest body, Caller caller, Db db, CancellationToken ct)
    {
        var reason = Reason(body, required: true)!;
        return TypedResults.Ok(await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var paused = await EmergencyControls.KillAsync(tx, Actor.Of(caller), reason, ct);
            return new KillSwitchResult(await EmergencyControls.StatusAsync(tx, ct), paused.Agents, paused.RejectedApprovals);
        }, ct));
    }

    public static async Task<Ok<KillSwitchResult>> ResumeAllAsync(ReasonRequest? body, Caller caller, Db db, CancellationToken ct)
    {
        var reason = Reason(body, required: false);
        return TypedResults.Ok(await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var resumed = await EmergencyControls.LiftAsync(tx, Actor.Of(caller), reason, ct);
            return new KillSwitchResult(await EmergencyControls.StatusAsync(tx, ct), resumed, []);
        }, ct));
    }
}
