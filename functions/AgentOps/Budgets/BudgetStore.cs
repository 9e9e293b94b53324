namespace AgentOps.Budgets;

public sealed record DaySpend(DateOnly Day, decimal SpentUsd);
public sealed record AlertView(DateOnly PeriodStart, string Kind, int Threshold, decimal SpentUsd, decimal MaxAmountUsd, DateTimeOffset FiredAt);
public sealed record BudgetDetail(BudgetView Budget, IReadOnlyList<DaySpend> Daily, IReadOnlyList<AlertView> Alerts);

/// <summary>The SQL behind the budgets API, in the caller's transaction and organization (spend and alerts as they accrue: BudgetTracker).</summary>
public static class BudgetStore
{
    /// <summary>The unique key that makes a budget's name one per organization.</summary>
    public const string NameKey = "budgets_org_name_key";

    public static Task<long> CountAsync(Tx tx, CancellationToken ct) => tx.ScalarAsync<long>("SELECT count(*) FROM budgets WHERE org_id = $1", ct, tx.OrgId);

    public static async Task<Budget> InsertAsync(Tx tx, Budget draft, CancellationToken ct) =>
        (await tx.SingleAsync($"""
            INSERT INTO budgets AS b (id, org_id, name, scope, team, agent_id, period, rolling_days, max_micros, thresholds, auto_pause_at_percent, active)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {Budget.Columns}
            """, Budget.Read, ct, draft.Id, tx.OrgId, draft.Name, draft.Scope, draft.Team, draft.AgentId, BudgetRules.ToWire(draft.Period),
            draft.RollingDays, draft.MaxMicros, draft.Thresholds, draft.AutoPauseAtPercent, draft.Active))!;

    public static Task<List<Budget>> PageAsync(Tx tx, string? scope, bool? active, Guid after, int take, CancellationToken ct) =>
        tx.ListAsync($"""
            SELECT {Budget.Columns} FROM budgets b WHERE b.org_id = $1 AND b.id > $2 AND ($3::text IS NULL OR b.scope = $3)
              AND ($4::boolean IS NULL OR b.active = $4) ORDER BY b.id LIMIT $5
            """, Budget.Read, ct, tx.OrgId, after, scope, active, take);

    public static Task<Budget?> ReadAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {Budget.Columns} FROM budgets b WHERE b.id = $1 AND b.org_id = $2", Budget.Read, ct, id, tx.OrgId);

    public static Task<Budget?> LockAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {Budget.Columns} FROM budgets b WHERE b.id = $1 AND b.org_id = $2 FOR UPDATE", Budget.Read, ct, id, tx.OrgId);

    public static async Task<Budget> UpdateAsync(Tx tx, Budget draft, CancellationToken ct) =>
        (await tx.SingleAsync($"""
            UPDATE budgets b SET name = $3, scope = $4, team = $5, agent_id = $6, period = $7, rolling_days = $8, max_micros = $9, thresholds = $10,
                   auto_pause_at_percent = $11, active = $12, updated_at = now()
            WHERE b.id = $1 AND b.org_id = $2 RETURNING {Budget.Columns}
            """, Budget.Read, ct, draft.Id, tx.OrgId, draft.Name, draft.Scope, draft.Team, draft.AgentId, BudgetRules.ToWire(draft.Period), draft.RollingDays,
            draft.MaxMicros, draft.Thresholds, draft.AutoPauseAtPercent, draft.Active))!;

    public static Task DeleteAsync(Tx tx, Guid id, CancellationToken ct) => tx.ExecuteAsync("DELETE FROM budgets WHERE id = $1 AND org_id = $2", ct, id, tx.OrgId);

    /// <summary>Spend per day from <paramref name="from"/> until <paramref name="until"/> (excluded), days without spend included as 0.</summary>
    public static Task<List<DaySpend>> DailyAsync(Tx tx, Guid id, DateOnly from, DateOnly until, CancellationToken ct) =>
        tx.ListAsync("""
            SELECT d::date, coalesce(s.spent_micros, 0) FROM generate_series($2::date, $3::date - 1, interval '1 day') d
            LEFT JOIN budget_spend s ON s.budget_id = $1 AND s.day = d::date ORDER BY 1
            """, r => new DaySpend(r.GetFieldValue<DateOnly>(0), r.GetInt64(1) / 1_000_000m), ct, id, from, until);

    public static Task<List<AlertView>> AlertsAsync(Tx tx, Guid id, int take, CancellationToken ct) =>
        tx.ListAsync("""
            SELECT period_start, kind, threshold, spent_micros, max_micros, fired_at FROM budget_alerts WHERE budget_id = $1
            ORDER BY fired_at DESC, threshold DESC LIMIT $2
            """, r => new AlertView(r.GetFieldValue<DateOnly>(0), r.GetString(1), r.GetInt32(2), r.GetInt64(3) / 1_000_000m, r.GetInt64(4) / 1_000_000m, r.Time(5)),
            ct, id, take);

    /// <summary>Forgets the alerts fired since <paramref name="from"/>, so they (and the auto-pause) fire again against new limits.</summary>
    public static Task RearmAlertsAsync(Tx tx, Guid id, DateOnly from, CancellationToken ct) =>
        tx.ExecuteAsync("DELETE FROM budget_alerts WHERE budget_id = $1 AND period_start >= $2", ct, id, from);

    public static Task<bool> AgentExistsAsync(Tx tx, Guid agentId, CancellationToken ct) =>
        tx.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM agents WHERE id = $1 AND org_id = $2)", ct, agentId, tx.OrgId);
}
