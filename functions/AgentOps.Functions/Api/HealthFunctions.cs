using AgentOps.Health;

namespace AgentOps.Functions.Api;

/// <summary>GET /api/health and /api/health/ready (HealthApi).</summary>
public sealed class HealthFunctions(Db db)
{
    [Function("Health"), AnonymousRoute]
    public IResult Live([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health")] HttpRequest req) => HealthApi.Live();

    [Function("HealthReady"), AnonymousRoute]
    public async Task<IResult> Ready([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/health/ready")] HttpRequest req) =>
        await HealthApi.ReadyAsync(db, Bind.Aborted(req));
}
