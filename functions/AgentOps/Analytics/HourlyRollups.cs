using System.Data;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentOps.Analytics;

/// <summary>
/// Hourly rollups of runs and LLM calls for the Postgres analytics (migration 0014): per organization and UTC hour, the
/// runs' sums per agent and status (run_hours), their latency histogram (run_hour_latency, <see cref="LatencyHistogram"/>)
/// and the LLM calls' sums per model (model_hours). <see cref="PostgresAnalytics"/> reads the rolled-up hours of a
/// range from these and the rest (the edges, the last hours, hours changed since) from the runs and events, so every
/// answer stays exact (percentiles to within 1 %, as both stores give them) whatever has been rolled up.
/// <para>
/// An hour is rolled once it ended <see cref="Settle"/> ago, in one repeatable-read transaction that records its
/// snapshot with the rollup. Triggers mark an hour older than two hours with the transaction that changes one of its
/// runs or LLM calls; a mark the snapshot did not see (a late event, a purge, a recomputed cost) sends the hour back to
/// the raw rows until it is rolled again.
/// Called by RollupWorker (the self-host runtime) and a Timer trigger (Azure host) every <see cref="Interval"/>; does
/// nothing when ClickHouse answers analytics.
/// </para>
/// </summary>
public sealed class HourlyRollups(Db db, AnalyticsOptions options, TimeProvider time, ILogger<HourlyRollups> logger)
{
    /// <summary>How often each runtime rolls up: the self-host's worker waits this long, the Azure timer runs on <see cref="Schedule"/>.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    /// <summary><see cref="Interval"/> as the NCRONTAB expression (with seconds) of the Azure host's timer trigger.</summary>
    public const string Schedule = "0 * * * * *";

    /// <summary>An hour is rolled up once it ended this long ago (the triggers mark changes to hours older than 2 h; see 0014).</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromHours(3);

    /// <summary>Hours older than the longest range a query covers are not rolled up.</summary>
    public static readonly TimeSpan Lookback = TimeSpan.FromDays(AnalyticsRange.MaxDays);

    /// <summary>Hours rolled per transaction: a day, so a first roll-up of a busy year commits as it goes and no step nears a command timeout.</summary>
    public const int HoursPerStep = 24;

    public bool Enabled => options.ClickHouseUrl is null;

    /// <summary>Rolls up what is due in every organization; returns how many hours it rolled.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        if (!Enabled) return 0;
        var orgs = await db.WithoutOrgAsync(tx => tx.ListAsync("SELECT rollup_orgs()", r => r.GetGuid(0), ct), ct);
        var total = 0;
        foreach (var orgId in orgs) total += await RollUpAsync(orgId, ct);
        if (total > 0) logger.LogInformation("Rolled up {Hours} hours of runs in {Orgs} organizations", total, orgs.Count);
        return total;
    }

    /// <summary>
    /// Rolls up every hour of the organization that is due (not rolled, or changed since); returns how many it rolled.
    /// When it returns, every hour due when it was called is rolled up, by this call or by another replica's: replicas
    /// take turns per organization (an advisory lock held on a connection of its own, since the rollup's snapshot must
    /// be taken after the lock is held, not before).
    /// </summary>
    public async Task<int> RollUpAsync(Guid orgId, CancellationToken ct)
    {
        await using var lockConnection = await db.DataSource.OpenConnectionAsync(ct);
        await Exec(lockConnection, "SELECT pg_advisory_lock(hashtextextended('agentops.rollup:' || $1, 0))", orgId.ToString(), ct);
        try
        {
            var total = 0;
            while (true)
            {
                var rolled = await db.InOrgAsync(orgId, tx => StepAsync(tx, ct), ct, IsolationLevel.RepeatableRead);
                total += rolled;
                if (rolled < HoursPerStep) return total;
            }
        }
        finally
        {
            // Pooled connections keep session locks: release it explicitly, even when cancelled.
            await Exec(lockConnection, "SELECT pg_advisory_unlock(hashtextextended('agentops.rollup:' || $1, 0))", orgId.ToString(), CancellationToken.None);
        }

        static async Task Exec(NpgsqlConnection connection, string sql, string key, CancellationToken ct)
        {
            await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = key } } };
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>The last hour that may be rolled up at <paramref name="now"/>: it ended at least <see cref="Settle"/> ago.</summary>
    public static DateTimeOffset LastDue(DateTimeOffset now) => AnalyticsRules.BucketStart(now - Settle, Bucket.Hour) - TimeSpan.FromHours(1);

    private async Task<int> StepAsync(Tx tx, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var hours = (await tx.ListAsync($"""
            SELECT g.hour
            FROM (SELECT date_trunc('hour', least((SELECT min(started_at) FROM runs WHERE org_id = $1),
                                                  (SELECT min(ts) FROM events WHERE org_id = $1 AND model IS NOT NULL)) AT TIME ZONE 'UTC')
                         AT TIME ZONE 'UTC' AS first) f,
                 generate_series(greatest(f.first, $2), $3, interval '1 hour') g(hour)
            LEFT JOIN rollup_hours r ON r.org_id = $1 AND r.hour = g.hour
            WHERE f.first IS NOT NULL AND (r.hour IS NULL OR {Changed("r")})
            ORDER BY g.hour DESC
            LIMIT $4
            """, r => r.GetFieldValue<DateTime>(0), ct,
            tx.OrgId, AnalyticsRules.BucketStart(now - Lookback, Bucket.Hour), LastDue(now), HoursPerStep)).ToArray();
        if (hours.Length == 0) return 0;
        const string Hours = "FROM unnest($2::timestamptz[]) h(hour)";
        await tx.ExecuteAsync("""
            WITH runs_gone AS (DELETE FROM run_hours WHERE org_id = $1 AND hour = ANY($2)),
                 latency_gone AS (DELETE FROM run_hour_latency WHERE org_id = $1 AND hour = ANY($2))
            DELETE FROM model_hours WHERE org_id = $1 AND hour = ANY($2)
            """, ct, tx.OrgId, hours);
        await tx.ExecuteAsync($"""
            INSERT INTO run_hours (org_id, hour, agent_id, status, runs, cost_micros, tokens_in, tokens_out, event_count, llm_calls, tool_calls, unpriced_calls)
            SELECT $1, h.hour, r.agent_id, r.status, count(*), sum(r.cost_micros), sum(r.tokens_in), sum(r.tokens_out), sum(r.event_count), sum(r.llm_calls),
                   sum(r.tool_calls), sum(r.unpriced_calls)
            {Hours} JOIN runs r ON r.org_id = $1 AND r.started_at >= h.hour AND r.started_at < h.hour + interval '1 hour'
            GROUP BY h.hour, r.agent_id, r.status
            """, ct, tx.OrgId, hours);
        await tx.ExecuteAsync($"""
            INSERT INTO run_hour_latency (org_id, hour, bucket, runs)
            SELECT $1, h.hour, width_bucket(r.duration_ms, $3::bigint[]), count(*)
            {Hours} JOIN runs r ON r.org_id = $1 AND r.started_at >= h.hour AND r.started_at < h.hour + interval '1 hour' AND r.duration_ms IS NOT NULL
            GROUP BY 2, 3
            """, ct, tx.OrgId, hours, LatencyHistogram.Bounds);
        await tx.ExecuteAsync($"""
            INSERT INTO model_hours (org_id, hour, model, calls, errors, cost_micros, tokens_in, tokens_out)
            SELECT $1, h.hour, e.model, count(*), count(*) FILTER (WHERE e.type = 'error' OR e.error IS NOT NULL AND e.type <> 'run.end'),
                   coalesce(sum(e.cost_micros), 0), coalesce(sum(e.tokens_in), 0), coalesce(sum(e.tokens_out), 0)
            {Hours} JOIN events e ON e.org_id = $1 AND e.model IS NOT NULL AND e.ts >= h.hour AND e.ts < h.hour + interval '1 hour'
            GROUP BY 2, 3
            """, ct, tx.OrgId, hours);
        // The hour is rolled up as of this transaction's snapshot; the marks it saw are done with.
        await tx.ExecuteAsync("""
            WITH seen AS (DELETE FROM rollup_marks WHERE org_id = $1 AND hour = ANY($2) AND pg_visible_in_snapshot(xid, pg_current_snapshot()))
            INSERT INTO rollup_hours (org_id, hour, snapshot)
            SELECT $1, h, pg_current_snapshot() FROM unnest($2::timestamptz[]) h
            ON CONFLICT (org_id, hour) DO UPDATE SET snapshot = EXCLUDED.snapshot, rolled_at = now()
            """, ct, tx.OrgId, hours);
        return hours.Length;
    }

    /// <summary>
    /// Whether the rollup row <paramref name="r"/> misses a change: a mark of its hour by a transaction its snapshot did
    /// not see (committed after it was taken, or still open then).
    /// </summary>
    private static string Changed(string r) =>
        $"EXISTS (SELECT 1 FROM rollup_marks m WHERE m.org_id = {r}.org_id AND m.hour = {r}.hour AND NOT pg_visible_in_snapshot(m.xid, {r}.snapshot))";

    /// <summary>The whole hours of the range whose rollup may be read now (rolled, and unchanged since), in order.</summary>
    public static async Task<DateTime[]> RolledHoursAsync(Tx tx, AnalyticsRange range, CancellationToken ct)
    {
        var rows = await tx.ListAsync($"""
            SELECT r.hour FROM rollup_hours r
            WHERE r.org_id = $1 AND r.hour >= $2 AND r.hour <= $3 AND NOT {Changed("r")}
            ORDER BY r.hour
            """, r => r.GetFieldValue<DateTime>(0), ct, tx.OrgId, range.From, range.To - TimeSpan.FromHours(1));
        return [.. rows];
    }

    /// <summary>Most raw intervals one query reads: each is one index range the planner sees with its real bounds.</summary>
    public const int MaxGaps = 16;

    /// <summary>
    /// What a query over the range reads: the rolled hours it uses and the intervals between them (read raw), as
    /// [from, to) pairs, at most <see cref="MaxGaps"/> of them: when changed hours cut the rolled ones into many short
    /// stretches, the shortest stretches are read raw too. <paramref name="rolled"/>: sorted whole hours inside the range. Pure.
    /// </summary>
    public static (DateTime[] Rolled, (DateTime From, DateTime To)[] Gaps) Plan(AnalyticsRange range, IReadOnlyList<DateTime> rolled)
    {
        var stretches = new List<(DateTime From, int Hours)>();
        foreach (var hour in rolled)
        {
            if (stretches.Count > 0 && stretches[^1].From.AddHours(stretches[^1].Hours) == hour) stretches[^1] = (stretches[^1].From, stretches[^1].Hours + 1);
            else stretches.Add((hour, 1));
        }
        // k stretches leave at most k + 1 gaps: keep the longest MaxGaps - 1.
        var kept = stretches.OrderByDescending(s => s.Hours).ThenBy(s => s.From).Take(MaxGaps - 1).OrderBy(s => s.From).ToList();
        var gaps = new List<(DateTime, DateTime)>();
        var cursor = range.From.UtcDateTime;
        foreach (var (from, hours) in kept)
        {
            if (from > cursor) gaps.Add((cursor, from));
            cursor = from.AddHours(hours);
        }
        if (cursor < range.To.UtcDateTime) gaps.Add((cursor, range.To.UtcDateTime));
        return ([.. kept.SelectMany(s => Enumerable.Range(0, s.Hours).Select(h => s.From.AddHours(h)))], [.. gaps]);
    }
}
