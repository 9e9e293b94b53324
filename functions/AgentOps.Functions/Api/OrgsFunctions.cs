using AgentOps.Ingest;
using AgentOps.Tenancy;

namespace AgentOps.Functions.Api;

/// <summary>GET|PATCH /api/v1/orgs/profile (OrgsApi).</summary>
public sealed class OrgsFunctions(Db db, IngestRateLimits rates)
{
    [Function("OrgsGetProfile"), Requires(Permission.OrgRead)]
    public async Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/orgs/profile")] HttpRequest req) =>
        await OrgsApi.GetAsync(Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("OrgsUpdateProfile"), Requires(Permission.OrgWrite)]
    public async Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "api/v1/orgs/profile")] HttpRequest req) =>
        await OrgsApi.UpdateAsync(await Bind.BodyAsync<OrgsApi.UpdateOrgRequest>(req), Bind.CallerOf(req), db, rates, Bind.Aborted(req));
}
