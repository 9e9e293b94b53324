using AgentOps.Agents;

namespace AgentOps.Functions.Api;

/// <summary>/api/v1/agents (AgentsApi). The {id:guid} constraint matches the self-host's: other ids are 404s.</summary>
public sealed class AgentsFunctions(Db db, AgentDirectory directory, Controls.ControlEffects effects)
{
    [Function("AgentsCreate"), Requires(Permission.AgentsWrite)]
    public async Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/agents")] HttpRequest req) =>
        await AgentsApi.CreateAsync(await Bind.BodyAsync<AgentsApi.CreateAgentRequest>(req), Bind.CallerOf(req), db, directory, Bind.Aborted(req));

    [Function("AgentsList"), Requires(Permission.AgentsRead)]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/agents")] HttpRequest req) =>
        await AgentsApi.ListAsync(Bind.CallerOf(req), db, Bind.Query(req, "status"), Bind.Query(req, "tag"), Bind.Query(req, "environment"), Bind.Query(req, "team"),
            Bind.QueryInt(req, "limit"), Bind.Query(req, "cursor"), Bind.Aborted(req));

    [Function("AgentsGet"), Requires(Permission.AgentsRead)]
    public async Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/agents/{id:guid}")] HttpRequest req, Guid id) =>
        await AgentsApi.GetAsync(id, Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("AgentsUpdate"), Requires(Permission.AgentsWrite)]
    public async Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "api/v1/agents/{id:guid}")] HttpRequest req, Guid id) =>
        await AgentsApi.UpdateAsync(id, await Bind.BodyAsync<AgentsApi.UpdateAgentRequest>(req), Bind.CallerOf(req), db, effects, Bind.Aborted(req));

    [Function("AgentsArchive"), Requires(Permission.AgentsWrite)]
    public async Task<IResult> Archive([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/agents/{id:guid}")] HttpRequest req, Guid id) =>
        await AgentsApi.ArchiveAsync(id, Bind.CallerOf(req), db, directory, Bind.Aborted(req));
}
