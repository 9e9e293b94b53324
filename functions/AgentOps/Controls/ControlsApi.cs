using AgentOps.Agents;
using AgentOps.Contracts;

namespace AgentOps.Controls;

/// <summary>The controls API over HTTP: binding, shape checks and answers; <see cref="ControlService"/> holds the use cases.</summary>
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

    public static async Task<Ok<ControlStatus>> StatusAsync(Caller caller, ControlService controls, CancellationToken ct) =>
        TypedResults.Ok(await controls.StatusAsync(caller.OrgId, ct));

    private static string? Reason(ReasonRequest? body, bool required)
    {
        var v = new Validation();
        var reason = required ? v.RequiredText("$.reason", body?.Reason, 500) : v.Text("$.reason", body?.Reason, 500);
        v.ThrowIfInvalid();
        return reason;
    }

    public static async Task<Ok<AgentStatus.AgentControl>> PauseAsync(Guid id, ReasonRequest? body, Caller caller, ControlService controls, CancellationToken ct)
    {
        var reason = Reason(body, required: false);
        return TypedResults.Ok(await controls.PauseAgentAsync(caller, id, reason, ct));
    }

    public static async Task<Ok<AgentStatus.AgentControl>> ResumeAsync(Guid id, ReasonRequest? body, Caller caller, ControlService controls, CancellationToken ct)
    {
        var reason = Reason(body, required: false);
        return TypedResults.Ok(await controls.ResumeAgentAsync(caller, id, reason, ct));
    }

    public static async Task<Ok<KillSwitchResult>> KillAsync(ReasonRequest body, Caller caller, ControlService controls, CancellationToken ct)
    {
        var reason = Reason(body, required: true)!;
        return TypedResults.Ok(await controls.KillAsync(caller, reason, ct));
    }

    public static async Task<Ok<KillSwitchResult>> ResumeAllAsync(ReasonRequest? body, Caller caller, ControlService controls, CancellationToken ct)
    {
        var reason = Reason(body, required: false);
        return TypedResults.Ok(await controls.ResumeAllAsync(caller, reason, ct));
    }
}
