namespace AgentOps.Budgets;

/// <summary>The budgets API over HTTP: binding, shape checks and answers; <see cref="BudgetService"/> holds the use cases.</summary>
public static class BudgetsApi
{
    public static void MapBudgetsApi(this RouteGroupBuilder api)
    {
        var budgets = api.MapGroup("/budgets").WithTags("Budgets");
        budgets.MapPost("/", CreateAsync).Requires(Permission.BudgetsWrite).WithName("createBudget").Problems(409).WithSummary("Create a budget");
        budgets.MapGet("/", ListAsync).Requires(Permission.CostsRead).WithName("listBudgets").WithSummary("Budgets with their current period's status");
        budgets.MapGet("/{id:guid}", GetAsync).Requires(Permission.CostsRead).WithName("getBudget").WithSummary("A budget: status, daily spend this period, alerts fired");
        budgets.MapPatch("/{id:guid}", UpdateAsync).Requires(Permission.BudgetsWrite).WithName("updateBudget").Problems(409).WithSummary("Change a budget (absent fields stay)");
        budgets.MapDelete("/{id:guid}", DeleteAsync).Requires(Permission.BudgetsWrite).WithName("deleteBudget").WithSummary("Delete a budget");
    }

    public sealed record BudgetRequest(string? Name, string? Scope, string? Team, Guid? AgentId, string? Period, int? RollingDays, decimal? MaxAmountUsd,
        int[]? Thresholds, int? AutoPauseAtPercent, bool? Active);

    public sealed record UpdateBudgetRequest(Optional<string> Name, Optional<string> Scope, Optional<string> Team, Optional<Guid?> AgentId,
        Optional<string> Period, Optional<int?> RollingDays, Optional<decimal> MaxAmountUsd, Optional<int[]> Thresholds, Optional<int?> AutoPauseAtPercent,
        Optional<bool> Active);

    public static async Task<Created<BudgetView>> CreateAsync(BudgetRequest body, Caller caller, BudgetService budgets, CancellationToken ct)
    {
        var draft = Budget.Check(new Validation(), Guid.CreateVersion7(), body.Name, body.Scope, body.Team, body.AgentId, body.Period, body.RollingDays,
            body.MaxAmountUsd, body.Thresholds, body.AutoPauseAtPercent, body.Active ?? true);
        return TypedResults.Created((string?)null, await budgets.CreateAsync(caller, draft, ct));
    }

    public static async Task<Ok<Page<BudgetView>>> ListAsync(Caller caller, BudgetService budgets, string? scope, bool? active, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        return TypedResults.Ok(Paging.Of(await budgets.PageAsync(caller.OrgId, scope, active, after, take + 1, ct), take, b => b.Id));
    }

    public static async Task<Ok<BudgetDetail>> GetAsync(Guid id, Caller caller, BudgetService budgets, CancellationToken ct) =>
        TypedResults.Ok(await budgets.GetAsync(caller.OrgId, id, ct));

    /// <summary>Absent fields stay; a change of scope or period drops the target or day count that no longer applies, unless given.</summary>
    public static async Task<Ok<BudgetView>> UpdateAsync(Guid id, UpdateBudgetRequest body, Caller caller, BudgetService budgets, CancellationToken ct) =>
        TypedResults.Ok(await budgets.UpdateAsync(caller, id, before =>
        {
            var scope = body.Scope.Or(before.Scope);
            var period = body.Period.Or(BudgetRules.ToWire(before.Period));
            var team = body.Team.IsSet ? body.Team.Value : scope == "team" ? before.Team : null;
            var agentId = body.AgentId.IsSet ? body.AgentId.Value : scope == "agent" ? before.AgentId : null;
            var rollingDays = body.RollingDays.IsSet ? body.RollingDays.Value : period == "rolling" ? before.RollingDays : null;
            return Budget.Check(new Validation(), id, body.Name.Or(before.Name), scope, team, agentId, period, rollingDays,
                body.MaxAmountUsd.IsSet ? body.MaxAmountUsd.Value : before.MaxMicros / 1_000_000m, body.Thresholds.IsSet ? body.Thresholds.Value : before.Thresholds,
                body.AutoPauseAtPercent.IsSet ? body.AutoPauseAtPercent.Value : before.AutoPauseAtPercent, body.Active.IsSet ? body.Active.Value : before.Active);
        }, ct));

    public static async Task<NoContent> DeleteAsync(Guid id, Caller caller, BudgetService budgets, CancellationToken ct)
    {
        await budgets.DeleteAsync(caller, id, ct);
        return TypedResults.NoContent();
    }
}
