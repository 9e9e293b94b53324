namespace AgentOps.Analytics;

/// <summary>
/// Analytics over the system of record: runs (index runs_org_started_idx) and, for the model series, LLM-call events
/// (index events_org_model_ts_idx of migration 0009). Each call is one transaction with the organization set, so
/// row-level security holds even if a filter were forgotten; every query filters by org as well.
/// </summary>
public sealed class PostgresAnalytics(Db db) : IAnalytics
{
    public string Store => "postgres";

    private const string RunsInRange = "FROM runs WHERE org_id = $1 AND started_at >= $2 AND started_at < $3";

    public Task<AnalyticsSummary> SummaryAsync(Guid orgId, AnalyticsRange range, Bucket bucket, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx =>
        {
            var (byStatus, totals) = await StatusAndTotalsAsync(tx, range, ct);
            var latency = await LatencyAsync(tx, range, ct);
            var series = await RunSeriesAsync(tx, range, bucket, SeriesBy.None, null, ct);
            var top = await TopAgentsAsync(tx, range, TopBy.Cost, AnalyticsRules.SummaryTopAgents, ct);
            return new AnalyticsSummary(range.From, range.To, bucket, totals, latency, AnalyticsRules.FillGaps(range, bucket, series), top, byStatus);
        }, ct);

    public Task<IReadOnlyList<SeriesPoint>> SeriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, SeriesBy by, Guid? agentId, CancellationToken ct) =>
        db.InOrgAsync<IReadOnlyList<SeriesPoint>>(orgId, async tx => by == SeriesBy.Model
            ? await ModelSeriesAsync(tx, range, bucket, agentId, ct)
            : await RunSeriesAsync(tx, range, bucket, by, agentId, ct), ct);

    /// <summary>Per bucket, the sorted durations and the elements at the nearest ranks, as the range's latency is taken.</summary>
    public Task<IReadOnlyList<LatencyPoint>> LatencySeriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, Guid? agentId, CancellationToken ct) =>
        db.InOrgAsync<IReadOnlyList<LatencyPoint>>(orgId, async tx => await tx.ListAsync($"""
            SELECT b, cardinality(a)::bigint, {At(LatencyPercentiles.P50)}, {At(LatencyPercentiles.P95)}, {At(LatencyPercentiles.P99)}
            FROM (SELECT extract(epoch FROM date_trunc($4, started_at, 'UTC'))::bigint AS b, array_agg(duration_ms ORDER BY duration_ms) AS a
                  {RunsInRange} AND duration_ms IS NOT NULL{OfAgent(agentId)}
                  GROUP BY 1) d
            ORDER BY b
            """, r => new LatencyPoint(DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(0)), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4)),
            ct, [tx.OrgId, range.From, range.To, Trunc(bucket), .. AgentArg(agentId)]), ct);

    /// <summary>The element of the sorted array a at the nearest rank of the given thousandth.</summary>
    private static string At(int perMille) => $"a[(({perMille}::bigint * cardinality(a) + 999) / 1000)::int]";

    /// <summary>The agent condition (parameter $5) when one agent is asked for.</summary>
    private static string OfAgent(Guid? agentId) => agentId is null ? "" : " AND agent_id = $5";

    private static object[] AgentArg(Guid? agentId) => agentId is { } id ? [id] : [];

    public Task<LatencyPercentiles> LatencyAsync(Guid orgId, AnalyticsRange range, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => LatencyAsync(tx, range, ct), ct);

    public Task<IReadOnlyList<AgentRank>> TopAgentsAsync(Guid orgId, AnalyticsRange range, TopBy by, int limit, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => TopAgentsAsync(tx, range, by, limit, ct), ct);

    private static async Task<(List<StatusCount>, AnalyticsTotals)> StatusAndTotalsAsync(Tx tx, AnalyticsRange range, CancellationToken ct)
    {
        var rows = await tx.ListAsync($"""
            SELECT status, count(*), coalesce(sum(event_count), 0)::bigint, coalesce(sum(llm_calls), 0)::bigint, coalesce(sum(tool_calls), 0)::bigint,
                   coalesce(sum(tokens_in), 0)::bigint, coalesce(sum(tokens_out), 0)::bigint, coalesce(sum(cost_micros), 0)::bigint,
                   coalesce(sum(unpriced_calls), 0)::bigint
            {RunsInRange}
            GROUP BY status
            """, r => (Status: new StatusCount(r.GetString(0), r.GetInt64(1)), Events: r.GetInt64(2), Llm: r.GetInt64(3), Tools: r.GetInt64(4),
                In: r.GetInt64(5), Out: r.GetInt64(6), Cost: r.GetInt64(7), Unpriced: r.GetInt64(8)),
            ct, tx.OrgId, range.From, range.To);
        var byStatus = AnalyticsRules.ByStatus(rows.Select(r => r.Status));
        return (byStatus, AnalyticsRules.Totals(byStatus, rows.Sum(r => r.Events), rows.Sum(r => r.Llm), rows.Sum(r => r.Tools),
            rows.Sum(r => r.In), rows.Sum(r => r.Out), rows.Sum(r => r.Cost), rows.Sum(r => r.Unpriced)));
    }

    /// <summary>Nearest rank over the sorted durations: the same integer ranks the ClickHouse query takes.</summary>
    private static async Task<LatencyPercentiles> LatencyAsync(Tx tx, AnalyticsRange range, CancellationToken ct)
    {
        var rows = await tx.ListAsync($"""
            SELECT coalesce(cardinality(a), 0)::bigint, {At(LatencyPercentiles.P50)}, {At(LatencyPercentiles.P95)}, {At(LatencyPercentiles.P99)}
            FROM (SELECT array_agg(duration_ms ORDER BY duration_ms) AS a {RunsInRange} AND duration_ms IS NOT NULL) d
            """, r => AnalyticsRules.Latency(r.GetInt64(0), Long(r, 1), Long(r, 2), Long(r, 3)), ct, tx.OrgId, range.From, range.To);
        return rows[0];
    }

    private static async Task<List<SeriesPoint>> RunSeriesAsync(Tx tx, AnalyticsRange range, Bucket bucket, SeriesBy by, Guid? agentId, CancellationToken ct)
    {
        var key = by switch { SeriesBy.Agent => "agent_id::text", SeriesBy.Status => "status", _ => "''" };
        var rows = await tx.ListAsync($"""
            SELECT extract(epoch FROM date_trunc($4, started_at, 'UTC'))::bigint, {key}, count(*), count(*) FILTER (WHERE status = 'failed'),
                   coalesce(sum(cost_micros), 0)::bigint, coalesce(sum(tokens_in), 0)::bigint, coalesce(sum(tokens_out), 0)::bigint
            {RunsInRange}{OfAgent(agentId)}
            GROUP BY 1, 2
            """, Point, ct, [tx.OrgId, range.From, range.To, Trunc(bucket), .. AgentArg(agentId)]);
        return AnalyticsRules.Ordered(rows);
    }

    private static async Task<List<SeriesPoint>> ModelSeriesAsync(Tx tx, AnalyticsRange range, Bucket bucket, Guid? agentId, CancellationToken ct)
    {
        var rows = await tx.ListAsync($"""
            SELECT extract(epoch FROM date_trunc($4, ts, 'UTC'))::bigint, model, count(*),
                   count(*) FILTER (WHERE type = 'error' OR error IS NOT NULL AND type <> 'run.end'),
                   coalesce(sum(cost_micros), 0)::bigint, coalesce(sum(tokens_in), 0)::bigint, coalesce(sum(tokens_out), 0)::bigint
            FROM events WHERE org_id = $1 AND model IS NOT NULL AND ts >= $2 AND ts < $3{OfAgent(agentId)}
            GROUP BY 1, 2
            """, Point, ct, [tx.OrgId, range.From, range.To, Trunc(bucket), .. AgentArg(agentId)]);
        return AnalyticsRules.Ordered(rows);
    }

    private static async Task<IReadOnlyList<AgentRank>> TopAgentsAsync(Tx tx, AnalyticsRange range, TopBy by, int limit, CancellationToken ct) =>
        await tx.ListAsync($"""
            SELECT agent_id, count(*), count(*) FILTER (WHERE status = 'failed'), coalesce(sum(cost_micros), 0)::bigint,
                   coalesce(sum(tokens_in), 0)::bigint, coalesce(sum(tokens_out), 0)::bigint
            {RunsInRange}
            GROUP BY agent_id
            ORDER BY {(by == TopBy.Cost ? "4" : "2")} DESC, agent_id::text
            LIMIT $4
            """, r => new AgentRank(r.GetGuid(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)),
            ct, tx.OrgId, range.From, range.To, limit);

    private static string Trunc(Bucket bucket) => bucket == Bucket.Hour ? "hour" : "day";

    private static SeriesPoint Point(NpgsqlDataReader r) => new(DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(0)), r.GetString(1), r.GetInt64(2),
        r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6));

    private static long? Long(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}
