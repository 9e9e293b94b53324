namespace AgentOps.Budgets;

public sealed record BudgetStatus(DateOnly PeriodStart, DateOnly PeriodEnd, decimal SpentUsd, decimal RemainingUsd, decimal Percent, string State,
    decimal? ProjectedUsd, int[] ThresholdsReached, bool AutoPaused);

public sealed record BudgetView(Guid Id, string Name, string Scope, string? Team, Guid? AgentId, string Period, int? RollingDays, decimal MaxAmountUsd,
    int[] Thresholds, int? AutoPauseAtPercent, bool Active, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, BudgetStatus? Status)
{
    public static BudgetView Of(Budget b, BudgetStatus? status) => new(b.Id, b.Name, b.Scope, b.Team, b.AgentId, BudgetRules.ToWire(b.Period), b.RollingDays,
        b.MaxMicros / 1_000_000m, b.Thresholds, b.AutoPauseAtPercent, b.Active, b.CreatedAt, b.UpdatedAt, status);
}

/// <summary>Budgets as the API and other features show them: each with its spend and state this period.</summary>
public static class BudgetViews
{
    public static async Task<BudgetStatus> StatusAsync(Tx tx, Budget budget, DateOnly today, CancellationToken ct)
    {
        var (window, spent) = await BudgetTracker.SpendAsync(tx, budget, today, ct);
        var autoPaused = await tx.ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM budget_alerts WHERE budget_id = $1 AND kind = 'auto_pause' AND period_start >= $2)", ct, budget.Id, window.Start);
        var projected = BudgetRules.Projected(budget.Period, window, today, spent);
        return new BudgetStatus(window.Start, window.End, spent / 1_000_000m, Math.Max(0, budget.MaxMicros - spent) / 1_000_000m,
            Math.Round(spent * 100m / budget.MaxMicros, 2), BudgetRules.Status(budget.Thresholds, spent, budget.MaxMicros),
            projected / 1_000_000m, BudgetRules.ReachedThresholds(budget.Thresholds, spent, budget.MaxMicros), autoPaused);
    }

    /// <summary>The organization's active budgets by name, each with its status today (the cost summary shows them).</summary>
    public static async Task<List<BudgetView>> ActiveAsync(Tx tx, CancellationToken ct)
    {
        var today = await BudgetTracker.TodayAsync(tx, ct);
        var budgets = await tx.ListAsync($"SELECT {Budget.Columns} FROM budgets b WHERE b.org_id = $1 AND b.active ORDER BY b.name", Budget.Read, ct, tx.OrgId);
        var views = new List<BudgetView>(budgets.Count);
        foreach (var b in budgets) views.Add(BudgetView.Of(b, await StatusAsync(tx, b, today, ct)));
        return views;
    }
}
