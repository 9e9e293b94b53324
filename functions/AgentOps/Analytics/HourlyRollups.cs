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
/// Called by RollupWorker (the self-host runtime) and a Timer trigger (Azure host) every <see cref="Interval"/>; when
/// ClickHouse answers analytics it only deletes the marks (nothing else would).
/// </para>
/// </summary>
public sealed class HourlyRollups(Db db, AnalyticsOptions options, ILogger<HourlyRollups> logger)
{
    /// <summary>How often each runtime rolls up: the self-host's worker waits this long, the Azure timer runs on <see cref="Schedule"/>.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    /// <summary><see cref="Interval"/> as the NCRONTAB expression (with seconds) of the Azure host's timer trigger.</summary>
    public const string Schedule = "0 * * * * *";

    /// <summary>An hour is rolled up once it ended this long ago (the triggers mark changes to hours older than 2 h; see 0014).</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromHours(3);

    /// <summary>Hours older than the longest range a query covers are not rolled up, and their rollups are deleted.</summary>
    public static readonly TimeSpan Lookback = TimeSpan.FromDays(AnalyticsRange.MaxDays);

    /// <summary>Hours rolled per transaction: a day, so a first roll-up of a busy year commits as it goes and no step nears a command timeout.</summary>
    public const int HoursPerStep = 24;

    /// <summary>Transactions per organization and call: a first fill of 400 days takes 4 sweeps, and other organizations are not kept waiting.</summary>
    public const int MaxStepsPerCall = 100;

    /// <summary>
    /// An LLM call that is an error, as the model series counts it (the same rule as a run's error events,
    /// Ingest/Rollups.IsError): in the rollup and in the raw rows alike. <c>e</c> is the events row.
    /// </summary>
    public const string CallIsError = "(e.type = 'error' OR e.error IS NOT NULL AND e.type <> 'run.end')";

    /// <summary>
    /// Rolls up what is due in every organization (an organization another replica is rolling is skipped until the next
    /// sweep; one that fails is logged and the others go on); returns how many hours it rolled.
    /// </summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        if (options.ClickHouseUrl is not null || options.RollupsPaused)
        {
            if (options.ClickHouseUrl is not null) await PruneAsync(allMarks: true, ct);
            return 0;
        }
        await PruneAsync(allMarks: false, ct);
        var orgs = await db.WithoutOrgAsync(tx => tx.ListAsync("SELECT rollup_orgs()", r => r.GetGuid(0), ct), ct);
        var total = 0;
        foreach (var orgId in orgs)
        {
            try { total += await RollUpAsync(orgId, ct, wait: false); }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning("Hourly rollup of organization {OrgId} failed: {Error}", orgId, SafeErrors.Message(e));
            }
        }
        if (total > 0) logger.LogInformation("Rolled up {Hours} hours of runs in {Orgs} organizations", total, orgs.Count);
        return total;
    }

    private Task PruneAsync(bool allMarks, CancellationToken ct) =>
        db.WithoutOrgAsync(tx => tx.ExecuteAsync("SELECT rollup_prune(now() - $1::interval, $2)", ct, Lookback, allMarks), ct);

    /// <summary>
    /// Rolls up the hours of the organization that are due (not rolled, or changed since), up to
    /// <see cref="MaxStepsPerCall"/> days of them; returns how many it rolled. Replicas take turns per organization (an
    /// advisory lock held on a connection of its own, since each step's snapshot must be taken after the lock is held):
    /// with <paramref name="wait"/>, it waits for the other replica, so that when it returns every hour that was due is
    /// rolled up (by it or by the other); without, it leaves the organization to the other replica.
    /// </summary>
    public async Task<int> RollUpAsync(Guid orgId, CancellationToken ct, bool wait = true)
    {
        await using var lockConnection = await db.DataSource.OpenConnectionAsync(ct);
        var locked = await LockAsync(lockConnection, wait ? "pg_advisory_lock" : "pg_try_advisory_lock", orgId, ct);
        if (!wait && !locked) return 0;
        try
        {
            await db.InOrgAsync(orgId, tx => ForgetForeignAsync(tx, ct), ct);
            var total = 0;
            for (var step = 0; step < MaxStepsPerCall; step++)
            {
                var rolled = await db.InOrgAsync(orgId, tx => StepAsync(tx, ct), ct, IsolationLevel.RepeatableRead);
                total += rolled;
                if (rolled < HoursPerStep) break;
            }
            return total;
        }
        finally
        {
            // Pooled connections keep session locks: release it explicitly, even when cancelled.
            await LockAsync(lockConnection, "pg_advisory_unlock", orgId, CancellationToken.None);
        }
    }

    /// <summary>Calls an advisory lock function on the organization's key; waiting has no command timeout (cancellable).</summary>
    private static async Task<bool> LockAsync(NpgsqlConnection connection, string function, Guid orgId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"SELECT {function}(hashtextextended('agentops.rollup:' || $1, 0))::text", connection)
        {
            CommandTimeout = 0,
            Parameters = { new() { Value = orgId.ToString() } },
        };
        return await command.ExecuteScalarAsync(ct) is not "false";
    }

    /// <summary>
    /// Snapshots and marks from another cluster (a logical dump restored, a replica promoted after logical replication)
    /// name transaction ids this one has not reached: compared with them, new changes would look seen. Such rollups
    /// are deleted (and computed again), such marks too.
    /// </summary>
    private static Task ForgetForeignAsync(Tx tx, CancellationToken ct) => tx.ExecuteAsync("""
        WITH stale AS (DELETE FROM rollup_hours WHERE org_id = $1 AND pg_snapshot_xmax(snapshot) > pg_current_xact_id())
        DELETE FROM rollup_marks WHERE org_id = $1 AND xid > pg_current_xact_id()
        """, ct, tx.OrgId);

    /// <summary>The last hour that may be rolled up at <paramref name="now"/>: it ended at least <see cref="Settle"/> ago (the step takes now from the database, as the triggers do).</summary>
    public static DateTimeOffset LastDue(DateTimeOffset now) => AnalyticsRules.BucketStart(now - Settle, Bucket.Hour) - TimeSpan.FromHours(1);

    /// <summary>The UTC hour of a timestamptz expression, as a timestamptz.</summary>
    private static string HourOf(string t) => $"date_trunc('hour', ({t}) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'";

    private static async Task<int> StepAsync(Tx tx, CancellationToken ct)
    {
        // Due: from the first run or LLM call (at most Lookback ago) to the last hour that ended Settle ago, by the
        // database's clock (the triggers' clock), newest first; not rolled up, or changed since.
        var hours = (await tx.ListAsync($"""
            SELECT g.hour
            FROM (SELECT {HourOf("least((SELECT min(started_at) FROM runs WHERE org_id = $1), (SELECT min(ts) FROM events WHERE org_id = $1 AND model IS NOT NULL))")} AS first) f,
                 generate_series(greatest(f.first, {HourOf("now() - $2::interval")}), {HourOf("now() - $3::interval")} - interval '1 hour', interval '1 hour') g(hour)
            LEFT JOIN rollup_hours r ON r.org_id = $1 AND r.hour = g.hour
            WHERE f.first IS NOT NULL AND (r.hour IS NULL OR {Changed("r")})
            ORDER BY g.hour DESC
            LIMIT $4
            """, r => r.GetFieldValue<DateTime>(0), ct, tx.OrgId, Lookback, Settle, HoursPerStep)).ToArray();
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
            SELECT $1, h.hour, {LatencyBucket("r.duration_ms", "$3")}, count(*)
            {Hours} JOIN runs r ON r.org_id = $1 AND r.started_at >= h.hour AND r.started_at < h.hour + interval '1 hour' AND r.duration_ms IS NOT NULL
            GROUP BY 2, 3
            """, ct, tx.OrgId, hours, LatencyHistogram.Bounds);
        await tx.ExecuteAsync($"""
            INSERT INTO model_hours (org_id, hour, model, calls, errors, cost_micros, tokens_in, tokens_out)
            SELECT $1, h.hour, e.model, count(*), count(*) FILTER (WHERE {CallIsError}),
                   coalesce(sum(e.cost_micros), 0), coalesce(sum(e.tokens_in), 0), coalesce(sum(e.tokens_out), 0)
            {Hours} JOIN events e ON e.org_id = $1 AND e.model IS NOT NULL AND e.ts >= h.hour AND e.ts < h.hour + interval '1 hour'
            GROUP BY 2, 3
            """, ct, tx.OrgId, hours);
        // The hours are rolled up as of this transaction's snapshot; the marks it saw (all it can see) are done with.
        await tx.ExecuteAsync("""
            WITH seen AS (DELETE FROM rollup_marks WHERE org_id = $1 AND hour = ANY($2))
            INSERT INTO rollup_hours (org_id, hour, snapshot)
            SELECT $1, h, pg_current_snapshot() FROM unnest($2::timestamptz[]) h
            ON CONFLICT (org_id, hour) DO UPDATE SET snapshot = EXCLUDED.snapshot, rolled_at = now()
            """, ct, tx.OrgId, hours);
        return hours.Length;
    }

    /// <summary>The latency bucket of a duration: width_bucket over <see cref="LatencyHistogram.Bounds"/> (passed as <paramref name="bounds"/>).</summary>
    public static string LatencyBucket(string duration, string bounds) => $"width_bucket({duration}, {bounds}::bigint[])";

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
    /// What a query over the range reads: the stretches of rolled hours it uses and the intervals between them (read
    /// raw), both as [from, to) pairs; at most <see cref="MaxGaps"/> gaps: when changed hours cut the rolled ones into
    /// many short stretches, the shortest stretches are read raw too. <paramref name="rolled"/>: sorted whole hours
    /// inside the range. Pure.
    /// </summary>
    public static ((DateTime From, DateTime To)[] Rolled, (DateTime From, DateTime To)[] Gaps) Plan(AnalyticsRange range, IReadOnlyList<DateTime> rolled)
    {
        var stretches = new List<(DateTime From, DateTime To)>();
        foreach (var hour in rolled)
        {
            if (stretches.Count > 0 && stretches[^1].To == hour) stretches[^1] = (stretches[^1].From, hour.AddHours(1));
            else stretches.Add((hour, hour.AddHours(1)));
        }
        // k stretches leave at most k + 1 gaps: keep the longest MaxGaps - 1.
        var kept = stretches.OrderByDescending(s => s.To - s.From).ThenBy(s => s.From).Take(MaxGaps - 1).OrderBy(s => s.From).ToArray();
        var gaps = new List<(DateTime, DateTime)>();
        var cursor = range.From.UtcDateTime;
        foreach (var (from, to) in kept)
        {
            if (from > cursor) gaps.Add((cursor, from));
            cursor = to;
        }
        if (cursor < range.To.UtcDateTime) gaps.Add((cursor, range.To.UtcDateTime));
        return (kept, [.. gaps]);
    }
}
