using System.Text.Json;
using AgentOps.Audit;

namespace AgentOps.Budgets;

/// <summary>
/// Budgets' use cases: a maximum spend per period for the organization, a team (agents whose team is set) or one agent,
/// with alert thresholds and an optional auto-pause. A new or retargeted budget counts the period's spend so far; new
/// limits re-arm this period's alerts; every view carries the current period's status. Every change is audited.
/// </summary>
public sealed class BudgetService(Db db)
{
    /// <summary>Budgets per organization, at most.</summary>
    public const int MaxBudgets = 500;

    /// <summary>Alerts fired, newest first, at most this many in a budget's detail.</summary>
    public const int AlertHistory = 100;

    public Task<BudgetView> CreateAsync(Caller caller, Budget draft, CancellationToken ct) =>
        NamedAsync(db.InOrgAsync(caller.OrgId, async tx =>
        {
            await CheckAgentAsync(tx, draft, ct);
            if (await BudgetStore.CountAsync(tx, ct) >= MaxBudgets)
                throw DomainError.Conflict("budget_limit", $"An organization has at most {MaxBudgets} budgets.");
            // Exclusive against the workers' shared lock: the fill below and the workers count every cost once.
            await BudgetTracker.LockSpendAsync(tx, exclusive: true, ct);
            var budget = await BudgetStore.InsertAsync(tx, draft, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "budget.created", "budget", budget.Id, null, BudgetView.Of(budget, null), ct);
            var today = await BudgetTracker.TodayAsync(tx, ct);
            await BudgetTracker.FillAsync(tx, budget, today, ct);
            await BudgetTracker.CheckAsync(tx, budget, today, ct);
            return BudgetView.Of(budget, await BudgetViews.StatusAsync(tx, budget, today, ct));
        }, ct));

    public Task<List<BudgetView>> PageAsync(Guid orgId, string? scope, bool? active, Guid after, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx =>
        {
            var budgets = await BudgetStore.PageAsync(tx, scope, active, after, take, ct);
            var today = await BudgetTracker.TodayAsync(tx, ct);
            var views = new List<BudgetView>(budgets.Count);
            foreach (var b in budgets) views.Add(BudgetView.Of(b, await BudgetViews.StatusAsync(tx, b, today, ct)));
            return views;
        }, ct);

    public Task<BudgetDetail> GetAsync(Guid orgId, Guid id, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx =>
        {
            var budget = await BudgetStore.ReadAsync(tx, id, ct) ?? throw DomainError.NotFound("budget");
            var status = await BudgetViews.StatusAsync(tx, budget, await BudgetTracker.TodayAsync(tx, ct), ct);
            return new BudgetDetail(BudgetView.Of(budget, status), await BudgetStore.DailyAsync(tx, id, status.PeriodStart, status.PeriodEnd, ct),
                await BudgetStore.AlertsAsync(tx, id, AlertHistory, ct));
        }, ct);

    /// <summary>
    /// Applies <paramref name="edit"/> (which may refuse with <see cref="DomainError.Invalid(IReadOnlyDictionary{string, string[]})"/>)
    /// to the budget as it is, locked against the workers counting spend.
    /// </summary>
    public Task<BudgetView> UpdateAsync(Caller caller, Guid id, Func<Budget, Budget> edit, CancellationToken ct) =>
        NamedAsync(db.InOrgAsync(caller.OrgId, async tx =>
        {
            await BudgetTracker.LockSpendAsync(tx, exclusive: true, ct);
            var before = await BudgetStore.LockAsync(tx, id, ct) ?? throw DomainError.NotFound("budget");
            var draft = edit(before) with { Id = id };
            await CheckAgentAsync(tx, draft, ct);
            var after = await BudgetStore.UpdateAsync(tx, draft, ct);
            var today = await BudgetTracker.TodayAsync(tx, ct);
            if (after.Scope != before.Scope || after.Team != before.Team || after.AgentId != before.AgentId)
                await BudgetTracker.FillAsync(tx, after, today, ct);
            // New limits are checked afresh: this period's alerts (and auto-pause) are re-armed against them.
            if (after.MaxMicros != before.MaxMicros || !after.Thresholds.SequenceEqual(before.Thresholds) || after.AutoPauseAtPercent != before.AutoPauseAtPercent
                || after.Period != before.Period || after.RollingDays != before.RollingDays)
                await BudgetStore.RearmAlertsAsync(tx, id, BudgetRules.Window(after.Period, after.RollingDays, today).Start, ct);
            var view = BudgetView.Of(after, null);
            if (JsonSerializer.Serialize(BudgetView.Of(before, null) with { UpdatedAt = default }, Json.Options) != JsonSerializer.Serialize(view with { UpdatedAt = default }, Json.Options))
                await AuditLog.RecordAsync(tx, Actor.Of(caller), "budget.updated", "budget", id, BudgetView.Of(before, null), view, ct);
            await BudgetTracker.CheckAsync(tx, after, today, ct);
            return BudgetView.Of(after, await BudgetViews.StatusAsync(tx, after, today, ct));
        }, ct));

    public Task DeleteAsync(Caller caller, Guid id, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await BudgetStore.LockAsync(tx, id, ct) ?? throw DomainError.NotFound("budget");
            await BudgetStore.DeleteAsync(tx, id, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "budget.deleted", "budget", id, BudgetView.Of(before, null), null, ct);
        }, ct);

    private static async Task CheckAgentAsync(Tx tx, Budget budget, CancellationToken ct)
    {
        if (budget.AgentId is { } agentId && !await BudgetStore.AgentExistsAsync(tx, agentId, ct))
            throw DomainError.Invalid("$.agent_id", "is not an agent of this organization.");
    }

    /// <summary>A name another budget of the organization has, on create and on rename alike: a conflict, nothing changed.</summary>
    private static async Task<BudgetView> NamedAsync(Task<BudgetView> write)
    {
        try { return await write; }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: BudgetStore.NameKey })
        {
            throw DomainError.Conflict("budget_exists", "A budget with this name exists in this organization.");
        }
    }
}
