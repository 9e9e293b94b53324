using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AgentOps.Analytics;
using AgentOps.Analytics.ClickHouse;
using AgentOps.Platform;
using AgentOps.Platform.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentOps.Bench;

/// <summary>
/// ./agentops bench analytics: the dashboard summary (IAnalytics.SummaryAsync over 30 days, by day) on ClickHouse over
/// 10M events (+1M runs), generated server-side from numbers(), and on Postgres over 1M events (+100k runs), generated
/// with generate_series as the schema owner and queried as the application role (row-level security on). Also
/// exports the Postgres events to ClickHouse with ExportBatchAsync and reports its rate and allocations per row.
/// Progress goes to stderr; one JSON line to stdout.
/// </summary>
public static class AnalyticsBench
{
    public const long ClickHouseEvents = 10_000_000;
    public const long PostgresEvents = 1_000_000;
    /// <summary>Events per run: run.start, 8 LLM/tool calls, run.end.</summary>
    public const int EventsPerRun = 10;
    public const int Days = 30;
    public const int Agents = 20;
    public const int WarmUp = 3;
    public const int Iterations = 30;
    public const int ExportBatchSize = 50_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick"); // a smoke run: 1/100 of the data
        var chEvents = quick ? ClickHouseEvents / 100 : ClickHouseEvents;
        var pgEvents = quick ? PostgresEvents / 100 : PostgresEvents;
        var ownerUrl = Env("AGENTOPS_BENCH_OWNER_DATABASE_URL");
        var appUrl = Env("AGENTOPS_BENCH_DATABASE_URL");
        var errors = new List<string>();
        var chSettings = ClickHouseSettings.Parse(Env("AGENTOPS_BENCH_CLICKHOUSE_URL"), "AGENTOPS_BENCH_CLICKHOUSE_URL", errors) with { RequestTimeout = TimeSpan.FromMinutes(10) };
        if (errors.Count > 0) throw new InvalidOperationException(string.Join("; ", errors));
        var owner = Normalize(ownerUrl);

        await Migrator.ApplyAsync(owner, NullLogger.Instance, CancellationToken.None);
        using var ch = new ClickHouseClient(chSettings);
        await ch.ExecuteAsync($"DROP DATABASE IF EXISTS {ClickHouseSql.Name(ch.Database)}", default, new Dictionary<string, string> { ["database"] = "default" });
        await ClickHouseSchema.EnsureAsync(ch, default);

        var end = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 86400 * 86400);
        var range = AnalyticsRange.Create(end.AddDays(-Days), end);
        var chOrg = Guid.NewGuid();
        var pgOrg = Guid.NewGuid();

        var sw = Stopwatch.StartNew();
        await GenerateClickHouseAsync(ch, chOrg, range, chEvents);
        Progress($"ClickHouse: {chEvents:N0} events and {chEvents / EventsPerRun:N0} runs in {sw.Elapsed.TotalSeconds:0.0} s");

        sw.Restart();
        await GeneratePostgresAsync(owner, pgOrg, range, pgEvents);
        Progress($"Postgres: {pgEvents:N0} events and {pgEvents / EventsPerRun:N0} runs in {sw.Elapsed.TotalSeconds:0.0} s");

        await using var app = NpgsqlDataSource.Create(Normalize(appUrl));
        var db = new Db(app);

        // Export: the Postgres organization's events into ClickHouse (another org id than the 10M, so the summary is unchanged).
        sw.Restart();
        var export = new ClickHouseExport(ch);
        string? key = null;
        long exported = 0, bytes = 0;
        var allocated = GC.GetTotalAllocatedBytes(true);
        while (true)
        {
            var batch = await db.InOrgAsync(pgOrg, tx => export.ExportBatchAsync(tx, ExportSource.Events, key, null, null, DateTimeOffset.UtcNow, ExportBatchSize, InsertMode.Sync, default), default);
            if (batch.Rows == 0) break;
            (key, exported, bytes) = (batch.LastKey, exported + batch.Rows, bytes + batch.Bytes);
        }
        var exportSeconds = sw.Elapsed.TotalSeconds;
        var allocPerRow = (GC.GetTotalAllocatedBytes(true) - allocated) / Math.Max(1, exported);
        Progress($"export: {exported:N0} events ({bytes / 1e6:0} MB JSON) in {exportSeconds:0.0} s, {allocPerRow} bytes allocated per row");

        // Fresh (parts not merged yet: reads need FINAL) and merged (the steady state of historical data: no FINAL).
        var chFresh = await TimeAsync("ClickHouse (fresh parts)", new ClickHouseAnalytics(ch), chOrg, range, chEvents / EventsPerRun);
        sw.Restart();
        foreach (var table in new[] { ClickHouseSchema.Runs, ClickHouseSchema.Events })
            await ch.ExecuteAsync($"OPTIMIZE TABLE {ch.Database}.{table} FINAL", default);
        Progress($"ClickHouse: parts merged (OPTIMIZE FINAL) in {sw.Elapsed.TotalSeconds:0.0} s");
        var chTimes = await TimeAsync("ClickHouse (merged)", new ClickHouseAnalytics(ch), chOrg, range, chEvents / EventsPerRun);
        var pgTimes = await TimeAsync("Postgres", new PostgresAnalytics(db), pgOrg, range, pgEvents / EventsPerRun);

        var chCount = await ScalarAsync(ch, $"SELECT count() AS n FROM {ch.Database}.events WHERE org_id = {ClickHouseSql.Uuid(chOrg)}");
        await using var ownerConnection = new NpgsqlConnection(owner);
        await ownerConnection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM events WHERE org_id = $1", ownerConnection) { Parameters = { new() { Value = pgOrg } } };
        var pgCount = (long)(await count.ExecuteScalarAsync())!;

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "analytics",
            ["clickhouse_events"] = chCount,
            ["clickhouse_summary_p50_ms"] = Percentile(chTimes, 50),
            ["clickhouse_summary_p95_ms"] = Percentile(chTimes, 95),
            ["clickhouse_fresh_summary_p50_ms"] = Percentile(chFresh, 50),
            ["clickhouse_fresh_summary_p95_ms"] = Percentile(chFresh, 95),
            ["postgres_events"] = pgCount,
            ["postgres_summary_p50_ms"] = Percentile(pgTimes, 50),
            ["postgres_summary_p95_ms"] = Percentile(pgTimes, 95),
            ["export_events_per_second"] = Math.Round(exported / exportSeconds),
            ["export_allocated_bytes_per_row"] = allocPerRow,
            ["iterations"] = Iterations,
        }));
        return 0;
    }

    private static async Task<double[]> TimeAsync(string store, IAnalytics analytics, Guid org, AnalyticsRange range, long expectedRuns)
    {
        for (var i = 0; i < WarmUp; i++)
        {
            var s = await analytics.SummaryAsync(org, range, Bucket.Day, default);
            if (i == 0 && s.Totals.Runs != expectedRuns) throw new InvalidOperationException($"{store}: the summary saw {s.Totals.Runs} runs, expected {expectedRuns}.");
        }
        var times = new double[Iterations];
        for (var i = 0; i < Iterations; i++)
        {
            var sw = Stopwatch.StartNew();
            await analytics.SummaryAsync(org, range, Bucket.Day, default);
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Progress($"{store} summary: p50 {Percentile(times, 50)} ms, p95 {Percentile(times, 95)} ms over {Iterations} runs");
        return times;
    }

    /// <summary>
    /// Realistic shapes from hashes of the row number (deterministic): 20 agents with a skewed share of runs, 90%
    /// succeeded / 6% failed / 2% cancelled / 2% running, durations from 0.2 s to ~50 s skewed low, five models.
    /// </summary>
    internal static async Task GenerateClickHouseAsync(ClickHouseClient ch, Guid org, AnalyticsRange range, long events)
    {
        var db = ch.Database;
        var runs = events / EventsPerRun;
        var from = range.From.ToUnixTimeSeconds();
        var spacing = (double)(range.To - range.From).TotalSeconds / runs;
        var o = ClickHouseSql.Uuid(org);
        // Agent k of 20 (skewed: low k run most), as the UUID 00000000-0000-4000-8000-00000000000k.
        string AgentId(string n) =>
            $"toUUID(concat('00000000-0000-4000-8000-', substring(toString(1000000000000 + toUInt8(floor(pow(intHash32({n}) % 10000 / 10000., 2) * {Agents}))), 2, 12)))";
        var settings = new Dictionary<string, string> { ["max_execution_time"] = "600" };
        await ch.ExecuteAsync($"""
            INSERT INTO {db}.runs
            SELECT {o}, concat('run-', toString(number)), {AgentId("number")},
                   multiIf(h % 100 < 90, 'succeeded', h % 100 < 96, 'failed', h % 100 < 98, 'cancelled', 'running') AS status,
                   toDateTime({from} + toUInt32(number * {spacing.ToString(CultureInfo.InvariantCulture)}), 'UTC') AS started,
                   if(status = 'running', NULL, started + intDiv(d, 1000)) AS ended,
                   if(status = 'running', NULL, d) AS duration,
                   if(status = 'failed', 'upstream error', NULL), if(status = 'failed', 1, 0),
                   ['bench'], 'prod', ['gpt-4o-mini'], {EventsPerRun}, 6, 2, if(status = 'failed', 1, 0),
                   toInt64(h % 20000), toInt64(h % 4000), 0, toInt64(intHash32(number * 7) % 200000), 0, started, toUInt64(1)
            FROM (SELECT number, intHash64(number) AS h, toInt64(200 + pow(intHash32(number + 1) % 1000, 2) / 20) AS d FROM numbers({runs}))
            """, default, settings);
        Progress($"ClickHouse: {runs:N0} runs written");
        for (long chunk = 0; chunk < events; chunk += 2_000_000)
        {
            var size = Math.Min(2_000_000, events - chunk);
            await ch.ExecuteAsync($"""
                INSERT INTO {db}.events
                SELECT {o}, concat('evt-', toString(n)), concat('run-', toString(r)), {AgentId("r")},
                       multiIf(k = 0, 'run.start', k = {EventsPerRun - 1}, 'run.end', k % 3 = 0, 'tool.call', 'llm.call') AS type,
                       NULL, NULL, toDateTime({from} + toUInt32(r * {spacing.ToString(CultureInfo.InvariantCulture)}) + k, 'UTC') AS ts, NULL, NULL, NULL,
                       if(type = 'llm.call', ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet', 'claude-haiku', 'llama-3'][1 + intHash32(n) % 5], NULL),
                       if(type = 'llm.call', 'openai', NULL),
                       if(type = 'llm.call', toInt64(intHash32(n) % 4000), NULL), if(type = 'llm.call', toInt64(intHash32(n + 1) % 1000), NULL), NULL,
                       if(type = 'llm.call', toInt64(intHash32(n * 7) % 50000), NULL), if(type = 'llm.call', 'computed', NULL),
                       if(type = 'tool.call', 'search', NULL), NULL, 0, NULL, ['bench'], 'prod', ts, ts, toUInt64(1)
                FROM (SELECT number + {chunk} AS n, intDiv(n, {EventsPerRun}) AS r, n % {EventsPerRun} AS k FROM numbers({size}))
                """, default, settings);
            Progress($"ClickHouse: {chunk + size:N0} events written");
        }
    }

    private static async Task GeneratePostgresAsync(string owner, Guid org, AnalyticsRange range, long events)
    {
        var runs = events / EventsPerRun;
        await using var connection = new NpgsqlConnection(owner);
        await connection.OpenAsync();
        async Task Exec(string sql, params object[] args)
        {
            await using var cmd = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
            foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
            await cmd.ExecuteNonQueryAsync();
        }
        await Exec("INSERT INTO organizations (id, name) VALUES ($1, 'analytics bench')", org);
        await Exec("INSERT INTO agents (id, org_id, name) SELECT ('00000000-0000-4000-8000-' || lpad(a::text, 12, '0'))::uuid, $1, 'agent-' || a FROM generate_series(0, $2 - 1) a", org, Agents);
        var spacing = (range.To - range.From).TotalSeconds / runs;
        await Exec("""
            INSERT INTO runs (org_id, id, agent_id, status, start_ts, end_ts, first_event_at, first_event_id, last_event_at, error, tags, environment,
                              event_count, llm_calls, tool_calls, error_count, tokens_in, tokens_out, cost_micros, models, updated_at)
            SELECT $1, 'run-' || n, ('00000000-0000-4000-8000-' || lpad((floor(((hashint4(n) & 2147483647) % 10000 / 10000.0) ^ 2 * $5))::int::text, 12, '0'))::uuid, st,
                   s, CASE WHEN st = 'running' THEN NULL ELSE s + (200 + ((hashint4(n + 1) & 2147483647) % 1000) ^ 2 / 20) * interval '1 millisecond' END,
                   s, 'evt-' || (n * 10), s + interval '9 seconds', CASE WHEN st = 'failed' THEN 'upstream error' END, '{bench}', 'prod',
                   10, 6, 2, CASE WHEN st = 'failed' THEN 1 ELSE 0 END, (hashint4(n * 3) & 2147483647) % 20000, (hashint4(n * 5) & 2147483647) % 4000,
                   (hashint4(n * 7) & 2147483647) % 200000, '{gpt-4o-mini}', s
            FROM generate_series(0, $4 - 1) n,
                 LATERAL (SELECT $2::timestamptz + n * $3 * interval '1 second' AS s,
                                 CASE WHEN (hashint4(n) & 2147483647) % 100 < 90 THEN 'succeeded' WHEN (hashint4(n) & 2147483647) % 100 < 96 THEN 'failed'
                                      WHEN (hashint4(n) & 2147483647) % 100 < 98 THEN 'cancelled' ELSE 'running' END AS st) x
            """, org, range.From, spacing, (int)runs, Agents);
        Progress($"Postgres: {runs:N0} runs written");
        for (long chunk = 0; chunk < events; chunk += 250_000)
        {
            await Exec("""
                INSERT INTO events (org_id, id, run_id, agent_id, type, ts, model, provider, tokens_in, tokens_out, cost_micros, cost_source, tool_name,
                                    tags, environment, accepted_at, stored_at)
                SELECT r.org_id, 'evt-' || (substr(r.id, 5)::bigint * 10 + k), r.id, r.agent_id, t, r.started_at + k * interval '1 second',
                       CASE WHEN t = 'llm.call' THEN (ARRAY['gpt-4o', 'gpt-4o-mini', 'claude-sonnet', 'claude-haiku', 'llama-3'])[1 + (hashint4(k) & 2147483647) % 5] END,
                       CASE WHEN t = 'llm.call' THEN 'openai' END, CASE WHEN t = 'llm.call' THEN 100 * k END, CASE WHEN t = 'llm.call' THEN 30 * k END,
                       CASE WHEN t = 'llm.call' THEN 1000 * k END, CASE WHEN t = 'llm.call' THEN 'computed' END, CASE WHEN t = 'tool.call' THEN 'search' END,
                       '{bench}', 'prod', r.started_at, r.started_at
                FROM runs r, generate_series(0, 9) k,
                     LATERAL (SELECT CASE WHEN k = 0 THEN 'run.start' WHEN k = 9 THEN 'run.end' WHEN k % 3 = 0 THEN 'tool.call' ELSE 'llm.call' END AS t) x
                WHERE r.org_id = $1 AND substr(r.id, 5)::bigint >= $2 AND substr(r.id, 5)::bigint < $3
                """, org, chunk / EventsPerRun, (chunk + 250_000) / EventsPerRun);
            Progress($"Postgres: {Math.Min(events, chunk + 250_000):N0} events written");
        }
        await Exec("ANALYZE runs; ANALYZE events; ANALYZE agents");
    }

    private static async Task<long> ScalarAsync(ClickHouseClient ch, string sql) =>
        (await ch.QueryAsync(sql, r => r.GetProperty("n").GetInt64(), default))[0];

    private static double Percentile(double[] values, int p)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return Math.Round(sorted[(int)Math.Ceiling(p / 100.0 * sorted.Length) - 1], 1);
    }

    private static string Env(string name) => BenchSupport.Env(name, "analytics");

    private static string Normalize(string url) => BenchSupport.Normalize(url);

    private static void Progress(string message) => Console.Error.WriteLine($"[analytics] {message}");
}
