using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AgentOps.Analytics.ClickHouse;
using AgentOps.Platform;
using Npgsql;

namespace AgentOps.Bench;

/// <summary>
/// ./agentops bench export: a full Postgres → ClickHouse export as the product runs it, against two raw baselines over
/// the same rows in the same run.
/// <list type="number">
/// <item>Generates N events (default 2,000,000; 10 per run, so N/10 runs) for one organization in Postgres as the schema
/// owner, set-based (generate_series): run.start, LLM calls with model, tokens and cost, tool calls, a log line, an error
/// in 6% of runs, run.end; ids are time-ordered UUID text like the SDKs send; stored_at / updated_at set.</item>
/// <item>Baseline 1: raw binary <c>COPY (SELECT the export's columns FROM runs|events WHERE org_id = …) TO STDOUT</c>,
/// read and discarded on one connection.</item>
/// <item>The export: a <c>clickhouse_export</c> job (<c>{"mode":"full"}</c>, batch size and parallelism as given) created
/// over HTTP on the real server process, which dispatches, plans and runs it with its job workers; polled with
/// <c>GET /api/v1/jobs/{id}</c> (progress on stderr). Time: the job's created_at to finished_at (dispatch and planning
/// included). Verified: <c>count() FINAL</c> in ClickHouse equals the Postgres count for both tables.</item>
/// <item>Baseline 2: the same rows as the product's own JSONEachRow bytes (written by <see cref="ClickHouseExport.CopyAsJsonEachRowAsync"/>
/// from the same keyset batches, gzip-compressed beforehand exactly when the export compresses — see
/// <see cref="ClickHouseSettings.CompressInserts"/> and AGENTOPS_CLICKHOUSE_COMPRESSION — not timed), POSTed raw into fresh tables of the same
/// schema and engine in another database, in batches of the same size, as many at once as the job's parallelism.</item>
/// </list>
/// Baseline 1, the export and baseline 2 run in rounds (default 3, <c>--rounds N</c>), so that the machine's noise lands
/// on all three alike; the first export also pays the fresh server's warm-up. One JSON line on stdout: the medians of
/// rows_per_s and of both baselines, and the median of the rounds' ratios to their slower baseline.
/// </summary>
public static class ExportBench
{
    public const long DefaultEvents = 2_000_000;
    public const int EventsPerRun = 10;
    public const int Days = 30;
    public const int Agents = 20;
    public const int GenerateChunkRuns = 25_000;

    public static async Task<int> RunAsync(string[] args)
    {
        long Long(string flag, long fallback)
        {
            var i = Array.IndexOf(args, flag);
            return i >= 0 && i + 1 < args.Length ? long.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }
        var quick = args.Contains("--quick"); // a smoke run: 1/100 of the data
        var events = Long("--events", quick ? DefaultEvents / 100 : DefaultEvents);
        var batchSize = (int)Long("--batch", Jobs.JobSpec.DefaultBatchSize);
        var parallelism = (int)Long("--parallelism", Jobs.JobSpec.DefaultParallelism);
        var rounds = (int)Long("--rounds", quick ? 1 : 3);
        if (rounds < 1) throw new ArgumentException("--rounds must be at least 1.");
        if (events < EventsPerRun || events % EventsPerRun != 0) throw new ArgumentException($"--events must be a positive multiple of {EventsPerRun}.");
        var runs = events / EventsPerRun;

        var url = new Uri(Env("AGENTOPS_URL"));
        var owner = Normalize(Env("AGENTOPS_BENCH_OWNER_DATABASE_URL"));
        var errors = new List<string>();
        var chSettings = ClickHouseSettings.Parse(Env("AGENTOPS_BENCH_CLICKHOUSE_URL"), "AGENTOPS_BENCH_CLICKHOUSE_URL", errors) with { RequestTimeout = TimeSpan.FromMinutes(10) };
        if (errors.Count > 0) throw new InvalidOperationException(string.Join("; ", errors));

        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        var (org, key) = await SetUpAsync(http);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        // A fresh ClickHouse database (the server's schema service made it at start; nothing else writes there).
        using var ch = new ClickHouseClient(chSettings);
        var inDefault = new Dictionary<string, string> { ["database"] = "default" };
        await ch.ExecuteAsync($"DROP DATABASE IF EXISTS {ClickHouseSql.Name(ch.Database)}", default, inDefault);
        await ClickHouseSchema.EnsureAsync(ch, default);

        var sw = Stopwatch.StartNew();
        await GenerateAsync(owner, org, events);
        Progress($"generated {events:N0} events and {runs:N0} runs in {sw.Elapsed.TotalSeconds:0.0} s");
        var rows = events + runs;

        // The JSONEachRow bytes of baseline 2, prepared once (not timed).
        sw.Restart();
        var cpu = CpuSnapshot();
        var compress = (chSettings with { Compression = Enum.Parse<ClickHouseCompression>(Environment.GetEnvironmentVariable("AGENTOPS_CLICKHOUSE_COMPRESSION") is { Length: > 0 } c ? c : "auto", true) }).CompressInserts;
        var batches = await PrepareJsonAsync(owner, org, batchSize, compress);
        Progress($"CPU while preparing (postgres: the export's keyset COPY batches, one at a time): {CpuSpent(cpu, CpuSnapshot())}");
        Progress($"prepared {batches.Count} JSONEachRow batches ({batches.Sum(b => b.Bytes) / 1e6:0} MB JSON, {(compress ? $"{batches.Sum(b => b.Body.Length) / 1e6:0.0} MB gzip" : "sent plain, as the export sends them")}) in {sw.Elapsed.TotalSeconds:0.0} s (not timed)");

        // Rounds of baseline 1, the export, baseline 2: noise on this shared machine lands on all three alike, and the
        // first export also pays the server's warm-up (its code tiering up), which a long-running server has behind it.
        var (copyRates, exportRates, insertRates, ratios) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        var verified = true;
        for (var round = 1; round <= rounds; round++)
        {
            Progress($"round {round} of {rounds}");
            cpu = CpuSnapshot();
            var (copyRows, copySeconds) = await CopyBaselineAsync(owner, org);
            Progress($"CPU during the COPY baseline: {CpuSpent(cpu, CpuSnapshot())}");
            if (copyRows != rows) throw new InvalidOperationException($"COPY read {copyRows} rows, expected {rows}.");
            copyRates.Add(copyRows / copySeconds);
            Progress($"baseline COPY TO STDOUT: {copyRows:N0} rows in {copySeconds:0.00} s = {copyRates[^1]:N0} rows/s");

            // The export, as the product runs it, into empty tables (and where the CPU went meanwhile).
            await ch.ExecuteAsync($"DROP DATABASE IF EXISTS {ClickHouseSql.Name(ch.Database)}", default, inDefault);
            await ClickHouseSchema.EnsureAsync(ch, default);
            cpu = CpuSnapshot();
            var (exportSeconds, result) = await ExportAsync(http, rows, batchSize, parallelism);
            Progress($"CPU during the export: {CpuSpent(cpu, CpuSnapshot())}");
            exportRates.Add(rows / exportSeconds);
            var chRuns = await CountAsync(ch, ch.Database, ClickHouseSchema.Runs, org);
            var chEvents = await CountAsync(ch, ch.Database, ClickHouseSchema.Events, org);
            verified &= chRuns == runs && chEvents == events;
            Progress($"export: {rows:N0} rows in {exportSeconds:0.00} s = {exportRates[^1]:N0} rows/s ({result}); ClickHouse FINAL counts runs {chRuns:N0}, events {chEvents:N0}: verified {verified}");

            // Baseline 2: raw inserts of the same bytes into fresh tables of the same schema.
            await WaitForMergesAsync(ch);
            cpu = CpuSnapshot();
            var (insertRows, insertSeconds) = await InsertBaselineAsync(ch, chSettings, batches, parallelism, org);
            Progress($"CPU during the insert baseline: {CpuSpent(cpu, CpuSnapshot())}");
            insertRates.Add(insertRows / insertSeconds);
            Progress($"baseline ClickHouse JSONEachRow insert: {insertRows:N0} rows in {insertSeconds:0.00} s = {insertRates[^1]:N0} rows/s");
            ratios.Add(exportRates[^1] / Math.Min(copyRates[^1], insertRates[^1]));
            Progress($"round {round}: ratio to the slower baseline {ratios[^1]:0.00}");
        }

        static double Median(List<double> xs) { var s = xs.Order().ToList(); return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2; }
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["bench"] = "export",
            ["events"] = events,
            ["runs"] = runs,
            ["rows"] = rows,
            ["rounds"] = rounds,
            ["rows_per_s"] = Math.Round(Median(exportRates)),
            ["copy_baseline_rows_per_s"] = Math.Round(Median(copyRates)),
            ["clickhouse_insert_baseline_rows_per_s"] = Math.Round(Median(insertRates)),
            ["ratio_to_slower"] = Math.Round(Median(ratios), 2),
            ["ratios"] = ratios.Select(r => Math.Round(r, 2)).ToArray(),
            ["batch_size"] = batchSize,
            ["parallelism"] = parallelism,
            ["verified"] = verified,
        }));
        return verified ? 0 : 1;
    }

    /// <summary>An organization and an admin-scoped API key, through the API like a user would.</summary>
    private static async Task<(Guid Org, string Key)> SetUpAsync(HttpClient http)
    {
        var signup = await Json(await http.PostAsJsonAsync("/api/v1/auth/signup", new Dictionary<string, object>
        {
            ["org_name"] = "Export bench", ["email"] = $"bench-{Guid.NewGuid():N}@bench.agentops.dev", ["password"] = "benchmark password 1",
        }));
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/api-keys")
        {
            Content = JsonContent.Create(new Dictionary<string, object> { ["name"] = "export bench", ["scopes"] = new[] { "read", "admin" } }),
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", signup.GetProperty("access_token").GetString()) },
        };
        var key = await Json(await http.SendAsync(create));
        return (signup.GetProperty("organization").GetProperty("id").GetGuid(), key.GetProperty("key").GetString()!);
    }

    /// <summary>
    /// Events first, chunk by chunk, each chunk's runs folded from the events it just wrote (a data-modifying CTE), so
    /// the runs' counters, tokens, cost, models and times agree with their events. Ids: UUIDv7-shaped text (the time
    /// in milliseconds, then hash bits), so key order follows time as with the SDKs' ids.
    /// </summary>
    private static async Task GenerateAsync(string owner, Guid org, long events)
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
        await Exec("""
            CREATE FUNCTION pg_temp.bench_id(t timestamptz, seed bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
              SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || substr(r, 1, 3) || '-8' || substr(r, 4, 3) || '-' || substr(r, 7, 12)
              FROM (SELECT lpad(to_hex((extract(epoch FROM t) * 1000)::bigint), 12, '0') AS h, md5(seed::text) AS r) x
            $$
            """);
        await Exec("INSERT INTO agents (id, org_id, name) SELECT ('00000000-0000-4000-8000-' || lpad(a::text, 12, '0'))::uuid, $1, 'agent-' || a FROM generate_series(0, $2 - 1) a", org, Agents);
        var end = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 86400 * 86400);
        var from = end.AddDays(-Days);
        var spacing = TimeSpan.FromDays(Days).TotalSeconds / runs;
        for (long lo = 0; lo < runs; lo += GenerateChunkRuns)
        {
            var hi = Math.Min(runs, lo + GenerateChunkRuns);
            // Per run (k = 0…9): run.start, llm, tool, llm, log, tool, llm, llm (an error in 6% of runs), tool, run.end.
            await Exec("""
                WITH e AS (
                  INSERT INTO events (org_id, id, run_id, agent_id, type, parent_id, name, ts, ended_at, duration_ms, status, model, provider,
                                      tokens_in, tokens_out, tokens_cached, cost_micros, cost_source, tool_name, input, output, error, tags, environment,
                                      accepted_at, stored_at)
                  SELECT $1, pg_temp.bench_id(ts, n * 10 + k), pg_temp.bench_id(s, -1 - n),
                         ('00000000-0000-4000-8000-' || lpad((floor(((h % 10000) / 10000.0) ^ 2 * $6))::int::text, 12, '0'))::uuid,
                         t, CASE WHEN k > 0 THEN pg_temp.bench_id(s, n * 10) END,
                         CASE t WHEN 'run.start' THEN 'support conversation' WHEN 'log' THEN 'policy checked' END,
                         ts, CASE WHEN t IN ('llm.call', 'tool.call') THEN ts + d * interval '1 millisecond' END,
                         CASE WHEN t IN ('llm.call', 'tool.call') THEN d END,
                         CASE t WHEN 'error' THEN 'error' WHEN 'run.end' THEN CASE WHEN failed THEN 'failed' ELSE 'succeeded' END
                                WHEN 'llm.call' THEN 'ok' WHEN 'tool.call' THEN 'ok' END,
                         CASE WHEN t = 'llm.call' THEN (ARRAY['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'claude-3-5-haiku', 'gemini-2.0-flash', 'gpt-4.1-mini'])[1 + x % 6] END,
                         CASE WHEN t = 'llm.call' THEN (ARRAY['openai', 'openai', 'anthropic', 'anthropic', 'google', 'openai'])[1 + x % 6] END,
                         CASE WHEN t = 'llm.call' THEN 200 + x % 3800 END, CASE WHEN t = 'llm.call' THEN 20 + x % 780 END,
                         CASE WHEN t = 'llm.call' THEN x % 150 END, CASE WHEN t = 'llm.call' THEN (200 + x % 3800) * 3 + (20 + x % 780) * 12 END,
                         CASE WHEN t = 'llm.call' THEN 'computed' END,
                         CASE WHEN t = 'tool.call' THEN (ARRAY['search_orders', 'lookup_customer', 'refund_payment', 'send_email', 'query_kb', 'create_ticket'])[1 + x % 6] END,
                         CASE WHEN t IN ('llm.call', 'run.start') THEN substr(words, 1 + x % 200, 60 + x % 120) END,
                         CASE WHEN t = 'llm.call' THEN substr(words, 1 + x % 150, 40 + x % 100) END,
                         CASE WHEN t = 'error' THEN 'upstream error: 503 from the model provider' END,
                         '{prod,support}', 'prod', ts + interval '40 milliseconds', ts + interval '1 second'
                  FROM generate_series($2::bigint, $3::bigint - 1) n,
                       LATERAL (SELECT $4::timestamptz + n * $5 * interval '1 second' AS s, hashint8(n) & 2147483647 AS h) r,
                       LATERAL (SELECT r.h % 100 < 6 AS failed) f,
                       generate_series(0, 9) k,
                       LATERAL (SELECT CASE WHEN k = 0 THEN 'run.start' WHEN k = 9 THEN 'run.end' WHEN k IN (2, 5, 8) THEN 'tool.call' WHEN k = 4 THEN 'log'
                                            WHEN k = 7 AND f.failed THEN 'error' ELSE 'llm.call' END AS t,
                                       r.s + k * interval '1100 milliseconds' + (hashint8(n * 10 + k) & 1023) * interval '1 millisecond' / 1024 AS ts,
                                       hashint8(n * 10 + k) & 2147483647 AS x,
                                       150 + (hashint8(n * 10 + k) & 2147483647) % 900 AS d,
                                       'the customer asked about a refund for order number 18812 which was delivered late and damaged please check the policy; the agent should verify identity then look up the order history confirm eligibility and issue a partial credit according to the terms of service' AS words) y
                  RETURNING org_id, id, run_id, agent_id, type, ts, ended_at, model, tokens_in, tokens_out, tokens_cached, cost_micros, error, stored_at
                )
                INSERT INTO runs (org_id, id, agent_id, name, status, start_ts, start_event_id, end_ts, end_event_id, first_event_at, first_event_id,
                                  last_event_at, error, tags, environment, event_count, llm_calls, tool_calls, error_count, tokens_in, tokens_out,
                                  tokens_cached, cost_micros, unpriced_calls, models, updated_at)
                SELECT org_id, run_id, min(agent_id::text)::uuid, 'support conversation',
                       CASE WHEN count(*) FILTER (WHERE type = 'error') > 0 THEN 'failed' ELSE 'succeeded' END,
                       min(ts) FILTER (WHERE type = 'run.start'), min(id) FILTER (WHERE type = 'run.start'),
                       max(ts) FILTER (WHERE type = 'run.end'), max(id) FILTER (WHERE type = 'run.end'),
                       min(ts), min(id) FILTER (WHERE type = 'run.start'), max(coalesce(ended_at, ts)), max(error),
                       '{prod,support}', 'prod', count(*), count(*) FILTER (WHERE type = 'llm.call'), count(*) FILTER (WHERE type = 'tool.call'),
                       count(*) FILTER (WHERE type = 'error'), coalesce(sum(tokens_in), 0), coalesce(sum(tokens_out), 0), coalesce(sum(tokens_cached), 0),
                       coalesce(sum(cost_micros), 0), 0, array_agg(DISTINCT model ORDER BY model) FILTER (WHERE model IS NOT NULL), max(stored_at)
                FROM e GROUP BY org_id, run_id
                """, org, lo, hi, from, spacing, Agents);
            Progress($"Postgres: {hi * EventsPerRun:N0} of {events:N0} events ({hi:N0} runs) written");
        }
        // The steady state of data that has sat a while: vacuumed (visibility map set), analyzed, checkpointed.
        await Exec("VACUUM ANALYZE runs");
        await Exec("VACUUM ANALYZE events");
        await Exec("VACUUM ANALYZE agents");
    }

    /// <summary>Raw binary COPY of the export's columns (runs, then events), read into a buffer and dropped.</summary>
    private static async Task<(long Rows, double Seconds)> CopyBaselineAsync(string owner, Guid org)
    {
        await using var connection = new NpgsqlConnection(owner);
        await connection.OpenAsync();
        long rows = 0;
        var seconds = 0.0;
        var buffer = new byte[256 * 1024];
        foreach (var (source, table) in new[] { (ExportSource.Runs, "runs"), (ExportSource.Events, "events") })
        {
            var clock = Stopwatch.StartNew();
            long bytes = 0;
            await using (var copy = await connection.BeginRawBinaryCopyAsync(
                $"COPY (SELECT {ClickHouseExport.Columns(source)} FROM {table} WHERE org_id = '{org}') TO STDOUT (FORMAT BINARY)"))
            {
                int n;
                while ((n = await copy.ReadAsync(buffer, 0, buffer.Length)) > 0) bytes += n;
            }
            seconds += clock.Elapsed.TotalSeconds;
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table} WHERE org_id = $1", connection) { Parameters = { new() { Value = org } } };
            rows += (long)(await count.ExecuteScalarAsync())!;
            Progress($"baseline COPY {table}: {bytes / 1e6:0} MB in {clock.Elapsed.TotalSeconds:0.00} s");
        }
        return (rows, seconds);
    }

    private sealed record JsonBatch(ExportSource Source, int Rows, long Bytes, byte[] Body, bool Gzip);

    /// <summary>The export's own batches (its keyset COPY and row writer), as JSONEachRow bodies held in memory.</summary>
    private static async Task<List<JsonBatch>> PrepareJsonAsync(string owner, Guid org, int batchSize, bool compress)
    {
        await using var connection = new NpgsqlConnection(owner);
        await connection.OpenAsync();
        var batches = new List<JsonBatch>();
        var (toJson, toGzip) = (new Stopwatch(), new Stopwatch());
        foreach (var source in new[] { ExportSource.Runs, ExportSource.Events })
        {
            string? after = null;
            while (true)
            {
                var copy = ClickHouseExport.CopyCommand(source, org, after, null, null, DateTimeOffset.UtcNow, Math.Min(batchSize, ClickHouseExport.MaxBatchSize));
                using var json = new MemoryStream();
                toJson.Start();
                var (last, rows) = await ClickHouseExport.CopyAsJsonEachRowAsync(connection, copy, source, org, json, default);
                toJson.Stop();
                if (rows == 0) break;
                after = last;
                using var gzipped = new MemoryStream();
                toGzip.Start();
                await using (var gzip = new GZipStream(gzipped, CompressionLevel.Fastest, leaveOpen: true))
                    gzip.Write(json.GetBuffer().AsSpan(0, (int)json.Length));
                toGzip.Stop();
                batches.Add(new JsonBatch(source, rows, json.Length, compress ? gzipped.ToArray() : json.ToArray(), compress));
            }
        }
        Progress($"one connection, one thread: COPY to JSON {toJson.Elapsed.TotalSeconds:0.0} s, gzip (what compressing would cost) {toGzip.Elapsed.TotalSeconds:0.0} s");
        return batches;
    }

    /// <summary>Creates the job over HTTP and polls it to the end; seconds from the job's created_at to its finished_at.</summary>
    private static async Task<(double Seconds, string Result)> ExportAsync(HttpClient http, long rows, int batchSize, int parallelism)
    {
        var created = await Json(await http.PostAsJsonAsync("/api/v1/jobs", new Dictionary<string, object>
        {
            ["kind"] = "clickhouse_export", ["payload"] = new Dictionary<string, object> { ["mode"] = "full" },
            ["batch_size"] = batchSize, ["parallelism"] = parallelism,
        }));
        var id = created.GetProperty("job").GetProperty("id").GetGuid();
        Progress($"export job {id} created (batch {batchSize:N0}, parallelism {parallelism})");
        var clock = Stopwatch.StartNew();
        var tty = !Console.IsErrorRedirected;
        var lastPrint = TimeSpan.Zero;
        while (true)
        {
            await Task.Delay(200);
            var detail = await Json(await http.GetAsync($"/api/v1/jobs/{id}"));
            var job = detail.GetProperty("job");
            var progress = detail.GetProperty("progress");
            var status = job.GetProperty("status").GetString();
            var done = progress.GetProperty("rows").GetInt64();
            if (tty || clock.Elapsed - lastPrint >= TimeSpan.FromSeconds(2) || status is not ("scheduled" or "running"))
            {
                var line = $"[export] {status,-9} {100.0 * done / rows,5:0.0}%  {done:N0} / {rows:N0} rows  shards {progress.GetProperty("shards_done").GetInt32()}/{progress.GetProperty("shards").GetInt32()}  {clock.Elapsed.TotalSeconds:0.0} s";
                if (tty) Console.Error.Write($"\r{line}   "); else Console.Error.WriteLine(line);
                lastPrint = clock.Elapsed;
            }
            if (status is "scheduled" or "running") continue;
            if (tty) Console.Error.WriteLine();
            if (status != "succeeded") throw new InvalidOperationException($"The export job {status}: {job.GetProperty("error")}");
            var seconds = (job.GetProperty("finished_at").GetDateTimeOffset() - job.GetProperty("created_at").GetDateTimeOffset()).TotalSeconds;
            var planned = (job.GetProperty("planned_at").GetDateTimeOffset() - job.GetProperty("created_at").GetDateTimeOffset()).TotalSeconds;
            return (seconds, $"{progress.GetProperty("shards").GetInt32()} shards, planned after {planned:0.00} s, {job.GetProperty("result").GetProperty("bytes").GetInt64() / 1e6:0} MB JSON");
        }
    }

    /// <summary>Lets the export's background merges finish first (at most a minute), so the baseline does not pay for them.</summary>
    private static async Task WaitForMergesAsync(ClickHouseClient ch)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(1))
        {
            var merging = (await ch.QueryAsync("SELECT count() AS n FROM system.merges", r => r.GetProperty("n").GetInt64(), default))[0];
            if (merging == 0) return;
            await Task.Delay(500);
        }
    }

    /// <summary>POSTs the prepared bodies into fresh tables of the same schema (another database), parallelism at a time.</summary>
    private static async Task<(long Rows, double Seconds)> InsertBaselineAsync(ClickHouseClient ch, ClickHouseSettings settings, List<JsonBatch> batches,
        int parallelism, Guid org)
    {
        var database = ch.Database + "_baseline";
        var inDefault = new Dictionary<string, string> { ["database"] = "default" };
        await ch.ExecuteAsync($"DROP DATABASE IF EXISTS {ClickHouseSql.Name(database)}", default, inDefault);
        foreach (var statement in ClickHouseSchema.Statements(database)) await ch.ExecuteAsync(statement, default, inDefault);

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = parallelism, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(2) })
        { BaseAddress = settings.Endpoint, Timeout = TimeSpan.FromMinutes(10) };
        string Url(string table) => "?" + string.Join("&", new Dictionary<string, string>
        {
            ["database"] = database,
            ["query"] = $"INSERT INTO {ClickHouseSql.Name(database)}.{ClickHouseSql.Name(table)} FORMAT JSONEachRow",
            ["date_time_input_format"] = "best_effort",
        }.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, parallelism).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Count)
            {
                var batch = batches[i];
                using var content = new ByteArrayContent(batch.Body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
                if (batch.Gzip) content.Headers.ContentEncoding.Add("gzip");
                using var request = new HttpRequestMessage(HttpMethod.Post, Url(batch.Source == ExportSource.Runs ? ClickHouseSchema.Runs : ClickHouseSchema.Events)) { Content = content };
                request.Headers.Add("X-ClickHouse-User", settings.User);
                if (settings.Password is { } password) request.Headers.Add("X-ClickHouse-Key", password);
                using var response = await http.SendAsync(request);
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"baseline insert: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        })));
        var seconds = clock.Elapsed.TotalSeconds;
        var inserted = await CountAsync(ch, database, ClickHouseSchema.Runs, org) + await CountAsync(ch, database, ClickHouseSchema.Events, org);
        var expected = batches.Sum(b => (long)b.Rows);
        if (inserted != expected) throw new InvalidOperationException($"baseline insert: {inserted} rows in ClickHouse, expected {expected}.");
        await ch.ExecuteAsync($"DROP DATABASE IF EXISTS {ClickHouseSql.Name(database)}", default, inDefault);
        return (expected, seconds);
    }

    /// <summary>
    /// CPU seconds so far per process of this bench, from /proc (Linux; empty elsewhere): the server
    /// (AgentOps.Server.dll), the bench database's Postgres backends, the ch-bench ClickHouse server and the Azurite
    /// behind the task hub.
    /// </summary>
    private static Dictionary<int, (string Who, double Seconds)> CpuSnapshot()
    {
        var snapshot = new Dictionary<int, (string, double)>();
        if (!Directory.Exists("/proc")) return snapshot;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var who = cmdline.Contains("AgentOps.Server.dll") ? "server"
                    : cmdline.StartsWith("postgres: ", StringComparison.Ordinal) && cmdline.Contains(" agentops_bench ") ? "postgres"
                    : cmdline.Contains("clickhouse-server") && cmdline.Contains("ch-bench") ? "clickhouse"
                    : cmdline.Contains("azurite") && cmdline.Contains("azurite-bench") ? "azurite" : null;
                if (who is null) continue;
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // utime and stime are fields 14 and 15 of stat (11 and 12 after the command), in clock ticks (100 per second).
                snapshot[pid] = (who, (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return snapshot;
    }

    private static string CpuSpent(Dictionary<int, (string Who, double Seconds)> before, Dictionary<int, (string Who, double Seconds)> after) =>
        string.Join(", ", after.GroupBy(p => p.Value.Who).OrderBy(g => g.Key)
            .Select(g => $"{g.Key} {g.Sum(p => p.Value.Seconds - (before.TryGetValue(p.Key, out var b) ? b.Seconds : 0)):0.0} s"));

    private static async Task<long> CountAsync(ClickHouseClient ch, string database, string table, Guid org) =>
        (await ch.QueryAsync($"SELECT count() AS n FROM {ClickHouseSql.Name(database)}.{ClickHouseSql.Name(table)} FINAL WHERE org_id = {ClickHouseSql.Uuid(org)}",
            r => r.GetProperty("n").GetInt64(), default))[0];

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static string Env(string name) => BenchSupport.Env(name, "export");

    private static string Normalize(string url) => BenchSupport.Normalize(url);

    private static void Progress(string message) => Console.Error.WriteLine($"[export] {message}");
}
