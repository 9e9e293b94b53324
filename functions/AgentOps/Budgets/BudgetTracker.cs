using AgentOps.Agents;
using AgentOps.Audit;
using AgentOps.Contracts;
using AgentOps.Controls;
using AgentOps.Notifications;
using AgentOps.Platform.Events;

namespace AgentOps.Budgets;

/// <summary>A budget as stored; <see cref="Check"/> makes one from what a caller gave.</summary>
public sealed record Budget(Guid Id, string Name, string Scope, string? Team, Guid? AgentId, BudgetPeriod Period, int? RollingDays, long MaxMicros,
    int[] Thresholds, int? AutoPauseAtPercent, bool Active, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public const string Columns = "b.id, b.name, b.scope, b.team, b.agent_id, b.period, b.rolling_days, b.max_micros, b.thresholds, b.auto_pause_at_percent, b.active, b.created_at, b.updated_at";

    public static Budget Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetString(2), r.NullableString(3), r.NullableGuid(4),
        BudgetRules.ParsePeriod(r.GetString(5))!.Value, r.IsDBNull(6) ? null : r.GetInt32(6), r.GetInt64(7), (int[])r[8], r.IsDBNull(9) ? null : r.GetInt32(9),
        r.GetBoolean(10), r.Time(11), r.Time(12));

    /// <summary>A budget as it would be stored, or every error with its path.</summary>
    public static Budget Check(Validation v, Guid id, string? name, string? scope, string? team, Guid? agentId, string? period, int? rollingDays,
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
}

/// <summary>
/// Keeps budgets' spend as costs are processed, and acts when a threshold is reached. Reacts to
/// <see cref="CostsAccrued"/> in the ingest worker's transaction, right after the merge, so spend, alerts and pauses
/// commit with the events that caused them, or not at all.
/// Exactly once per period, also under concurrent workers: each worker locks the budgets it adds to (in id order)
/// before adding, so the next one sums the spend including the first's; the alert's primary key refuses a second row.
/// A budget created or re-scoped is filled from cost_daily under an exclusive per-organization lock that workers take
/// shared, so a cost is counted either by the fill or by the worker, never both, never neither.
/// </summary>
public static class BudgetTracker
{
    /// <summary>The advisory lock space ('BUDG') for the per-organization spend lock.</summary>
    private const int LockSpace = 0x42554447;

    public static Task LockSpendAsync(Tx tx, bool exclusive, CancellationToken ct) =>
        tx.ExecuteAsync(exclusive ? "SELECT pg_advisory_xact_lock($1, hashtext($2))" : "SELECT pg_advisory_xact_lock_shared($1, hashtext($2))",
            ct, LockSpace, tx.OrgId.ToString());

    /// <summary>The organization's calendar day now (its time zone).</summary>
    public static async Task<DateOnly> TodayAsync(Tx tx, CancellationToken ct) =>
        (await tx.ListAsync("SELECT (now() AT TIME ZONE timezone)::date FROM organizations WHERE id = $1", r => r.GetFieldValue<DateOnly>(0), ct, tx.OrgId))[0];

    /// <summary>Adds the new costs to every active budget whose scope covers them, then checks those budgets.</summary>
    public static async Task AddNewCostsAsync(Tx tx, IReadOnlyList<AccruedCost> costs, CancellationToken ct)
    {
        if (costs.Count == 0) return;
        var agentIds = costs.Select(c => c.AgentId).ToArray();
        await LockSpendAsync(tx, exclusive: false, ct);
        var budgets = await tx.ListAsync($"""
            SELECT {Budget.Columns} FROM budgets b
            WHERE b.org_id = $1 AND b.active
              AND (b.scope = 'org' OR b.agent_id = ANY($2) OR b.team IN (SELECT a.team FROM agents a WHERE a.id = ANY($2)))
            ORDER BY b.id FOR NO KEY UPDATE
            """, Budget.Read, ct, tx.OrgId, agentIds);
        if (budgets.Count == 0) return;
        await tx.ExecuteAsync("""
            INSERT INTO budget_spend (org_id, budget_id, day, spent_micros)
            SELECT $1, b.id, n.day, sum(n.cost_micros)
            FROM unnest($3::uuid[], $4::date[], $5::bigint[]) AS n (agent_id, day, cost_micros) JOIN agents a ON a.id = n.agent_id
            JOIN budgets b ON b.id = ANY($2) AND (b.scope = 'org' OR b.agent_id = n.agent_id OR b.team = a.team)
            GROUP BY b.id, n.day ORDER BY b.id, n.day
            ON CONFLICT (budget_id, day) DO UPDATE SET spent_micros = budget_spend.spent_micros + excluded.spent_micros
            """, ct, tx.OrgId, budgets.Select(b => b.Id).ToArray(), agentIds, costs.Select(c => c.Day).ToArray(), costs.Select(c => c.Micros).ToArray());
        var today = await TodayAsync(tx, ct);
        foreach (var budget in budgets) await CheckAsync(tx, budget, today, ct);
    }

    /// <summary>
    /// Recomputes a budget's spend per day from cost_daily over the last 366 days (its longest window). The caller
    /// holds the exclusive spend lock.
    /// </summary>
    public static async Task FillAsync(Tx tx, Budget budget, DateOnly today, CancellationToken ct)
    {
        await tx.ExecuteAsync("DELETE FROM budget_spend WHERE budget_id = $1", ct, budget.Id);
        await tx.ExecuteAsync("""
            INSERT INTO budget_spend (org_id, budget_id, day, spent_micros)
            SELECT $1, $2, c.day, sum(c.cost_micros)
            FROM cost_daily c JOIN agents a ON a.id = c.agent_id
            WHERE c.org_id = $1 AND c.day > $3::date - 366
              AND ($4 = 'org' OR $4 = 'agent' AND c.agent_id = $5 OR $4 = 'team' AND a.team = $6)
            GROUP BY c.day HAVING sum(c.cost_micros) <> 0
            """, ct, tx.OrgId, budget.Id, today, budget.Scope, budget.AgentId, budget.Team);
    }

    public sealed record Spend(BudgetWindow Window, long SpentMicros);

    public static async Task<Spend> SpendAsync(Tx tx, Budget budget, DateOnly today, CancellationToken ct)
    {
        var window = BudgetRules.Window(budget.Period, budget.RollingDays, today);
        var spent = await tx.ScalarAsync<long>("SELECT coalesce(sum(spent_micros), 0)::bigint FROM budget_spend WHERE budget_id = $1 AND day >= $2 AND day < $3",
            ct, budget.Id, window.Start, window.End);
        return new Spend(window, spent);
    }

    /// <summary>
    /// Fires the thresholds the period's spend has reached and not yet fired (a notification and an audit row), and
    /// auto-pauses once per period: the kill switch for an organization budget, the scope's agents otherwise (their
    /// pending approvals are rejected by the reactions to that). The budget itself is the actor.
    /// </summary>
    public static async Task CheckAsync(Tx tx, Budget budget, DateOnly today, CancellationToken ct)
    {
        if (!budget.Active) return;
        var (window, spent) = await SpendAsync(tx, budget, today, ct);
        var periodStart = BudgetRules.AlertPeriodStart(budget.Period, window, today);
        var actor = new Actor(ActorType.System, budget.Id, new RequestInfo(null, "budget"));
        var usd = spent / 1_000_000m;
        var maxUsd = budget.MaxMicros / 1_000_000m;

        var fired = await FireAsync(tx, budget, "threshold", BudgetRules.ReachedThresholds(budget.Thresholds, spent, budget.MaxMicros), periodStart, spent, ct);
        if (fired.Count > 0)
        {
            var top = fired.Max();
            var data = new { budget_id = budget.Id, budget.Name, thresholds = fired, spent_usd = usd, max_usd = maxUsd, period_start = window.Start, period_end = window.End };
            await AuditLog.RecordAsync(tx, actor, "budget.threshold_reached", "budget", budget.Id, null, data, ct);
            await Notifier.PublishAsync(tx, new Notice("budget.threshold", top >= 100 ? "critical" : "warning",
                $"Budget \"{budget.Name}\" reached {top} %", $"${usd:0.00} of ${maxUsd:0.00} spent this period.", data, "budget", budget.Id.ToString()), ct);
        }

        if (budget.AutoPauseAtPercent is not { } pausePercent || !BudgetRules.Reached(pausePercent, spent, budget.MaxMicros)) return;
        if ((await FireAsync(tx, budget, "auto_pause", [pausePercent], periodStart, spent, ct)).Count == 0) return;
        var reason = $"Budget \"{budget.Name}\" reached {pausePercent} % (${usd:0.00} of ${maxUsd:0.00}).";
        if (reason.Length > 500) reason = reason[..500];
        var paused = budget.Scope == "org"
            ? (await EmergencyControls.KillAsync(tx, actor, reason, ct)).Agents
            : await AgentStatus.PauseAsync(tx, actor, await tx.ListAsync(
                "SELECT id FROM agents WHERE org_id = $1 AND status = 'active' AND ($2 = 'agent' AND id = $3 OR $2 = 'team' AND team = $4)",
                r => r.GetGuid(0), ct, tx.OrgId, budget.Scope, budget.AgentId, budget.Team), reason, "control.agent_paused", ct);
        await Notifier.PublishAsync(tx, new Notice("budget.auto_paused", "critical", $"Budget \"{budget.Name}\" paused {Agents(budget, paused.Count)}",
            reason, new { budget_id = budget.Id, budget.Name, paused_agents = paused, kill_switch = budget.Scope == "org", spent_usd = usd, max_usd = maxUsd },
            "budget", budget.Id.ToString()), ct);
    }

    private static string Agents(Budget budget, int count) => budget.Scope == "org" ? "the organization (kill switch)" : count == 1 ? "1 agent" : $"{count} agents";

    /// <summary>Records the given alerts unless already recorded for the period (rolling: within the last window); returns those recorded now.</summary>
    private static Task<List<int>> FireAsync(Tx tx, Budget budget, string kind, int[] percents, DateOnly periodStart, long spent, CancellationToken ct) =>
        percents.Length == 0 ? Task.FromResult(new List<int>()) : tx.ListAsync("""
            INSERT INTO budget_alerts (org_id, budget_id, period_start, kind, threshold, spent_micros, max_micros)
            SELECT $1, $2, $3, $4, t, $6, $7 FROM unnest($5::int[]) AS t
            WHERE $8::int IS NULL OR NOT EXISTS (
              SELECT 1 FROM budget_alerts x WHERE x.budget_id = $2 AND x.kind = $4 AND x.threshold = t AND x.period_start > $3::date - $8::int)
            ORDER BY t
            ON CONFLICT DO NOTHING RETURNING threshold
            """, r => r.GetInt32(0), ct, tx.OrgId, budget.Id, periodStart, kind, percents, spent, budget.MaxMicros,
            budget.Period == BudgetPeriod.Rolling ? budget.RollingDays : null);
}

/// <summary>Budgets follow the money: the cost an ingest merge accrued goes to the spend of every budget that covers it.</summary>
public sealed class AddAccruedCostToBudgets : IReaction<CostsAccrued>
{
    public Task ReactAsync(Tx tx, CostsAccrued e, CancellationToken ct) => BudgetTracker.AddNewCostsAsync(tx, e.Costs, ct);
}
