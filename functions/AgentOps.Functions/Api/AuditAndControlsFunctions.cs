using AgentOps.Audit;
using AgentOps.Controls;

namespace AgentOps.Functions.Api;

/// <summary>/api/v1/audit-logs (AuditApi) and /api/v1/controls (ControlsApi).</summary>
public sealed class AuditAndControlsFunctions(Db db, ControlEffects effects)
{
    [Function("AuditLogsList"), Requires(Permission.AuditRead)]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/audit-logs")] HttpRequest req) =>
        await AuditApi.ListAsync(Bind.CallerOf(req), db, Bind.Query(req, "actor"), Bind.Query(req, "action"), Bind.Query(req, "entity_type"),
            Bind.Query(req, "entity_id"), Bind.QueryDateTimeOffset(req, "from"), Bind.QueryDateTimeOffset(req, "to"), Bind.QueryInt(req, "limit"),
            Bind.Query(req, "cursor"), Bind.Query(req, "format"), Bind.Aborted(req));

    [Function("AuditLogsVerify"), Requires(Permission.AuditRead)]
    public async Task<IResult> Verify([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/audit-logs/verify")] HttpRequest req) =>
        await AuditApi.VerifyAsync(Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("ControlsStatus"), Requires(Permission.OrgRead)]
    public async Task<IResult> Status([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/controls/status")] HttpRequest req) =>
        await ControlsApi.StatusAsync(Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("ControlsPauseAgent"), Requires(Permission.Controls)]
    public async Task<IResult> Pause([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/controls/pause-agent/{id:guid}")] HttpRequest req, Guid id) =>
        await ControlsApi.PauseAsync(id, await Bind.OptionalBodyAsync<ControlsApi.ReasonRequest>(req), Bind.CallerOf(req), db, effects, Bind.Aborted(req));

    [Function("ControlsResumeAgent"), Requires(Permission.Controls)]
    public async Task<IResult> Resume([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/controls/resume-agent/{id:guid}")] HttpRequest req, Guid id) =>
        await ControlsApi.ResumeAsync(id, await Bind.OptionalBodyAsync<ControlsApi.ReasonRequest>(req), Bind.CallerOf(req), db, effects, Bind.Aborted(req));

    [Function("ControlsKillSwitch"), Requires(Permission.Controls)]
    public async Task<IResult> Kill([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/controls/kill-switch")] HttpRequest req) =>
        await ControlsApi.KillAsync(await Bind.BodyAsync<ControlsApi.ReasonRequest>(req), Bind.CallerOf(req), db, effects, Bind.Aborted(req));

    [Function("ControlsResumeAll"), Requires(Permission.Controls)]
    public async Task<IResult> ResumeAll([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/controls/resume-all")] HttpRequest req) =>
        await ControlsApi.ResumeAllAsync(await Bind.OptionalBodyAsync<ControlsApi.ReasonRequest>(req), Bind.CallerOf(req), db, effects, Bind.Aborted(req));
}
