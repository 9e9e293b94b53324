using System.Text.Json;
using AgentOps.Audit;

namespace AgentOps.Budgets;

/// <summary>
/// Budgets: a maximum spend per period for the organization, a team (agents whose team is set) or one agent, with
/// alert thresholds and an optional auto-pause. Each view carries the current period's status.
/// </summary>
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

    /// <summary>Budgets per organization, at most.</summary>
    public const int MaxBudgets = 500;

    public sealed record BudgetRequest(string? Name, string? Scope, string? Team, Guid? AgentId, string? Period, int? RollingDays, decimal? MaxAmountUsd,
        int[]? Thresholds, int? AutoPauseAtPercent, bool? Active);

    public sealed record UpdateBudgetRequest(Optional<string> Name, Optional<string> Scope, Optional<string> Team, Optional<Guid?> AgentId,
        Optional<string> Period, Optional<int?> RollingDays, Optional<decimal> MaxAmountUsd, Optional<int[]> Thresholds, Optional<int?> AutoPauseAtPercent,
        Optional<bool> Active);

    public sealed record DaySpend(DateOnly Day, decimal SpentUsd);
    public sealed record AlertView(DateOnly PeriodStart, string Kind, int Threshold, decimal SpentUsd, decimal MaxAmountUsd, DateTimeOffset FiredAt);
    public sealed record BudgetDetail(BudgetView Budget, IReadOnlyList<DaySpend> Daily, IReadOnlyList<AlertView> Alerts);

    /// <summary>A budget as it would be stored, or every error with its path.</summary>
    private static Budget Check(Validation v, Guid id, string? name, string? scope, string? team, Guid? agentId, string? period, int? rollingDays,
        decimal? maxUsd, int[]? thresholds, int? autoPause, bool active)
    {
        v.RequiredText("$.name", name, 200);
        if (scope is not ("org" or "team" or "agent")) v.Add("$.scope", "must be org, team or agent.");
        if (scope == "team") v.RequiredText("$.team", team, 100);
        else if (team is not null) v.Add("$.team", "belongs to team budgets only.");
        if (scope == "agent" && agentId is null) v.Add("$.agent_id", "is required for an agent budget.");
        else if (scope != "agent" && agentId is not null) v.Add("$.agent_id", "belongs to agent budgets only.");
        var parsedPeriod = BudgetRules.ParsePeriod(period);
        if (parsedPeriod is null) v.Add("$.period", "must be daily, weekly, monthly or rolling.");
        if (parsedPeriod == BudgetPeriod.Rolling && rollingDays is not (>= 1 and <= 366)) v.Add("$.rolling_days", "must be from 1 to 366 for a rolling budget.");
        else if (parsedPeriod is not null and not BudgetPeriod.Rolling && rollingDays is not null) v.Add("$.rolling_days", "belongs to rolling budgets only.");
        var micros = maxUsd is { } usd ? BudgetRules.MaxMicros(usd) : null;
        if (maxUsd is null) v.Add("$.max_amount_usd", "is required.");
        else if (micros is null) v.Add("$.max_amount_usd", $"must be more than 0 and at most {BudgetRules.MaxAmountUsd:0}.");
        thresholds ??= BudgetRules.DefaultThresholds;
        if (thresholds.Length > BudgetRules.MaxThresholds) v.Add("$.thresholds", $"holds at most {BudgetRules.MaxThresholds} percentages.");
        for (var i = 0; i < thresholds.Length; i++)
            if (thresholds[i] is < 1 or > BudgetRules.MaxPercent) v.Add($"$.thresholds[{i}]", $"must be a percentage from 1 to {BudgetRules.MaxPercent}.");
        if (autoPause is < 1 or > BudgetRules.MaxPercent) v.Add("$.auto_pause_at_percent", $"must be a percentage from 1 to {BudgetRules.MaxPercent}.");
        v.ThrowIfInvalid();
        return new Budget(id, name!.Trim(), scope!, scope == "team" ? team!.Trim() : null, agentId, parsedPeriod!.Value,
            parsedPeriod == BudgetPeriod.Rolling ? rollingDays : null, micros!.Value, [.. thresholds.Distinct().Order()], autoPause, active, default, default);
    }

    private static async Task CheckAgentAsync(Tx tx, Budget budget, CancellationToken ct)
    {
        if (budget.AgentId is { } agentId && !await tx.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM agents WHERE id = $1 AND org_id = $2)", ct, agentId, tx.OrgId))
            throw ApiProblem.Validation(new Dictionary<string, string[]> { ["$.agent_id"] = ["is not an agent of this organization."] });
    }

    public static async Task<Created<BudgetView>> CreateAsync(BudgetRequest body, Caller caller, Db db, CancellationToken ct)
    {
        var draft = Check(new Validation(), Guid.CreateVersion7(), body.Name, body.Scope, body.Team, body.AgentId, body.Period, body.RollingDays,
            body.MaxAmountUsd, body.Thresholds, body.AutoPauseAtPercent, body.Active ?? true);
        try
        {
            var created = await db.InOrgAsync(caller.OrgId, async tx =>
            {
                await CheckAgentAsync(tx, draft, ct);
                if (await tx.ScalarAsync<long>("SELECT count(*) FROM budgets WHERE org_id = $1", ct, tx.OrgId) >= MaxBudgets)
                    throw ApiProblem.Conflict("budget_limit", $"An organization has at most {MaxBudgets} budgets.");
                // Exclusive against the workers' shared lock: the fill below and the workers count every cost once.
                await BudgetTracker.LockSpendAsync(tx, exclusive: true, ct);
                var budget = (await tx.SingleAsync($"""
                    INSERT INTO budgets AS b (id, org_id, name, scope, team, agent_id, period, rolling_days, max_micros, thresholds, auto_pause_at_percent, active)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {Budget.Columns}
                    """, Budget.Read, ct, draft.Id, tx.OrgId, draft.Name, draft.Scope, draft.Team, draft.AgentId, BudgetRules.ToWire(draft.Period),
                    draft.RollingDays, draft.MaxMicros, draft.Thresholds, draft.AutoPauseAtPercent, draft.Active))!;
                await AuditLog.RecordAsync(tx, Actor.Of(caller), "budget.created", "budget", budget.Id, null, BudgetView.Of(budget, null), ct);
                var today = await BudgetTracker.TodayAsync(tx, ct);
                await BudgetTracker.FillAsync(tx, budget, today, ct);
                await BudgetTracker.CheckAsync(tx, budget, today, ct);
                return BudgetView.Of(budget, await BudgetViews.StatusAsync(tx, budget, today, ct));
            }, ct);
            return TypedResults.Created((string?)null, created);
        }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "budgets_org_name_key" })
        {
            throw ApiProblem.Conflict("budget_exists", "A budget with this name exists in this organization.");
        }
    }

    public static async Task<Ok<Page<BudgetView>>> ListAsync(Caller caller, Db db, string? scope, bool? active, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var rows = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var budgets = await tx.ListAsync($"""
                SELECT {Budget.Columns} FROM budgets b WHERE b.org_id = $1 AND b.id > $2 AND ($3::text IS NULL OR b.scope = $3)
                  AND ($4::boolean IS NULL OR b.active = $4) ORDER BY b.id LIMIT $5
                """, Budget.Read, ct, tx.OrgId, after, scope, active, take + 1);
            var today = await BudgetTracker.TodayAsync(tx, ct);
            var views = new List<BudgetView>(budgets.Count);
            foreach (var b in budgets) views.Add(BudgetView.Of(b, await BudgetViews.StatusAsync(tx, b, today, ct)));
            return views;
        }, ct);
        return TypedResults.Ok(Paging.Of(rows, take, b => b.Id));
    }

    /// <summary>Alerts fired, newest first, at most this many in a budget's detail.</summary>
    public const int AlertHistory = 100;

    public static async Task<Ok<BudgetDetail>> GetAsync(Guid id, Caller caller, Db db, CancellationToken ct) =>
        TypedResults.Ok(await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var budget = await tx.SingleAsync($"SELECT {Budget.Columns} FROM budgets b WHERE b.id = $1 AND b.org_id = $2", Budget.Read, ct, id, tx.OrgId)
                ?? throw ApiProblem.NotFound("budget");
            var today = await BudgetTracker.TodayAsync(tx, ct);
            var status = await BudgetViews.StatusAsync(tx, budget, today, ct);
            var daily = await tx.ListAsync("""
                SELECT d::date, coalesce(s.spent_micros, 0) FROM generate_series($2::date, $3::date - 1, interval '1 day') d
                LEFT JOIN budget_spend s ON s.budget_id = $1 AND s.day = d::date ORDER BY 1
                """, r => new DaySpend(r.GetFieldValue<DateOnly>(0), r.GetInt64(1) / 1_000_000m), ct, id, status.PeriodStart, status.PeriodEnd);
            var alerts = await tx.ListAsync("""
                SELECT period_start, kind, threshold, spent_micros, max_micros, fired_at FROM budget_alerts WHERE budget_id = $1
                ORDER BY fired_at DESC, threshold DESC LIMIT $2
                """, r => new AlertView(r.GetFieldValue<DateOnly>(0), r.GetString(1), r.GetInt32(2), r.GetInt64(3) / 1_000_000m, r.GetInt64(4) / 1_000_000m, r.Time(5)),
                ct, id, AlertHistory);
            return new BudgetDetail(BudgetView.Of(budget, status), daily, alerts);
        }, ct));

    public static async Task<Ok<BudgetView>> UpdateAsync(Guid id, UpdateBudgetRequest body, Caller caller, Db db, CancellationToken ct)
    {
        try
        {
            var updated = await db.InOrgAsync(caller.OrgId, async tx =>
            {
                await BudgetTracker.LockSpendAsync(tx, exclusive: true, ct);
                var before = await tx.SingleAsync($"SELECT {Budget.Columns} FROM budgets b WHERE b.id = $1 AND b.org_id = $2 FOR UPDATE", Budget.Read, ct, id, tx.OrgId)
                    ?? throw ApiProblem.NotFound("budget");
                var scope = body.Scope.Or(before.Scope);
                var period = body.Period.Or(BudgetRules.ToWire(before.Period));
                // A change of scope or period drops the target or day count that no longer applies, unless given.
                var team = body.Team.IsSet ? body.Team.Value : scope == "team" ? before.Team : null;
                var agentId = body.AgentId.IsSet ? body.AgentId.Value : scope == "agent" ? before.AgentId : null;
                var rollingDays = body.RollingDays.IsSet ? body.RollingDays.Value : period == "rolling" ? before.RollingDays : null;
                var draft = Check(new Validation(), id, body.Name.Or(before.Name), scope, team, agentId, period, rollingDays,
                    body.MaxAmountUsd.IsSet ? body.MaxAmountUsd.Value : before.MaxMicros / 1_000_000m, body.Thresholds.IsSet ? body.Thresholds.Value : before.Thresholds,
                    body.AutoPauseAtPercent.IsSet ? body.AutoPauseAtPercent.Value : before.AutoPauseAtPercent, body.Active.IsSet ? body.Active.Value : before.Active);
                await CheckAgentAsync(tx, draft, ct);
                var after = (await tx.SingleAsync($"""
                    UPDATE budgets b SET name = $3, scope = $4, team = $5, agent_id = $6, period = $7, rolling_days = $8, max_micros = $9, thresholds = $10,
                           auto_pause_at_percent = $11, active = $12, updated_at = now()
                    WHERE b.id = $1 AND b.org_id = $2 RETURNING {Budget.Columns}
                    """, Budget.Read, ct, id, tx.OrgId, draft.Name, draft.Scope, draft.Team, draft.AgentId, BudgetRules.ToWire(draft.Period), draft.RollingDays,
                    draft.MaxMicros, draft.Thresholds, draft.AutoPauseAtPercent, draft.Active))!;
                var today = await BudgetTracker.TodayAsync(tx, ct);
                if (after.Scope != before.Scope || after.Team != before.Team || after.AgentId != before.AgentId)
                    await BudgetTracker.FillAsync(tx, after, today, ct);
                // New limits are checked afresh: this period's alerts (and auto-pause) are re-armed against them.
                if (after.MaxMicros != before.MaxMicros || !after.Thresholds.SequenceEqual(before.Thresholds) || after.AutoPauseAtPercent != before.AutoPauseAtPercent
                    || after.Period != before.Period || after.RollingDays != before.RollingDays)
                    await tx.ExecuteAsync("DELETE FROM budget_alerts WHERE budget_id = $1 AND period_start >= $2", ct, id,
                        BudgetRules.Window(after.Period, after.RollingDays, today).Start);
                var view = BudgetView.Of(after, null);
                if (JsonSerializer.Serialize(BudgetView.Of(before, null) with { UpdatedAt = default }, Json.Options) != JsonSerializer.Serialize(view with { UpdatedAt = default }, Json.Options))
                    await AuditLog.RecordAsync(tx, Actor.Of(caller), "budget.updated", "budget", id, BudgetView.Of(before, null), view, ct);
                await BudgetTracker.CheckAsync(tx, after, today, ct);
                return BudgetView.Of(after, await BudgetViews.StatusAsync(tx, after, today, ct));
            }, ct);
            return TypedResults.Ok(updated);
        }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "budgets_org_name_key" })
        {
            throw ApiProblem.Conflict("budget_exists", "A budget with this name exists in this organization.");
        }
    }

    public static async Task<NoContent> DeleteAsync(Guid id, Caller caller, Db db, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await tx.SingleAsync($"SELECT {Budget.Columns} FROM budgets b WHERE b.id = $1 AND b.org_id = $2 FOR UPDATE", Budget.Read, ct, id, tx.OrgId)
                ?? throw ApiProblem.NotFound("budget");
            await tx.ExecuteAsync("DELETE FROM budgets WHERE id = $1 AND org_id = $2", ct, id, tx.OrgId);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "budget.deleted", "budget", id, BudgetView.Of(before, null), null, ct);
        }, ct);
        return TypedResults.NoContent();
    }
}
