using AgentOps.Blobs;
using AgentOps.Runs;

namespace AgentOps.Functions.Api;

/// <summary>
/// GET /api/v1/runs, /runs/{id}, /events/{runId} and /payloads/{day}/{name} (RunsApi). Query values are bound as
/// minimal APIs bind the handler's parameters (Http/Bind.cs): a value that does not parse is a 400 bad_request.
/// </summary>
public sealed class RunsFunctions(Db db, IBlobStore blobs)
{
    [Function("RunsList"), Requires(Permission.RunsRead)]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/runs")] HttpRequest req) =>
        await RunsApi.ListAsync(Bind.CallerOf(req), db,
            agent: Bind.Query(req, "agent"),
            status: Bind.Query(req, "status"),
            from: Bind.QueryDateTimeOffset(req, "from"),
            to: Bind.QueryDateTimeOffset(req, "to"),
            min_cost_usd: Bind.QueryDecimal(req, "min_cost_usd"),
            model: Bind.Query(req, "model"),
            tag: Bind.Query(req, "tag"),
            q: Bind.Query(req, "q"),
            sort: Bind.Query(req, "sort"),
            order: Bind.Query(req, "order"),
            limit: Bind.QueryInt(req, "limit"),
            cursor: Bind.Query(req, "cursor"),
            ct: Bind.Aborted(req));

    [Function("RunsGet"), Requires(Permission.RunsRead)]
    public async Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/runs/{*id}")] HttpRequest req, string id) =>
        await RunsApi.GetAsync(id, Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("RunsEvents"), Requires(Permission.RunsRead)]
    public async Task<IResult> Events([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/events/{*runId}")] HttpRequest req, string runId) =>
        await RunsApi.EventsAsync(runId, Bind.CallerOf(req), db, Bind.QueryInt(req, "limit"), Bind.Query(req, "cursor"), Bind.Aborted(req));

    [Function("RunsPayload"), Requires(Permission.RunsRead)]
    public async Task<IResult> Payload([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/payloads/{day}/{name}")] HttpRequest req, string day, string name) =>
        await RunsApi.PayloadAsync(day, name, Bind.CallerOf(req), blobs, Bind.Aborted(req));
}
