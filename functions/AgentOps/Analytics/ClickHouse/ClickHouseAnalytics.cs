using System.Text.Json;

namespace AgentOps.Analytics.ClickHouse;

/// <summary>
/// Analytics over the exported tables. ClickHouse has no row-level security: tenant isolation is the
/// <c>org_id = …</c> condition every query here starts with, formatted from the Guid (18.16's HTTP interface has no
/// query parameters; nothing a user typed is ever put into SQL). Reads use FINAL, so a row exported twice counts
/// once and only its latest version counts (18.16 keeps WHERE after FINAL's merge, never moving it to PREWHERE).
/// The summary's queries run concurrently: each is one scan of the organization's runs in the range.
/// </summary>
public sealed class ClickHouseAnalytics(ClickHouseClient client) : IAnalytics
{
    public string Store => "clickhouse";

    private string Runs => $"{ClickHouseSql.Name(client.Database)}.{ClickHouseSchema.Runs} FINAL";
    private string Events => $"{ClickHouseSql.Name(client.Database)}.{ClickHouseSchema.Events} FINAL";

    private static string RunsWhere(Guid orgId, AnalyticsRange range) =>
        $"org_id = {ClickHouseSql.Uuid(orgId)} AND started_at >= {ClickHouseSql.DateTime(range.From)} AND started_at < {ClickHouseSql.DateTime(range.To)}";

    public async Task<AnalyticsSummary> SummaryAsync(Guid orgId, AnalyticsRange range, Bucket bucket, CancellationToken ct)
    {
        var totals = StatusAndTotalsAsync(orgId, range, ct);
        var latency = LatencyAsync(orgId, range, ct);
        var series = RunSeriesAsync(orgId, range, bucket, SeriesBy.None, ct);
        var top = TopAgentsAsync(orgId, range, TopBy.Cost, AnalyticsRules.SummaryTopAgents, ct);
        await Task.WhenAll(totals, latency, series, top);
        var (byStatus, sums) = await totals;
        return new AnalyticsSummary(range.From, range.To, bucket, sums, await latency, AnalyticsRules.FillGaps(range, bucket, await series), await top, byStatus);
    }

    public async Task<IReadOnlyList<SeriesPoint>> SeriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, SeriesBy by, CancellationToken ct) =>
        by == SeriesBy.Model ? await ModelSeriesAsync(orgId, range, bucket, ct) : await RunSeriesAsync(orgId, range, bucket, by, ct);

    public async Task<LatencyPercentiles> LatencyAsync(Guid orgId, AnalyticsRange range, CancellationToken ct)
    {
        // Nearest rank, the same integer ranks as Postgres: a[ceil(p·n/1000)] over the sorted durations (1-based arrays).
        static string At(int perMille) => $"if(n = 0, NULL, a[intDiv({perMille} * n + 999, 1000)])";
        var rows = await client.QueryAsync($"""
            SELECT n, {At(LatencyPercentiles.P50)} AS p50, {At(LatencyPercentiles.P95)} AS p95, {At(LatencyPercentiles.P99)} AS p99
            FROM (SELECT arraySort(groupArray(assumeNotNull(duration_ms))) AS a, length(a) AS n
                  FROM {Runs} WHERE {RunsWhere(orgId, range)} AND isNotNull(duration_ms))
            """, r => AnalyticsRules.Latency(r.GetProperty("n").GetInt64(), NullableLong(r, "p50"), NullableLong(r, "p95"), NullableLong(r, "p99")), ct);
        return rows[0];
    }

    public async Task<IReadOnlyList<AgentRank>> TopAgentsAsync(Guid orgId, AnalyticsRange range, TopBy by, int limit, CancellationToken ct) =>
        await client.QueryAsync($"""
            SELECT toString(agent_id) AS agent, count() AS runs, countIf(status = 'failed') AS failed, sum(cost_micros) AS cost,
                   sum(tokens_in) AS tin, sum(tokens_out) AS tout
            FROM {Runs} WHERE {RunsWhere(orgId, range)}
            GROUP BY agent
            ORDER BY {(by == TopBy.Cost ? "cost" : "runs")} DESC, agent
            LIMIT {ClickHouseSql.Int(limit)}
            """, r => new AgentRank(Guid.Parse(r.GetProperty("agent").GetString()!), r.GetProperty("runs").GetInt64(), r.GetProperty("failed").GetInt64(),
                r.GetProperty("cost").GetInt64(), r.GetProperty("tin").GetInt64(), r.GetProperty("tout").GetInt64()), ct);

    private async Task<(List<StatusCount>, AnalyticsTotals)> StatusAndTotalsAsync(Guid orgId, AnalyticsRange range, CancellationToken ct)
    {
        var rows = await client.QueryAsync($"""
            SELECT status, count() AS runs, sum(event_count) AS events, sum(llm_calls) AS llm, sum(tool_calls) AS tools,
                   sum(tokens_in) AS tin, sum(tokens_out) AS tout, sum(cost_micros) AS cost
            FROM {Runs} WHERE {RunsWhere(orgId, range)}
            GROUP BY status
            """, r => (Status: new StatusCount(r.GetProperty("status").GetString()!, r.GetProperty("runs").GetInt64()), Events: r.GetProperty("events").GetInt64(),
                Llm: r.GetProperty("llm").GetInt64(), Tools: r.GetProperty("tools").GetInt64(), In: r.GetProperty("tin").GetInt64(),
                Out: r.GetProperty("tout").GetInt64(), Cost: r.GetProperty("cost").GetInt64()), ct);
        var byStatus = AnalyticsRules.ByStatus(rows.Select(r => r.Status));
        return (byStatus, AnalyticsRules.Totals(byStatus, rows.Sum(r => r.Events), rows.Sum(r => r.Llm), rows.Sum(r => r.Tools),
            rows.Sum(r => r.In), rows.Sum(r => r.Out), rows.Sum(r => r.Cost)));
    }

    private async Task<List<SeriesPoint>> RunSeriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, SeriesBy by, CancellationToken ct)
    {
        var key = by switch { SeriesBy.Agent => "toString(agent_id)", SeriesBy.Status => "status", _ => "''" };
        var rows = await client.QueryAsync($"""
            SELECT toUnixTimestamp({StartOf(bucket)}(started_at)) AS start, {key} AS k, count() AS cnt, countIf(status = 'failed') AS errors,
                   sum(cost_micros) AS cost, sum(tokens_in) AS tin, sum(tokens_out) AS tout
            FROM {Runs} WHERE {RunsWhere(orgId, range)}
            GROUP BY start, k
            """, Point, ct);
        return AnalyticsRules.Ordered(rows);
    }

    private async Task<List<SeriesPoint>> ModelSeriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, CancellationToken ct)
    {
        var rows = await client.QueryAsync($"""
            SELECT toUnixTimestamp({StartOf(bucket)}(ts)) AS start, assumeNotNull(model) AS k, count() AS cnt,
                   countIf(type = 'error' OR (isNotNull(error) AND type != 'run.end')) AS errors,
                   sum(ifNull(cost_micros, 0)) AS cost, sum(ifNull(tokens_in, 0)) AS tin, sum(ifNull(tokens_out, 0)) AS tout
            FROM {Events}
            WHERE org_id = {ClickHouseSql.Uuid(orgId)} AND ts >= {ClickHouseSql.DateTime(range.From)} AND ts < {ClickHouseSql.DateTime(range.To)}
              AND isNotNull(model)
            GROUP BY start, k
            """, Point, ct);
        return AnalyticsRules.Ordered(rows);
    }

    /// <summary>Bucket starts in UTC: the columns are DateTime('UTC'), so these functions use UTC.</summary>
    private static string StartOf(Bucket bucket) => bucket == Bucket.Hour ? "toStartOfHour" : "toStartOfDay";

    private static SeriesPoint Point(JsonElement r) => new(DateTimeOffset.FromUnixTimeSeconds(r.GetProperty("start").GetInt64()), r.GetProperty("k").GetString()!,
        r.GetProperty("cnt").GetInt64(), r.GetProperty("errors").GetInt64(), r.GetProperty("cost").GetInt64(), r.GetProperty("tin").GetInt64(),
        r.GetProperty("tout").GetInt64());

    private static long? NullableLong(JsonElement r, string name) => r.GetProperty(name) is { ValueKind: JsonValueKind.Number } v ? v.GetInt64() : null;
}
