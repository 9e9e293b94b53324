using System.Text.Json;

namespace AgentOps.Analytics.ClickHouse;

/// <summary>
/// Analytics over the exported tables. ClickHouse has no row-level security: tenant isolation is the
/// <c>org_id = …</c> condition every query here starts with, formatted from the Guid (18.16's HTTP interface has no
/// query parameters; nothing a user typed is ever put into SQL). Reads use FINAL while unmerged parts may hold a row
/// exported twice, so it counts once and only its latest version counts (see FromAsync).
/// The summary is two concurrent scans of the organization's runs in the range (see SummaryAsync).
/// </summary>
public sealed class ClickHouseAnalytics(ClickHouseClient client) : IAnalytics
{
    public string Store => "clickhouse";

    /// <summary>
    /// The table to read, with FINAL only where it is needed. A part never holds a key twice (an export insert never
    /// repeats a key, and a merge keeps one row per key), so while no partition has more than one active part the
    /// rows are already unique and FINAL — which 18.16 merges in one thread — is skipped: the steady state of
    /// merged, historical data. Otherwise (fresh exports not merged yet) FINAL collapses re-inserted rows. A part that
    /// lands between the check and the read can show a changed run twice for that one query.
    /// </summary>
    private async Task<string> FromAsync(string table, CancellationToken ct)
    {
        var parts = await client.QueryAsync($"""
            SELECT toUInt32(ifNull(max(c), 0)) AS n FROM (
              SELECT partition, count() AS c FROM system.parts
              WHERE database = {ClickHouseSql.String(client.Database)} AND table = {ClickHouseSql.String(table)} AND active GROUP BY partition)
            """, r => r.GetProperty("n").GetInt32(), ct);
        return $"{ClickHouseSql.Name(client.Database)}.{ClickHouseSql.Name(table)}{(parts[0] > 1 ? " FINAL" : "")}";
    }

    private Task<string> RunsAsync(CancellationToken ct) => FromAsync(ClickHouseSchema.Runs, ct);

    private static string RunsWhere(Guid orgId, AnalyticsRange range) =>
        $"org_id = {ClickHouseSql.Uuid(orgId)} AND started_at >= {ClickHouseSql.DateTime(range.From)} AND started_at < {ClickHouseSql.DateTime(range.To)}";

    /// <summary>
    /// Two queries, run concurrently, so the runs are read with FINAL twice rather than once per part of the answer:
    /// latency (the sorted durations), and one scan grouped two ways at once — by (bucket, status) and by (agent,
    /// status), the rows doubled with ARRAY JOIN (18.16 has no GROUPING SETS) — from which totals, statuses, the series
    /// and the top agents are summed by <see cref="AnalyticsRules.Summarize"/>. Rows: buckets × statuses + agents × statuses.
    /// </summary>
    public async Task<AnalyticsSummary> SummaryAsync(Guid orgId, AnalyticsRange range, Bucket bucket, CancellationToken ct)
    {
        var runs = await RunsAsync(ct);
        var latency = LatencyAsync(runs, orgId, range, ct);
        var grain = client.QueryAsync($"""
            SELECT g, if(g = 1, toUnixTimestamp({StartOf(bucket)}(started_at)), 0) AS b, if(g = 2, toString(agent_id), '') AS a, status,
                   count() AS runs, sum(cost_micros) AS cost, sum(tokens_in) AS tin, sum(tokens_out) AS tout, sum(event_count) AS ev,
                   sum(llm_calls) AS llm, sum(tool_calls) AS tools, sum(unpriced_calls) AS unpriced
            FROM {runs} ARRAY JOIN [1, 2] AS g
            WHERE {RunsWhere(orgId, range)}
            GROUP BY g, b, a, status
            """, r => new SummaryGrain(DateTimeOffset.FromUnixTimeSeconds(r.GetProperty("b").GetInt64()),
                r.GetProperty("g").GetInt32() == 2 ? Guid.Parse(r.GetProperty("a").GetString()!) : null, r.GetProperty("status").GetString()!,
                r.GetProperty("runs").GetInt64(), r.GetProperty("cost").GetInt64(), r.GetProperty("tin").GetInt64(), r.GetProperty("tout").GetInt64(),
                r.GetProperty("ev").GetInt64(), r.GetProperty("llm").GetInt64(), r.GetProperty("tools").GetInt64(), r.GetProperty("unpriced").GetInt64()), ct);
        await Task.WhenAll(latency, grain);
        return AnalyticsRules.Summarize(range, bucket, await grain, await latency);
    }

    public async Task<IReadOnlyList<SeriesPoint>> SeriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, SeriesBy by, Guid? agentId, CancellationToken ct) =>
        by == SeriesBy.Model ? await ModelSeriesAsync(orgId, range, bucket, agentId, ct) : await RunSeriesAsync(orgId, range, bucket, by, agentId, ct);

    /// <summary>
    /// Per bucket, the durations sorted (arraySort of groupArray) and the elements at the nearest ranks, by the same
    /// integer arithmetic as Postgres: ceil(p·n/1000), 1-based; reported as their latency bucket's middle, as
    /// Postgres reports them (<see cref="LatencyHistogram"/>).
    /// </summary>
    public async Task<IReadOnlyList<LatencyPoint>> LatencySeriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, Guid? agentId, CancellationToken ct)
    {
        static string At(int perMille) => $"toInt64(s[intDiv({perMille} * length(s) + 999, 1000)])";
        return await client.QueryAsync($"""
            SELECT start, toInt64(length(s)) AS n, {At(LatencyPercentiles.P50)} AS p50, {At(LatencyPercentiles.P95)} AS p95, {At(LatencyPercentiles.P99)} AS p99
            FROM (SELECT toUnixTimestamp({StartOf(bucket)}(started_at)) AS start, arraySort(groupArray(assumeNotNull(duration_ms))) AS s
                  FROM {await RunsAsync(ct)} WHERE {RunsWhere(orgId, range)}{OfAgent(agentId)} AND isNotNull(duration_ms)
                  GROUP BY start)
            ORDER BY start
            """, r => new LatencyPoint(DateTimeOffset.FromUnixTimeSeconds(r.GetProperty("start").GetInt64()), r.GetProperty("n").GetInt64(),
                LatencyHistogram.Round(r.GetProperty("p50").GetInt64()), LatencyHistogram.Round(r.GetProperty("p95").GetInt64()),
                LatencyHistogram.Round(r.GetProperty("p99").GetInt64())), ct);
    }

    /// <summary>The agent condition when one agent is asked for (formatted from the Guid, as the organization is).</summary>
    private static string OfAgent(Guid? agentId) => agentId is { } id ? $" AND agent_id = {ClickHouseSql.Uuid(id)}" : "";

    public async Task<LatencyPercentiles> LatencyAsync(Guid orgId, AnalyticsRange range, CancellationToken ct) =>
        await LatencyAsync(await RunsAsync(ct), orgId, range, ct);

    private async Task<LatencyPercentiles> LatencyAsync(string runs, Guid orgId, AnalyticsRange range, CancellationToken ct)
    {
        var where = $"{RunsWhere(orgId, range)} AND isNotNull(duration_ms)";
        var n = (await client.QueryAsync($"SELECT count() AS n FROM {runs} WHERE {where}", r => r.GetProperty("n").GetInt64(), ct))[0];
        if (n == 0) return AnalyticsRules.Latency(0, null, null, null);
        // Nearest rank, the same integer ranks as Postgres: the element at 0-based k = ceil(p·n/1000) − 1 of the sorted
        // durations. quantilesExact(level) takes the element at floor(level · n) (selection, no full sort), so the level
        // (k + ½) / n lands on k with half an element of margin against rounding.
        string Level(int perMille) => ((((perMille * n + 999) / 1000) - 1 + 0.5) / n).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        var q = (await client.QueryAsync($"""
            SELECT quantilesExact({Level(LatencyPercentiles.P50)}, {Level(LatencyPercentiles.P95)}, {Level(LatencyPercentiles.P99)})(assumeNotNull(duration_ms)) AS q
            FROM {runs} WHERE {where}
            """, r => r.GetProperty("q").EnumerateArray().Select(v => v.GetInt64()).ToArray(), ct))[0];
        return AnalyticsRules.Latency(n, LatencyHistogram.Round(q[0]), LatencyHistogram.Round(q[1]), LatencyHistogram.Round(q[2]));
    }

    public async Task<IReadOnlyList<AgentRank>> TopAgentsAsync(Guid orgId, AnalyticsRange range, TopBy by, int limit, CancellationToken ct) =>
        await client.QueryAsync($"""
            SELECT toString(agent_id) AS agent, count() AS runs, countIf(status = 'failed') AS failed, sum(cost_micros) AS cost,
                   sum(tokens_in) AS tin, sum(tokens_out) AS tout
            FROM {await RunsAsync(ct)} WHERE {RunsWhere(orgId, range)}
            GROUP BY agent
            ORDER BY {(by == TopBy.Cost ? "cost" : "runs")} DESC, agent
            LIMIT {ClickHouseSql.Int(limit)}
            """, r => new AgentRank(Guid.Parse(r.GetProperty("agent").GetString()!), r.GetProperty("runs").GetInt64(), r.GetProperty("failed").GetInt64(),
                r.GetProperty("cost").GetInt64(), r.GetProperty("tin").GetInt64(), r.GetProperty("tout").GetInt64()), ct);

    private async Task<List<SeriesPoint>> RunSeriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, SeriesBy by, Guid? agentId, CancellationToken ct)
    {
        var key = by switch { SeriesBy.Agent => "toString(agent_id)", SeriesBy.Status => "status", _ => "''" };
        var rows = await client.QueryAsync($"""
            SELECT toUnixTimestamp({StartOf(bucket)}(started_at)) AS start, {key} AS k, count() AS cnt, countIf(status = 'failed') AS errors,
                   sum(cost_micros) AS cost, sum(tokens_in) AS tin, sum(tokens_out) AS tout
            FROM {await RunsAsync(ct)} WHERE {RunsWhere(orgId, range)}{OfAgent(agentId)}
            GROUP BY start, k
            """, Point, ct);
        return AnalyticsRules.Ordered(rows);
    }

    private async Task<List<SeriesPoint>> ModelSeriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, Guid? agentId, CancellationToken ct)
    {
        var rows = await client.QueryAsync($"""
            SELECT toUnixTimestamp({StartOf(bucket)}(ts)) AS start, assumeNotNull(model) AS k, count() AS cnt,
                   countIf(type = 'error' OR (isNotNull(error) AND type != 'run.end')) AS errors,
                   sum(ifNull(cost_micros, 0)) AS cost, sum(ifNull(tokens_in, 0)) AS tin, sum(ifNull(tokens_out, 0)) AS tout
            FROM {await FromAsync(ClickHouseSchema.Events, ct)}
            WHERE org_id = {ClickHouseSql.Uuid(orgId)} AND ts >= {ClickHouseSql.DateTime(range.From)} AND ts < {ClickHouseSql.DateTime(range.To)}
              AND isNotNull(model){OfAgent(agentId)}
            GROUP BY start, k
            """, Point, ct);
        return AnalyticsRules.Ordered(rows);
    }

    /// <summary>Bucket starts in UTC: the columns are DateTime('UTC'), so these functions use UTC.</summary>
    private static string StartOf(Bucket bucket) => bucket == Bucket.Hour ? "toStartOfHour" : "toStartOfDay";

    private static SeriesPoint Point(JsonElement r) => new(DateTimeOffset.FromUnixTimeSeconds(r.GetProperty("start").GetInt64()), r.GetProperty("k").GetString()!,
        r.GetProperty("cnt").GetInt64(), r.GetProperty("errors").GetInt64(), r.GetProperty("cost").GetInt64(), r.GetProperty("tin").GetInt64(),
        r.GetProperty("tout").GetInt64());
}
