using AgentOps.Costs;

namespace AgentOps.Functions.Api;

/// <summary>/api/v1/model-prices (PricesApi).</summary>
public sealed class PricesFunctions(Db db, PriceBook book, TimeProvider time)
{
    [Function("ModelPricesList"), Requires(Permission.OrgRead)]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/model-prices")] HttpRequest req) =>
        await PricesApi.ListAsync(Bind.CallerOf(req), db, Bind.QueryInt(req, "limit"), Bind.Query(req, "cursor"), Bind.Aborted(req));

    [Function("ModelPricesCreate"), Requires(Permission.OrgWrite)]
    public async Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/model-prices")] HttpRequest req) =>
        await PricesApi.CreateAsync(await Bind.BodyAsync<PricesApi.CreatePriceRequest>(req), Bind.CallerOf(req), db, book, time, Bind.Aborted(req));

    [Function("ModelPricesDelete"), Requires(Permission.OrgWrite)]
    public async Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/model-prices/{id:guid}")] HttpRequest req, Guid id) =>
        await PricesApi.DeleteAsync(id, Bind.CallerOf(req), db, book, Bind.Aborted(req));
}
