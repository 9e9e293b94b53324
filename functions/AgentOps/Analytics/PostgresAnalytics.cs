using System.Data;
using System.Globalization;

namespace AgentOps.Analytics;

/// <summary>
/// Analytics over the system of record. Each query reads the hours of its range that are rolled up (run_hours,
/// run_hour_latency, model_hours: <see cref="HourlyRollups"/>) and the runs or LLM calls of the rest (the partial first
/// and last hour, the hours not rolled up yet, hours changed since) through runs_org_started_idx and
/// events_org_model_ts_idx, and sums both alike. Each call is one transaction with the organization set, so
/// row-level security holds even if a filter were forgotten; every query filters by org as well.
/// <para>
/// Cost (1M runs in 30 days, ./agentops bench dashboard): without the rollups every query read every run of the
/// month (0.4–0.8 s each); with them ~720 hours of sums and a few hours of runs. Buckets are
/// <c>date_trunc(unit, t AT TIME ZONE 'UTC')</c> (the three-argument date_trunc with a time zone costs about twice as
/// much per row), and no JIT: compiling these plans costs more than it saves at this size.
/// </para>
/// </summary>
public sealed class PostgresAnalytics(Db db) : IAnalytics
{
    public string Store => "postgres";

    public Task<AnalyticsSummary> SummaryAsync(Guid orgId, AnalyticsRange range, Bucket bucket, CancellationToken ct) =>
        ReadAsync(orgId, range, rollups: true, async (tx, q) =>
        {
            var unit = q.Add(Trunc(bucket));
            var grains = await q.ListAsync(tx, $"""
                WITH src AS ({RunSource(q, null)})
                SELECT date_trunc({unit}, hour), agent_id, status, GROUPING(agent_id), sum(runs)::bigint, sum(cost_micros)::bigint, sum(tokens_in)::bigint,
                       sum(tokens_out)::bigint, sum(event_count)::bigint, sum(llm_calls)::bigint, sum(tool_calls)::bigint, sum(unpriced_calls)::bigint
                FROM src
                GROUP BY GROUPING SETS ((date_trunc({unit}, hour), status), (agent_id, status))
                """, r => new SummaryGrain(r.GetInt32(3) == 1 ? Utc(r, 0) : default, r.GetInt32(3) == 1 ? null : r.GetGuid(1), r.GetString(2),
                    r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11)), ct);
            return AnalyticsRules.Summarize(range, bucket, grains, await LatencyAsync(tx, q.Base(), ct));
        }, ct);

    public Task<IReadOnlyList<SeriesPoint>> SeriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, SeriesBy by, Guid? agentId, CancellationToken ct) =>
        // The model rollup has no agent: one agent's models are read from its calls.
        ReadAsync<IReadOnlyList<SeriesPoint>>(orgId, range, rollups: by != SeriesBy.Model || agentId is null, async (tx, q) =>
        {
            var unit = q.Add(Trunc(bucket));
            if (by == SeriesBy.Model)
            {
                return AnalyticsRules.Ordered(await q.ListAsync(tx, $"""
                    WITH src AS ({ModelSource(q, agentId)})
                    SELECT date_trunc({unit}, hour), model, sum(calls)::bigint, sum(errors)::bigint, sum(cost_micros)::bigint, sum(tokens_in)::bigint, sum(tokens_out)::bigint
                    FROM src GROUP BY 1, 2
                    """, Point, ct));
            }
            var key = by switch { SeriesBy.Agent => "agent_id::text", SeriesBy.Status => "status", _ => "''" };
            return AnalyticsRules.Ordered(await q.ListAsync(tx, $"""
                WITH src AS ({RunSource(q, agentId)})
                SELECT date_trunc({unit}, hour), {key}, sum(runs)::bigint, coalesce(sum(runs) FILTER (WHERE status = 'failed'), 0)::bigint,
                       sum(cost_micros)::bigint, sum(tokens_in)::bigint, sum(tokens_out)::bigint
                FROM src GROUP BY 1, 2
                """, Point, ct));
        }, ct);

    /// <summary>Per bucket, the runs per latency bucket, and the percentiles taken from them (<see cref="LatencyHistogram"/>).</summary>
    public Task<IReadOnlyList<LatencyPoint>> LatencySeriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, Guid? agentId, CancellationToken ct) =>
        // The latency rollup has no agent: one agent's latency is read from its runs.
        ReadAsync<IReadOnlyList<LatencyPoint>>(orgId, range, rollups: agentId is null, async (tx, q) =>
        {
            var unit = q.Add(Trunc(bucket));
            var counts = await q.ListAsync(tx, $"""
                WITH src AS ({LatencySource(q, agentId)})
                SELECT date_trunc({unit}, hour), bucket, sum(runs)::bigint FROM src GROUP BY 1, 2
                """, r => (Start: Utc(r, 0), Bucket: r.GetInt32(1), Runs: r.GetInt64(2)), ct);
            return [.. counts.GroupBy(c => c.Start).OrderBy(g => g.Key).Select(g =>
            {
                var p = LatencyHistogram.Percentiles(g.Select(c => (c.Bucket, c.Runs)));
                return new LatencyPoint(g.Key, p.Runs, p.P50Ms!.Value, p.P95Ms!.Value, p.P99Ms!.Value);
            })];
        }, ct);

    public Task<LatencyPercentiles> LatencyAsync(Guid orgId, AnalyticsRange range, CancellationToken ct) =>
        ReadAsync(orgId, range, rollups: true, (tx, q) => LatencyAsync(tx, q, ct), ct);

    public Task<IReadOnlyList<AgentRank>> TopAgentsAsync(Guid orgId, AnalyticsRange range, TopBy by, int limit, CancellationToken ct) =>
        ReadAsync<IReadOnlyList<AgentRank>>(orgId, range, rollups: true, async (tx, q) => await q.ListAsync(tx, $"""
            WITH src AS ({RunSource(q, null)})
            SELECT agent_id, sum(runs)::bigint, coalesce(sum(runs) FILTER (WHERE status = 'failed'), 0)::bigint, sum(cost_micros)::bigint,
                   sum(tokens_in)::bigint, sum(tokens_out)::bigint
            FROM src
            GROUP BY agent_id
            ORDER BY {(by == TopBy.Cost ? "4" : "2")} DESC, agent_id::text
            LIMIT {q.Add(limit)}
            """, r => new AgentRank(r.GetGuid(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)), ct), ct);

    /// <summary>
    /// One read in the organization, without JIT (see the class comment), over the range's rolled-up hours and the
    /// gaps between them; with <paramref name="rollups"/> false, all of the range is read raw.
    /// </summary>
    /// <remarks>
    /// Repeatable read: which hours are rolled up and what is read from them and from the runs must come from one
    /// snapshot, or a change committed in between (a run moving into a rolled hour) could be missed or counted twice.
    /// </remarks>
    private Task<T> ReadAsync<T>(Guid orgId, AnalyticsRange range, bool rollups, Func<Tx, Query, Task<T>> work, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx =>
        {
            await tx.ExecuteAsync("SET LOCAL jit = off", ct);
            var (rolled, gaps) = HourlyRollups.Plan(range, rollups ? await HourlyRollups.RolledHoursAsync(tx, range, ct) : []);
            return await work(tx, new Query(tx.OrgId, rolled, gaps));
        }, ct, IsolationLevel.RepeatableRead);

    /// <summary>The range's latency from its histogram.</summary>
    private static async Task<LatencyPercentiles> LatencyAsync(Tx tx, Query q, CancellationToken ct)
    {
        var counts = await q.ListAsync(tx, $"""
            WITH src AS ({LatencySource(q, null)})
            SELECT bucket, sum(runs)::bigint FROM src GROUP BY 1
            """, r => (r.GetInt32(0), r.GetInt64(1)), ct);
        return LatencyHistogram.Percentiles(counts);
    }

    /// <summary>Runs per UTC hour (a timestamp), agent and status, with their sums: rolled-up hours, then the gaps' runs one by one.</summary>
    private static string RunSource(Query q, Guid? agentId)
    {
        var agent = OfAgent(q, agentId);
        return $"""
            SELECT hour AT TIME ZONE 'UTC' AS hour, agent_id, status, runs, cost_micros, tokens_in, tokens_out, event_count, llm_calls, tool_calls, unpriced_calls
            FROM run_hours WHERE org_id = $1 AND {q.Rolled("hour")}{agent}
            UNION ALL
            SELECT date_trunc('hour', r.started_at AT TIME ZONE 'UTC'), r.agent_id, r.status, 1, r.cost_micros, r.tokens_in, r.tokens_out, r.event_count,
                   r.llm_calls, r.tool_calls, r.unpriced_calls
            FROM runs r WHERE r.org_id = $1 AND {q.Raw("r.started_at")}{agent}
            """;
    }

    /// <summary>Ended runs per UTC hour and latency bucket.</summary>
    private static string LatencySource(Query q, Guid? agentId)
    {
        var agent = OfAgent(q, agentId);
        return $"""
            SELECT hour AT TIME ZONE 'UTC' AS hour, bucket, runs FROM run_hour_latency WHERE org_id = $1 AND {q.Rolled("hour")}
            UNION ALL
            SELECT date_trunc('hour', r.started_at AT TIME ZONE 'UTC'), {HourlyRollups.LatencyBucket("r.duration_ms", q.Add(LatencyHistogram.Bounds))}, 1
            FROM runs r WHERE r.org_id = $1 AND {q.Raw("r.started_at")} AND r.duration_ms IS NOT NULL{agent}
            """;
    }

    /// <summary>LLM calls per UTC hour and model, with their errors and sums.</summary>
    private static string ModelSource(Query q, Guid? agentId)
    {
        var agent = OfAgent(q, agentId, "e.");
        return $"""
            SELECT hour AT TIME ZONE 'UTC' AS hour, model, calls, errors, cost_micros, tokens_in, tokens_out FROM model_hours WHERE org_id = $1 AND {q.Rolled("hour")}
            UNION ALL
            SELECT date_trunc('hour', e.ts AT TIME ZONE 'UTC'), e.model, 1, CASE WHEN {HourlyRollups.CallIsError} THEN 1 ELSE 0 END,
                   coalesce(e.cost_micros, 0), coalesce(e.tokens_in, 0), coalesce(e.tokens_out, 0)
            FROM events e WHERE e.org_id = $1 AND e.model IS NOT NULL AND {q.Raw("e.ts")}{agent}
            """;
    }

    /// <summary>The agent condition when one agent is asked for (the rollups' rows and the raw rows both have agent_id).</summary>
    private static string OfAgent(Query q, Guid? agentId, string prefix = "") => agentId is { } id ? $" AND {prefix}agent_id = {q.Add(id)}" : "";

    /// <summary>
    /// A query's parameters: $1 the organization, then the bounds of the rolled stretches and of the gaps, then what
    /// <see cref="Add"/> appends (each call returns its placeholder). Both are plain ranges in the SQL, not arrays:
    /// with their values in the query the planner estimates each index range by its real size (a range joined from an
    /// array is guessed at a ninth of the table, and read by a full scan).
    /// </summary>
    private sealed class Query
    {
        private readonly Guid _orgId;
        private readonly (DateTime From, DateTime To)[] _rolled;
        private readonly (DateTime From, DateTime To)[] _gaps;
        private readonly List<object> _args;
        private readonly string _rolledIn;
        private readonly string _gapsIn;

        public Query(Guid orgId, (DateTime From, DateTime To)[] rolled, (DateTime From, DateTime To)[] gaps)
        {
            (_orgId, _rolled, _gaps) = (orgId, rolled, gaps);
            _args = [orgId];
            _rolledIn = Ranges(rolled);
            _gapsIn = Ranges(gaps);
        }

        private string Ranges((DateTime From, DateTime To)[] ranges) => ranges.Length == 0 ? "false"
            : "(" + string.Join(" OR ", ranges.Select(g => $"{{0}} >= {Add(g.From)} AND {{0}} < {Add(g.To)}")) + ")";

        /// <summary>Another query over the same hours, with only the organization and the ranges as parameters.</summary>
        public Query Base() => new(_orgId, _rolled, _gaps);

        /// <summary>The condition that an hour column is in one of the rolled stretches (the rows read from the rollups).</summary>
        public string Rolled(string column) => string.Format(CultureInfo.InvariantCulture, _rolledIn, column);

        /// <summary>The condition that a time column is in one of the gaps (the rows read raw).</summary>
        public string Raw(string column) => string.Format(CultureInfo.InvariantCulture, _gapsIn, column);

        public string Add(object value)
        {
            _args.Add(value);
            return $"${_args.Count}";
        }

        public Task<List<T>> ListAsync<T>(Tx tx, string sql, Func<NpgsqlDataReader, T> map, CancellationToken ct) => tx.ListAsync(sql, map, ct, [.. _args]);
    }

    private static string Trunc(Bucket bucket) => bucket == Bucket.Hour ? "hour" : "day";

    /// <summary>A bucket start read back: a timestamp that is UTC.</summary>
    private static DateTimeOffset Utc(NpgsqlDataReader r, int i) => new(DateTime.SpecifyKind(r.GetDateTime(i), DateTimeKind.Utc));

    private static SeriesPoint Point(NpgsqlDataReader r) => new(Utc(r, 0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5),
        r.GetInt64(6));
}
