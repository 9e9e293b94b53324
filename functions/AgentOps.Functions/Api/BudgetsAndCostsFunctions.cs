using AgentOps.Controls;
using AgentOps.Budgets;
using AgentOps.Costs;

namespace AgentOps.Functions.Api;

/// <summary>/api/v1/budgets (BudgetsApi) and /api/v1/costs (CostsApi).</summary>
public sealed class BudgetsAndCostsFunctions(Db db, ControlEffects effects)
{
    [Function("BudgetsCreate"), Requires(Permission.BudgetsWrite)]
    public async Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/budgets")] HttpRequest req) =>
        await BudgetsApi.CreateAsync(await Bind.BodyAsync<BudgetsApi.BudgetRequest>(req), Bind.CallerOf(req), db, effects, Bind.Aborted(req));

    [Function("BudgetsList"), Requires(Permission.CostsRead)]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/budgets")] HttpRequest req) =>
        await BudgetsApi.ListAsync(Bind.CallerOf(req), db, Bind.Query(req, "scope"), Bind.QueryBool(req, "active"), Bind.QueryInt(req, "limit"),
            Bind.Query(req, "cursor"), Bind.Aborted(req));

    [Function("BudgetsGet"), Requires(Permission.CostsRead)]
    public async Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/budgets/{id:guid}")] HttpRequest req, Guid id) =>
        await BudgetsApi.GetAsync(id, Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("BudgetsUpdate"), Requires(Permission.BudgetsWrite)]
    public async Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "api/v1/budgets/{id:guid}")] HttpRequest req, Guid id) =>
        await BudgetsApi.UpdateAsync(id, await Bind.BodyAsync<BudgetsApi.UpdateBudgetRequest>(req), Bind.CallerOf(req), db, effects, Bind.Aborted(req));

    [Function("BudgetsDelete"), Requires(Permission.BudgetsWrite)]
    public async Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/budgets/{id:guid}")] HttpRequest req, Guid id) =>
        await BudgetsApi.DeleteAsync(id, Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("CostsSummary"), Requires(Permission.CostsRead)]
    public async Task<IResult> Summary([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/costs/summary")] HttpRequest req) =>
        await CostsApi.SummaryAsync(Bind.CallerOf(req), db, Bind.QueryDate(req, "from"), Bind.QueryDate(req, "to"), Bind.Query(req, "format"), Bind.Aborted(req));

    [Function("CostsByAgent"), Requires(Permission.CostsRead)]
    public async Task<IResult> ByAgent([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/costs/by-agent/{id:guid}")] HttpRequest req, Guid id) =>
        await CostsApi.ByAgentAsync(id, Bind.CallerOf(req), db, Bind.QueryDate(req, "from"), Bind.QueryDate(req, "to"), Bind.Query(req, "format"), Bind.Aborted(req));

    [Function("CostsByTeam"), Requires(Permission.CostsRead)]
    public async Task<IResult> ByTeam([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/costs/by-team/{name}")] HttpRequest req, string name) =>
        await CostsApi.ByTeamAsync(name, Bind.CallerOf(req), db, Bind.QueryDate(req, "from"), Bind.QueryDate(req, "to"), Bind.Query(req, "format"), Bind.Aborted(req));
}
