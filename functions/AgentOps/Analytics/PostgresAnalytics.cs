namespace AgentOps.Analytics;

/// <summary>
/// Analytics over the system of record: runs (index runs_org_started_idx) and, for the model series, LLM-call events
/// (index events_org_model_ts_idx of migration 0009). Each call is one transaction with the organization set, so
/// row-level security holds even if a filter were forgotten; every query filters by org as well.
/// <para>
/// Cost (measured over 1M runs in 30 days, ./agentops bench dashboard): every query here reads every run or call of
/// the range, so the work is in the scan and the per-row expressions. Hence one scan for the summary (grouped two ways
/// at once), buckets as <c>date_trunc(unit, t AT TIME ZONE 'UTC')</c> (the three-argument date_trunc with a time zone
/// costs about twice as much per row), and no JIT: compiling these plans costs more than it saves at this size.
/// </para>
/// </summary>
public sealed class PostgresAnalytics(Db db) : IAnalytics
{
    public string Store => "postgres";

    private const string RunsInRange = "FROM runs WHERE org_id = $1 AND started_at >= $2 AND started_at < $3";

    /// <summary>One scan grouped by (bucket, status) and by (agent, status), then the latency; folded by <see cref="AnalyticsRules.Summarize"/>.</summary>
    public Task<AnalyticsSummary> SummaryAsync(Guid orgId, AnalyticsRange range, Bucket bucket, CancellationToken ct) =>
        ReadAsync(orgId, async tx =>
        {
            var b = BucketOf("started_at");
            var grains = await tx.ListAsync($"""
                SELECT {b}, agent_id, status, GROUPING(agent_id), count(*), coalesce(sum(cost_micros), 0)::bigint, coalesce(sum(tokens_in), 0)::bigint,
                       coalesce(sum(tokens_out), 0)::bigint, coalesce(sum(event_count), 0)::bigint, coalesce(sum(llm_calls), 0)::bigint,
                       coalesce(sum(tool_calls), 0)::bigint, coalesce(sum(unpriced_calls), 0)::bigint
                {RunsInRange}
                GROUP BY GROUPING SETS (({b}, status), (agent_id, status))
                """, r => new SummaryGrain(r.GetInt32(3) == 1 ? Utc(r, 0) : default, r.GetInt32(3) == 1 ? null : r.GetGuid(1), r.GetString(2),
                    r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11)),
                ct, tx.OrgId, range.From, range.To, Trunc(bucket));
            return AnalyticsRules.Summarize(range, bucket, grains, await LatencyAsync(tx, range, ct));
        }, ct);

    public Task<IReadOnlyList<SeriesPoint>> SeriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, SeriesBy by, Guid? agentId, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<SeriesPoint>>(orgId, async tx => by == SeriesBy.Model
            ? await ModelSeriesAsync(tx, range, bucket, agentId, ct)
            : await RunSeriesAsync(tx, range, bucket, by, agentId, ct), ct);

    /// <summary>Per bucket, the sorted durations and the elements at the nearest ranks, as the range's latency is taken.</summary>
    public Task<IReadOnlyList<LatencyPoint>> LatencySeriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, Guid? agentId, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<LatencyPoint>>(orgId, async tx => await tx.ListAsync($"""
            SELECT b, cardinality(a)::bigint, {At(LatencyPercentiles.P50)}, {At(LatencyPercentiles.P95)}, {At(LatencyPercentiles.P99)}
            FROM (SELECT {BucketOf("started_at")} AS b, array_agg(duration_ms ORDER BY duration_ms) AS a
                  {RunsInRange} AND duration_ms IS NOT NULL{OfAgent(agentId)}
                  GROUP BY 1) d
            ORDER BY b
            """, r => new LatencyPoint(Utc(r, 0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4)),
            ct, [tx.OrgId, range.From, range.To, Trunc(bucket), .. AgentArg(agentId)]), ct);

    public Task<LatencyPercentiles> LatencyAsync(Guid orgId, AnalyticsRange range, CancellationToken ct) =>
        ReadAsync(orgId, tx => LatencyAsync(tx, range, ct), ct);

    public Task<IReadOnlyList<AgentRank>> TopAgentsAsync(Guid orgId, AnalyticsRange range, TopBy by, int limit, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<AgentRank>>(orgId, async tx => await tx.ListAsync($"""
            SELECT agent_id, count(*), count(*) FILTER (WHERE status = 'failed'), coalesce(sum(cost_micros), 0)::bigint,
                   coalesce(sum(tokens_in), 0)::bigint, coalesce(sum(tokens_out), 0)::bigint
            {RunsInRange}
            GROUP BY agent_id
            ORDER BY {(by == TopBy.Cost ? "4" : "2")} DESC, agent_id::text
            LIMIT $4
            """, r => new AgentRank(r.GetGuid(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)),
            ct, tx.OrgId, range.From, range.To, limit), ct);

    /// <summary>One read in the organization, without JIT (see the class comment).</summary>
    private Task<T> ReadAsync<T>(Guid orgId, Func<Tx, Task<T>> work, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx =>
        {
            await tx.ExecuteAsync("SET LOCAL jit = off", ct);
            return await work(tx);
        }, ct);

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
            SELECT {BucketOf("started_at")}, {key}, count(*), count(*) FILTER (WHERE status = 'failed'),
                   coalesce(sum(cost_micros), 0)::bigint, coalesce(sum(tokens_in), 0)::bigint, coalesce(sum(tokens_out), 0)::bigint
            {RunsInRange}{OfAgent(agentId)}
            GROUP BY 1, 2
            """, Point, ct, [tx.OrgId, range.From, range.To, Trunc(bucket), .. AgentArg(agentId)]);
        return AnalyticsRules.Ordered(rows);
    }

    private static async Task<List<SeriesPoint>> ModelSeriesAsync(Tx tx, AnalyticsRange range, Bucket bucket, Guid? agentId, CancellationToken ct)
    {
        var rows = await tx.ListAsync($"""
            SELECT {BucketOf("ts")}, model, count(*),
                   count(*) FILTER (WHERE type = 'error' OR error IS NOT NULL AND type <> 'run.end'),
                   coalesce(sum(cost_micros), 0)::bigint, coalesce(sum(tokens_in), 0)::bigint, coalesce(sum(tokens_out), 0)::bigint
            FROM events WHERE org_id = $1 AND model IS NOT NULL AND ts >= $2 AND ts < $3{OfAgent(agentId)}
            GROUP BY 1, 2
            """, Point, ct, [tx.OrgId, range.From, range.To, Trunc(bucket), .. AgentArg(agentId)]);
        return AnalyticsRules.Ordered(rows);
    }

    /// <summary>The UTC hour or day (parameter $4) of a timestamptz column, as a timestamp in UTC.</summary>
    private static string BucketOf(string column) => $"date_trunc($4, {column} AT TIME ZONE 'UTC')";

    /// <summary>The element of the sorted array a at the nearest rank of the given thousandth.</summary>
    private static string At(int perMille) => $"a[(({perMille}::bigint * cardinality(a) + 999) / 1000)::int]";

    /// <summary>The agent condition (parameter $5) when one agent is asked for.</summary>
    private static string OfAgent(Guid? agentId) => agentId is null ? "" : " AND agent_id = $5";

    private static object[] AgentArg(Guid? agentId) => agentId is { } id ? [id] : [];

    private static string Trunc(Bucket bucket) => bucket == Bucket.Hour ? "hour" : "day";

    /// <summary>A bucket start read back: a timestamp that is UTC (see <see cref="BucketOf"/>).</summary>
    private static DateTimeOffset Utc(NpgsqlDataReader r, int i) => new(DateTime.SpecifyKind(r.GetDateTime(i), DateTimeKind.Utc));

    private static SeriesPoint Point(NpgsqlDataReader r) => new(Utc(r, 0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5),
        r.GetInt64(6));

    private static long? Long(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}
