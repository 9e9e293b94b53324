using System.Runtime.CompilerServices;

namespace AgentOps.Costs;

public sealed record Totals(decimal CostUsd, long CostMicros, long TokensIn, long TokensOut, long TokensCached, long Calls, long UnpricedCalls);
public sealed record DayCost(DateOnly Day, decimal CostUsd, long Calls);
public sealed record AgentCost(Guid AgentId, string Name, string? Team, Totals Totals);
public sealed record TeamCost(string? Team, Totals Totals);
public sealed record ModelCost(string? Model, Totals Totals);

public sealed record CostReport(DateOnly From, DateOnly To, string Timezone, string Currency, Totals Total, IReadOnlyList<DayCost> Daily,
    IReadOnlyList<AgentCost> ByAgent, IReadOnlyList<TeamCost> ByTeam, IReadOnlyList<ModelCost> ByModel);

/// <summary>Whose costs a report covers: one agent, one team's agents, or (both null) the whole organization.</summary>
public sealed record CostScope(Guid? AgentId, string? Team);

/// <summary>A checked range of whole days in the organization's calendar, both ends included.</summary>
public sealed record CostRange(DateOnly From, DateOnly To, string Timezone);

/// <summary>One row of the daily rollup: a calendar day of the organization, an agent and a model ("" when none was reported).</summary>
public sealed record CostRollupRow(DateOnly Day, Guid AgentId, string AgentName, string? Team, string Model, long CostMicros, long TokensIn, long TokensOut,
    long TokensCached, long Calls, long UnpricedCalls);

/// <summary>
/// The SQL behind the cost reports, in the caller's transaction and organization. It reads the daily rollup
/// (cost_daily, Ingest's: per calendar day of the organization, agent and model), never events, joined with the agents
/// for their names and teams; the organization's calendar is its timezone.
/// </summary>
public static class CostStore
{
    /// <summary>Today in the organization's calendar, and its timezone.</summary>
    public static async Task<(DateOnly Today, string Timezone)> TodayAsync(Tx tx, CancellationToken ct) =>
        (await tx.ListAsync("SELECT (now() AT TIME ZONE timezone)::date, timezone FROM organizations WHERE id = $1",
            r => (r.GetFieldValue<DateOnly>(0), r.GetString(1)), ct, tx.OrgId))[0];

    /// <summary>An agent's name and team; null when the organization has no such agent.</summary>
    public static async Task<(string Name, string? Team)?> AgentAsync(Tx tx, Guid id, CancellationToken ct)
    {
        var agent = await tx.ListAsync("SELECT name, team FROM agents WHERE id = $1 AND org_id = $2",
            r => (Name: r.GetString(0), Team: r.NullableString(1)), ct, id, tx.OrgId);
        return agent.Count == 0 ? null : agent[0];
    }

    private const string Filter = "c.org_id = $1 AND c.day BETWEEN $2 AND $3 AND ($4::uuid IS NULL OR c.agent_id = $4) AND ($5::text IS NULL OR a.team = $5)";

    public static async Task<CostReport> ReportAsync(Tx tx, CostRange range, CostScope scope, CancellationToken ct)
    {
        var (start, end, timezone) = range;
        // One pass over the rollup, five groupings: the total, per day, per agent, per team and per model.
        var rows = await tx.ListAsync($"""
            SELECT CASE WHEN GROUPING(c.day) = 0 THEN 'day' WHEN GROUPING(c.agent_id) = 0 THEN 'agent' WHEN GROUPING(a.team) = 0 THEN 'team'
                        WHEN GROUPING(c.model) = 0 THEN 'model' ELSE 'total' END,
                   c.day, c.agent_id, a.name, a.team, c.model,
                   coalesce(sum(c.cost_micros), 0)::bigint, coalesce(sum(c.tokens_in), 0)::bigint, coalesce(sum(c.tokens_out), 0)::bigint,
                   coalesce(sum(c.tokens_cached), 0)::bigint, coalesce(sum(c.calls), 0)::bigint, coalesce(sum(c.unpriced_calls), 0)::bigint
            FROM cost_daily c JOIN agents a ON a.id = c.agent_id
            WHERE {Filter}
            GROUP BY GROUPING SETS ((), (c.day), (c.agent_id, a.name, a.team), (a.team), (c.model))
            """, r => (Set: r.GetString(0), Day: r.IsDBNull(1) ? default : r.GetFieldValue<DateOnly>(1), Agent: r.NullableGuid(2), Name: r.NullableString(3),
                Team: r.NullableString(4), Model: r.NullableString(5),
                Totals: new Totals(r.GetInt64(6) / 1_000_000m, r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11))),
            ct, tx.OrgId, start, end, scope.AgentId, scope.Team);
        var total = rows.FirstOrDefault(r => r.Set == "total").Totals ?? new Totals(0, 0, 0, 0, 0, 0, 0);
        var byDay = rows.Where(r => r.Set == "day").ToDictionary(r => r.Day, r => r.Totals);
        // Every day of the range, zeros included: a chart needs the gaps.
        var daily = Enumerable.Range(0, end.DayNumber - start.DayNumber + 1).Select(i => start.AddDays(i))
            .Select(d => byDay.TryGetValue(d, out var t) ? new DayCost(d, t.CostUsd, t.Calls) : new DayCost(d, 0, 0)).ToList();
        return new CostReport(start, end, timezone, "USD", total, daily,
            [.. rows.Where(r => r.Set == "agent").OrderByDescending(r => r.Totals.CostMicros).ThenBy(r => r.Name, StringComparer.Ordinal)
                .Select(r => new AgentCost(r.Agent!.Value, r.Name!, r.Team, r.Totals))],
            [.. rows.Where(r => r.Set == "team").OrderByDescending(r => r.Totals.CostMicros).Select(r => new TeamCost(r.Team, r.Totals))],
            [.. rows.Where(r => r.Set == "model").OrderByDescending(r => r.Totals.CostMicros).Select(r => new ModelCost(r.Model is "" ? null : r.Model, r.Totals))]);
    }

    /// <summary>The rollup rows of the range by day, agent name and model, read one at a time as they are enumerated (the query runs at the first).</summary>
    public static async IAsyncEnumerable<CostRollupRow> RollupAsync(Tx tx, CostRange range, CostScope scope, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var cmd = tx.Command($"""
            SELECT c.day, c.agent_id, a.name, a.team, c.model, c.cost_micros, c.tokens_in, c.tokens_out, c.tokens_cached, c.calls, c.unpriced_calls
            FROM cost_daily c JOIN agents a ON a.id = c.agent_id WHERE {Filter} ORDER BY c.day, a.name, c.model
            """, tx.OrgId, range.From, range.To, scope.AgentId, scope.Team);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            yield return new CostRollupRow(r.GetFieldValue<DateOnly>(0), r.GetGuid(1), r.GetString(2), r.NullableString(3), r.GetString(4), r.GetInt64(5),
                r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10));
    }
}
