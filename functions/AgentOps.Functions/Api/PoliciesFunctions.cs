using AgentOps.Policies;

namespace AgentOps.Functions.Api;

/// <summary>/api/v1/policies (PoliciesApi).</summary>
public sealed class PoliciesFunctions(Db db, OrgPolicyCache cache)
{
    [Function("PoliciesTemplates"), Requires(Permission.PoliciesRead)]
    public IResult Templates([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/policies/templates")] HttpRequest req) =>
        TypedResults.Ok(PolicyTemplates.All);

    [Function("PoliciesCreate"), Requires(Permission.PoliciesWrite)]
    public async Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/policies")] HttpRequest req) =>
        await PoliciesApi.CreateAsync(await Bind.BodyAsync<PoliciesApi.PolicyRequest>(req), Bind.CallerOf(req), db, cache, Bind.Aborted(req));

    [Function("PoliciesList"), Requires(Permission.PoliciesRead)]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/policies")] HttpRequest req) =>
        await PoliciesApi.ListAsync(Bind.CallerOf(req), db, Bind.QueryBool(req, "active"), Bind.QueryInt(req, "limit"), Bind.Query(req, "cursor"), Bind.Aborted(req));

    [Function("PoliciesGet"), Requires(Permission.PoliciesRead)]
    public async Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/policies/{id:guid}")] HttpRequest req, Guid id) =>
        await PoliciesApi.GetAsync(id, Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("PoliciesUpdate"), Requires(Permission.PoliciesWrite)]
    public async Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "api/v1/policies/{id:guid}")] HttpRequest req, Guid id) =>
        await PoliciesApi.UpdateAsync(id, await Bind.BodyAsync<PoliciesApi.UpdatePolicyRequest>(req), Bind.CallerOf(req), db, cache, Bind.Aborted(req));

    [Function("PoliciesDelete"), Requires(Permission.PoliciesWrite)]
    public async Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/policies/{id:guid}")] HttpRequest req, Guid id) =>
        await PoliciesApi.DeleteAsync(id, Bind.CallerOf(req), db, cache, Bind.Aborted(req));

    [Function("PoliciesEvaluate"), Requires(Permission.PoliciesRead)]
    public async Task<IResult> Evaluate([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/policies/{id:guid}/evaluate")] HttpRequest req, Guid id) =>
        await PoliciesApi.EvaluateAsync(id, await Bind.BodyAsync<PoliciesApi.EvaluateRequest>(req), Bind.CallerOf(req), db, Bind.Aborted(req));
}
