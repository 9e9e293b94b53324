using System.Globalization;
using System.Text;
using AgentOps.Budgets;

namespace AgentOps.Costs;

/// <summary>
/// The cost reports over HTTP: binding, shape checks and answers; <see cref="CostService"/> reads them. ?format=csv
/// gives the rollup rows as a file, streamed from the database to the client.
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

    public sealed record SummaryResponse(CostReport Report, IReadOnlyList<BudgetView> Budgets);
    public sealed record AgentResponse(Guid AgentId, string Name, string? Team, CostReport Report);
    public sealed record TeamResponse(string Team, CostReport Report);

    public static async Task<Results<Ok<SummaryResponse>, PushStreamHttpResult>> SummaryAsync(Caller caller, CostService costs, DateOnly? from, DateOnly? to, string? format, CancellationToken ct)
    {
        CheckFormat(format);
        if (format == "csv") return await CsvAsync(caller, costs, from, to, new CostScope(null, null), "costs", ct);
        var (report, budgets) = await costs.SummaryAsync(caller.OrgId, from, to, ct);
        return TypedResults.Ok(new SummaryResponse(report, budgets));
    }

    public static async Task<Results<Ok<AgentResponse>, PushStreamHttpResult>> ByAgentAsync(Guid id, Caller caller, CostService costs, DateOnly? from, DateOnly? to, string? format, CancellationToken ct)
    {
        CheckFormat(format);
        var agent = await costs.AgentAsync(caller.OrgId, id, ct);
        if (format == "csv") return await CsvAsync(caller, costs, from, to, new CostScope(id, null), $"costs-agent-{id}", ct);
        var report = await costs.ReportAsync(caller.OrgId, from, to, new CostScope(id, null), ct);
        return TypedResults.Ok(new AgentResponse(id, agent.Name, agent.Team, report));
    }

    public static async Task<Results<Ok<TeamResponse>, PushStreamHttpResult>> ByTeamAsync(string name, Caller caller, CostService costs, DateOnly? from, DateOnly? to, string? format, CancellationToken ct)
    {
        CheckFormat(format);
        if (name.Length is < 1 or > 100) new Validation().Add("name", "must be 1 to 100 characters.").ThrowIfInvalid();
        if (format == "csv") return await CsvAsync(caller, costs, from, to, new CostScope(null, name), "costs-team", ct);
        var report = await costs.ReportAsync(caller.OrgId, from, to, new CostScope(null, name), ct);
        return TypedResults.Ok(new TeamResponse(name, report));
    }

    private static void CheckFormat(string? format)
    {
        if (format is not (null or "json" or "csv")) new Validation().Add("format", "must be json or csv.").ThrowIfInvalid();
    }

    private const string CsvHeader = "day,agent_id,agent_name,team,model,cost_usd,tokens_in,tokens_out,tokens_cached,calls,unpriced_calls\r\n";

    /// <summary>The rollup rows of the range, streamed from the database to the client.</summary>
    private static async Task<PushStreamHttpResult> CsvAsync(Caller caller, CostService costs, DateOnly? from, DateOnly? to, CostScope scope, string name, CancellationToken ct)
    {
        // Checked before the first byte goes out: a bad range is a problem response, not a broken file.
        var range = await costs.RangeAsync(caller.OrgId, from, to, ct);
        return TypedResults.Stream(output => costs.ExportAsync(caller.OrgId, range, scope, async rows =>
        {
            await using var writer = new StreamWriter(output, new UTF8Encoding(false), 64 * 1024);
            await writer.WriteAsync(CsvHeader);
            var inv = CultureInfo.InvariantCulture;
            await foreach (var r in rows)
                await writer.WriteAsync(Csv.Line(r.Day.ToString("yyyy-MM-dd", inv), r.AgentId.ToString(), r.AgentName, r.Team, r.Model,
                    (r.CostMicros / 1_000_000m).ToString(inv), r.TokensIn.ToString(inv), r.TokensOut.ToString(inv), r.TokensCached.ToString(inv),
                    r.Calls.ToString(inv), r.UnpricedCalls.ToString(inv)));
        }, ct), "text/csv", $"{name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv");
    }
}
