using System.Globalization;
using System.Text;
using AgentOps.Budgets;

namespace AgentOps.Costs;

/// <summary>
/// Cost reports over the daily rollup (cost_daily: per calendar day of the organization, agent and model), never over
/// events: a year of an organization's costs is at most days × agents × models rows. Ranges are whole days, both ends
/// included, at most <see cref="MaxDays"/>; the default is the current month to date. ?format=csv gives the rollup rows.
/// </summary>
public static class CostsApi
{
    public static void MapCostsApi(this RouteGroupBuilder api)
    {
        var costs = api.MapGroup("/costs").WithTags("Costs");
        costs.MapGet("/summary", SummaryAsync).Requires(Permission.CostsRead).WithName("getCostSummary").ExportsCsv().WithSummary("Total, daily, by agent, team and model, with budget status");
        costs.MapGet("/by-agent/{id:guid}", ByAgentAsync).Requires(Permission.CostsRead).WithName("getAgentCosts").ExportsCsv().WithSummary("One agent: daily and per model");
        costs.MapGet("/by-team/{name}", ByTeamAsync).Requires(Permission.CostsRead).WithName("getTeamCosts").ExportsCsv().WithSummary("One team's agents: daily, per agent and per model");
    }

    public const int MaxDays = 366;

    public sealed record Totals(decimal CostUsd, long CostMicros, long TokensIn, long TokensOut, long TokensCached, long Calls, long UnpricedCalls);
    public sealed record DayCost(DateOnly Day, decimal CostUsd, long Calls);
    public sealed record AgentCost(Guid AgentId, string Name, string? Team, Totals Totals);
    public sealed record TeamCost(string? Team, Totals Totals);
    public sealed record ModelCost(string? Model, Totals Totals);

    public sealed record CostReport(DateOnly From, DateOnly To, string Timezone, string Currency, Totals Total, IReadOnlyList<DayCost> Daily,
        IReadOnlyList<AgentCost> ByAgent, IReadOnlyList<TeamCost> ByTeam, IReadOnlyList<ModelCost> ByModel);

    public sealed record SummaryResponse(CostReport Report, IReadOnlyList<BudgetView> Budgets);
    public sealed record AgentResponse(Guid AgentId, string Name, string? Team, CostReport Report);
    public sealed record TeamResponse(string Team, CostReport Report);

    private sealed record Scope(Guid? AgentId, string? Team);

    public static async Task<Results<Ok<SummaryResponse>, PushStreamHttpResult>> SummaryAsync(Caller caller, Db db, DateOnly? from, DateOnly? to, string? format, CancellationToken ct)
    {
        CheckFormat(format);
        if (format == "csv") return await CsvAsync(caller, db, from, to, new Scope(null, null), "costs", ct);
        return TypedResults.Ok(await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var report = await ReportAsync(tx, from, to, new Scope(null, null), ct);
            return new SummaryResponse(report, await BudgetViews.ActiveAsync(tx, ct));
        }, ct));
    }

    public static async Task<Results<Ok<AgentResponse>, PushStreamHttpResult>> ByAgentAsync(Guid id, Caller caller, Db db, DateOnly? from, DateOnly? to, string? format, CancellationToken ct)
    {
        CheckFormat(format);
        var agent = await db.InOrgAsync(caller.OrgId, tx => tx.ListAsync("SELECT name, team FROM agents WHERE id = $1 AND org_id = $2",
            r => (Name: r.GetString(0), Team: r.NullableString(1)), ct, id, tx.OrgId), ct);
        if (agent.Count == 0) throw ApiProblem.NotFound("agent");
        if (format == "csv") return await CsvAsync(caller, db, from, to, new Scope(id, null), $"costs-agent-{id}", ct);
        var report = await db.InOrgAsync(caller.OrgId, tx => ReportAsync(tx, from, to, new Scope(id, null), ct), ct);
        return TypedResults.Ok(new AgentResponse(id, agent[0].Name, agent[0].Team, report));
    }

    public static async Task<Results<Ok<TeamResponse>, PushStreamHttpResult>> ByTeamAsync(string name, Caller caller, Db db, DateOnly? from, DateOnly? to, string? format, CancellationToken ct)
    {
        CheckFormat(format);
        if (name.Length is < 1 or > 100) throw ApiProblem.Validation(new Dictionary<string, string[]> { ["name"] = ["must be 1 to 100 characters."] });
        if (format == "csv") return await CsvAsync(caller, db, from, to, new Scope(null, name), "costs-team", ct);
        var report = await db.InOrgAsync(caller.OrgId, tx => ReportAsync(tx, from, to, new Scope(null, name), ct), ct);
        return TypedResults.Ok(new TeamResponse(name, report));
    }

    private static void CheckFormat(string? format)
    {
        if (format is not (null or "json" or "csv"))
            throw ApiProblem.Validation(new Dictionary<string, string[]> { ["format"] = ["must be json or csv."] });
    }

    /// <summary>The range in the organization's calendar, checked: defaults to the month so far.</summary>
    private static async Task<(DateOnly From, DateOnly To, string Timezone)> RangeAsync(Tx tx, DateOnly? from, DateOnly? to, CancellationToken ct)
    {
        var (today, timezone) = (await tx.ListAsync("SELECT (now() AT TIME ZONE timezone)::date, timezone FROM organizations WHERE id = $1",
            r => (r.GetFieldValue<DateOnly>(0), r.GetString(1)), ct, tx.OrgId))[0];
        var end = to ?? today;
        var start = from ?? new DateOnly(end.Year, end.Month, 1);
        var v = new Validation();
        if (start > end) v.Add("from", "must not be after to.");
        else if (end.DayNumber - start.DayNumber + 1 > MaxDays) v.Add("to", $"the range covers at most {MaxDays} days.");
        v.ThrowIfInvalid();
        return (start, end, timezone);
    }

    private const string Filter = "c.org_id = $1 AND c.day BETWEEN $2 AND $3 AND ($4::uuid IS NULL OR c.agent_id = $4) AND ($5::text IS NULL OR a.team = $5)";

    private static async Task<CostReport> ReportAsync(Tx tx, DateOnly? from, DateOnly? to, Scope scope, CancellationToken ct)
    {
        var (start, end, timezone) = await RangeAsync(tx, from, to, ct);
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

    private const string CsvHeader = "day,agent_id,agent_name,team,model,cost_usd,tokens_in,tokens_out,tokens_cached,calls,unpriced_calls\r\n";

    /// <summary>The rollup rows of the range, streamed from the database to the client.</summary>
    private static async Task<PushStreamHttpResult> CsvAsync(Caller caller, Db db, DateOnly? from, DateOnly? to, Scope scope, string name, CancellationToken ct)
    {
        // Checked before the first byte goes out: a bad range is a problem response, not a broken file.
        var (start, end, _) = await db.InOrgAsync(caller.OrgId, tx => RangeAsync(tx, from, to, ct), ct);
        return TypedResults.Stream(output => db.InOrgAsync(caller.OrgId, async tx =>
        {
            await using var writer = new StreamWriter(output, new UTF8Encoding(false), 64 * 1024);
            await writer.WriteAsync(CsvHeader);
            await using var cmd = tx.Command($"""
                SELECT c.day, c.agent_id, a.name, a.team, c.model, c.cost_micros, c.tokens_in, c.tokens_out, c.tokens_cached, c.calls, c.unpriced_calls
                FROM cost_daily c JOIN agents a ON a.id = c.agent_id WHERE {Filter} ORDER BY c.day, a.name, c.model
                """, caller.OrgId, start, end, scope.AgentId, scope.Team);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            var inv = CultureInfo.InvariantCulture;
            while (await r.ReadAsync(ct))
                await writer.WriteAsync(Platform.Http.Csv.Line(r.GetFieldValue<DateOnly>(0).ToString("yyyy-MM-dd", inv), r.GetGuid(1).ToString(), r.GetString(2),
                    r.NullableString(3), r.GetString(4), (r.GetInt64(5) / 1_000_000m).ToString(inv), r.GetInt64(6).ToString(inv), r.GetInt64(7).ToString(inv),
                    r.GetInt64(8).ToString(inv), r.GetInt64(9).ToString(inv), r.GetInt64(10).ToString(inv)));
        }, ct), "text/csv", $"{name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv");
    }
}
