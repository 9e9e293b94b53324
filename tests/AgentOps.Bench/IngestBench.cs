using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace AgentOps.Bench;

/// <summary>
/// `./agentops bench ingest`: many concurrent clients post batches of realistic events to a running server over HTTP.
/// Phase 1 (full speed, --seconds): throughput end to end (acknowledged until every one is stored), accept latency
/// and freshness (ack until the run is queryable through the API). Phase 2 (paced at half of phase 1's rate, 30 s):
/// accept latency at half load. Then verification (acknowledged but not stored; counted twice) and the baseline: raw
/// binary COPY of the same stored rows into a same-shaped table of the same database, in this run. One JSON line out.
/// </summary>
public static class IngestBench
{
    private sealed class Phase
    {
        public long Acked;
        public long Failed;
        /// <summary>Refused by load shedding (429 / 503), retried after Retry-After: not failures.</summary>
        public long Shed;
        public readonly ConcurrentBag<double> AcceptMs = [];
        public readonly ConcurrentBag<double> FreshnessMs = [];
        public readonly ConcurrentQueue<(int Client, long Seq)> AckedBatches = new();
        /// <summary>Every acknowledged request: when it was sent (ms since the Unix epoch, to line up with server and
        /// database logs) and how long it took.</summary>
        public readonly ConcurrentQueue<(double SentUnixMs, double Ms)> Timeline = new();
    }

    public static async Task<int> RunAsync(BenchOptions o)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = o.Clients + 8, AutomaticDecompression = DecompressionMethods.None })
        { BaseAddress = o.Url, Timeout = TimeSpan.FromSeconds(60) };
        var (orgId, key) = await SetUpAsync(http);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var generator = new EventGenerator(o.BatchSize);
        var seqs = new long[o.Clients];

        Log($"warming up ({o.Clients} clients, batches of {o.BatchSize})");
        await LoadAsync(http, generator, seqs, o.Clients, TimeSpan.FromSeconds(3), eventsPerSecond: null, new Phase(), sampleFreshness: false, orgId, o);

        Log($"phase 1: full speed for {o.Seconds} s");
        var full = new Phase();
        var ticks = BenchSupport.CpuTicks();
        var start = Stopwatch.StartNew();
        await LoadAsync(http, generator, seqs, o.Clients, TimeSpan.FromSeconds(o.Seconds), null, full, sampleFreshness: true, orgId, o);
        var loadSeconds = start.Elapsed.TotalSeconds;
        var stored = await WaitStoredAsync(o.OwnerDatabaseUrl, orgId, TimeSpan.FromMinutes(5));
        var endToEndSeconds = start.Elapsed.TotalSeconds;
        var fullAcked = full.Acked;
        var eventsPerSecond = fullAcked / endToEndSeconds;
        Log($"phase 1: {fullAcked:N0} events acknowledged in {loadSeconds:F1} s, all stored after {endToEndSeconds:F1} s: {eventsPerSecond:N0} events/s end to end");

        var halfRate = Math.Max(1000, eventsPerSecond / 2);
        Log($"phase 2: {halfRate:N0} events/s (half) for 30 s");
        var half = new Phase();
        await LoadAsync(http, generator, seqs, o.Clients, TimeSpan.FromSeconds(30), halfRate, half, sampleFreshness: true, orgId, o);
        stored = await WaitStoredAsync(o.OwnerDatabaseUrl, orgId, TimeSpan.FromMinutes(5));

        Log("verifying: every acknowledged event stored, none counted twice");
        var (lost, duplicates) = await VerifyAsync(o.OwnerDatabaseUrl, orgId, generator, full, half);
        Log("baseline: raw binary COPY of the same rows into a same-shaped table");
        var copyRowsPerSecond = await CopyBaselineAsync(o.OwnerDatabaseUrl, orgId);
        var steal = BenchSupport.StealPercent(ticks, BenchSupport.CpuTicks());

        var result = new
        {
            bench = "ingest",
            seconds = o.Seconds,
            clients = o.Clients,
            batch_size = o.BatchSize,
            events_per_s = Math.Round(eventsPerSecond),
            accept_events_per_s = Math.Round(fullAcked / loadSeconds),
            accept_p50_ms = Percentile(full.AcceptMs, 0.50),
            accept_p99_ms = Percentile(full.AcceptMs, 0.99),
            freshness_p50_ms = Percentile(full.FreshnessMs, 0.50),
            freshness_p99_ms = Percentile(full.FreshnessMs, 0.99),
            half_load_events_per_s = Math.Round(halfRate),
            half_load_accept_p50_ms = Percentile(half.AcceptMs, 0.50),
            half_load_accept_p99_ms = Percentile(half.AcceptMs, 0.99),
            half_load_freshness_p99_ms = Percentile(half.FreshnessMs, 0.99),
            failed_requests = full.Failed + half.Failed,
            shed_requests = full.Shed + half.Shed,
            stored_events = stored,
            lost,
            duplicates,
            copy_baseline_rows_per_s = Math.Round(copyRowsPerSecond),
            ratio_to_copy = Math.Round(eventsPerSecond / copyRowsPerSecond, 3),
            // The share of the machine's CPU the hypervisor gave other guests from phase 1 to the baseline: these VMs
            // are shared, and a run with much steal measured a smaller machine.
            cpu_steal_percent = steal,
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        if (o.Timeline is { } path) WriteTimeline(path, ("full", full), ("half", half));
        return lost == 0 && duplicates == 0 ? 0 : 1;
    }

    /// <summary>--timeline FILE: every acknowledged request as CSV (phase, sent_unix_ms, accept_ms), to find what the
    /// slow ones have in common with the server's and the database's own timelines.</summary>
    private static void WriteTimeline(string path, params (string Name, Phase Phase)[] phases)
    {
        using var w = new StreamWriter(path);
        w.WriteLine("phase,sent_unix_ms,accept_ms");
        foreach (var (name, phase) in phases)
        foreach (var (sent, ms) in phase.Timeline.OrderBy(t => t.SentUnixMs))
            w.WriteLine(FormattableString.Invariant($"{name},{sent:F0},{ms:F2}"));
        Log($"timeline of {phases.Sum(p => p.Phase.Timeline.Count):N0} requests written to {path}");
    }

    private static void Log(string message) => Console.Error.WriteLine($"bench: {message}");

    private static async Task<(Guid OrgId, string Key)> SetUpAsync(HttpClient http)
    {
        var signup = await Json(await http.PostAsJsonAsync("/api/v1/auth/signup", new Dictionary<string, object>
        {
            ["org_name"] = "Ingest bench", ["email"] = $"bench-{Guid.NewGuid():N}@bench.agentops.dev", ["password"] = "benchmark password 1",
        }));
        var token = signup.GetProperty("access_token").GetString()!;
        using var patch = new HttpRequestMessage(HttpMethod.Patch, "/api/v1/orgs/profile")
        {
            Content = JsonContent.Create(new Dictionary<string, object> { ["ingest_events_per_second"] = 10_000_000, ["ingest_burst"] = 100_000_000 }),
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
        };
        await Json(await http.SendAsync(patch));
        using var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/api-keys")
        {
            Content = JsonContent.Create(new Dictionary<string, object> { ["name"] = "bench", ["scopes"] = new[] { "ingest", "write", "read" } }),
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
        };
        var key = await Json(await http.SendAsync(create));
        return (signup.GetProperty("organization").GetProperty("id").GetGuid(), key.GetProperty("key").GetString()!);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Clients post until the deadline; paced (events/s over all clients) or as fast as the server answers.</summary>
    private static async Task LoadAsync(HttpClient http, EventGenerator generator, long[] seqs, int clients, TimeSpan duration, double? eventsPerSecond,
        Phase phase, bool sampleFreshness, Guid orgId, BenchOptions o)
    {
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(duration);
        var progress = Task.Run(async () =>
        {
            var last = 0L;
            while (!stop.IsCancellationRequested)
            {
                try { await Task.Delay(5000, stop.Token); } catch (OperationCanceledException) { break; }
                var now = Interlocked.Read(ref phase.Acked);
                Log($"  {clock.Elapsed.TotalSeconds,4:F0} s  {(now - last) / 5.0,10:N0} events/s acknowledged, {phase.Shed} shed, {phase.Failed} failed");
                last = now;
            }
        });
        var freshness = sampleFreshness ? Task.Run(() => SampleFreshnessAsync(http, phase, o, stop.Token)) : Task.CompletedTask;
        var interval = eventsPerSecond is { } rate ? TimeSpan.FromSeconds(o.BatchSize * clients / rate) : TimeSpan.Zero;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var next = clock.Elapsed + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)Math.Max(1, interval.TotalMilliseconds)));
            while (!stop.IsCancellationRequested)
            {
                if (interval > TimeSpan.Zero)
                {
                    var wait = next - clock.Elapsed;
                    if (wait > TimeSpan.Zero) { try { await Task.Delay(wait, stop.Token); } catch (OperationCanceledException) { break; } }
                    next += interval;
                }
                var seq = seqs[client]++;
                using var content = new ByteArrayContent(generator.Batch(client, seq));
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                var sent = Stopwatch.GetTimestamp();
                var sentUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                try
                {
                    using var response = await http.PostAsync("/api/v1/ingest", content, CancellationToken.None);
                    var ms = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        phase.AcceptMs.Add(ms);
                        phase.Timeline.Enqueue((sentUnixMs, ms));
                        Interlocked.Add(ref phase.Acked, o.BatchSize);
                        phase.AckedBatches.Enqueue((client, seq));
                        if (sampleFreshness) EventGenerator.Current = new EventGenerator.Sample(client, seq, Stopwatch.GetTimestamp());
                    }
                    else
                    {
                        Interlocked.Increment(ref response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable ? ref phase.Shed : ref phase.Failed);
                        // Shed load (429 rate, 503 backlog): back off as the Retry-After asks, at most a second.
                        if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
                            await Task.Delay(TimeSpan.FromSeconds(Math.Min(1, response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0.2)));
                    }
                }
                catch (HttpRequestException) { Interlocked.Increment(ref phase.Failed); }
                catch (TaskCanceledException) { Interlocked.Increment(ref phase.Failed); }
            }
        }))).ConfigureAwait(false);
        await progress;
        await freshness;
        _ = orgId;
    }

    /// <summary>Every 100 ms: take the newest acknowledged batch and poll one of its runs until all its events are queryable.</summary>
    private static async Task SampleFreshnessAsync(HttpClient http, Phase phase, BenchOptions o, CancellationToken stop)
    {
        EventGenerator.Sample? seen = null;
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(100, stop); } catch (OperationCanceledException) { return; }
            var sample = EventGenerator.Current;
            if (sample is null || sample == seen) continue;
            seen = sample;
            var run = EventGenerator.RunId(sample.Client, sample.Seq, 0);
            for (var polls = 0; polls < 1000; polls++)
            {
                using var response = await http.GetAsync($"/api/v1/runs/{run}", CancellationToken.None);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    using var body = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(CancellationToken.None));
                    if (body.RootElement.GetProperty("run").GetProperty("event_count").GetInt32() >= EventGenerator.EventsPerRun)
                    {
                        phase.FreshnessMs.Add(Stopwatch.GetElapsedTime(sample.Ack).TotalMilliseconds);
                        break;
                    }
                }
                await Task.Delay(10, CancellationToken.None);
            }
        }
        _ = o;
    }

    private static async Task<long> WaitStoredAsync(string ownerUrl, Guid orgId, TimeSpan timeout)
    {
        await using var db = await Open(ownerUrl);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var cmd = new NpgsqlCommand("SELECT (SELECT count(*) FROM ingest_batches), (SELECT count(*) FROM events WHERE org_id = $1)", db) { Parameters = { new() { Value = orgId } } };
            await using var r = await cmd.ExecuteReaderAsync();
            await r.ReadAsync();
            if (r.GetInt64(0) == 0) return r.GetInt64(1);
            if (DateTime.UtcNow > deadline) throw new TimeoutException("accepted batches were not processed in time");
            await Task.Delay(20);
        }
    }

    private static async Task<(long Lost, long Duplicates)> VerifyAsync(string ownerUrl, Guid orgId, EventGenerator generator, params Phase[] phases)
    {
        await using var db = await Open(ownerUrl);
        await using (var create = new NpgsqlCommand("CREATE TEMP TABLE acked (id text NOT NULL)", db)) await create.ExecuteNonQueryAsync();
        await using (var copy = await db.BeginBinaryImportAsync("COPY acked (id) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var phase in phases)
            foreach (var (client, seq) in phase.AckedBatches)
            foreach (var id in generator.EventIds(client, seq))
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(id, NpgsqlTypes.NpgsqlDbType.Text);
            }
            await copy.CompleteAsync();
        }
        await using var check = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.org_id = $1 AND e.id = a.id)),
                   (SELECT coalesce(sum(event_count), 0) FROM runs WHERE org_id = $1) - (SELECT count(*) FROM events WHERE org_id = $1)
            """, db) { Parameters = { new() { Value = orgId } } };
        await using var r = await check.ExecuteReaderAsync();
        await r.ReadAsync();
        return (r.GetInt64(0), Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture));
    }

    /// <summary>Rows per second of raw binary COPY of up to 500,000 of the stored rows into a same-shaped, indexed, logged table.</summary>
    private static async Task<double> CopyBaselineAsync(string ownerUrl, Guid orgId)
    {
        await using var db = await Open(ownerUrl);
        await using (var create = new NpgsqlCommand("DROP TABLE IF EXISTS bench_copy_baseline; CREATE TABLE bench_copy_baseline (LIKE events INCLUDING ALL)", db))
            await create.ExecuteNonQueryAsync();
        using var rows = new MemoryStream();
        await using (var export = await db.BeginRawBinaryCopyAsync($"COPY (SELECT * FROM events WHERE org_id = '{orgId}' LIMIT 500000) TO STDOUT (FORMAT BINARY)"))
            await export.CopyToAsync(rows);
        long count;
        await using (var n = new NpgsqlCommand($"SELECT count(*) FROM (SELECT 1 FROM events WHERE org_id = '{orgId}' LIMIT 500000) t", db))
            count = (long)(await n.ExecuteScalarAsync())!;
        rows.Position = 0;
        var clock = Stopwatch.StartNew();
        await using (var tx = await db.BeginTransactionAsync())
        {
            await using (var import = await db.BeginRawBinaryCopyAsync("COPY bench_copy_baseline FROM STDIN (FORMAT BINARY)"))
                await rows.CopyToAsync(import);
            await tx.CommitAsync();
        }
        var seconds = clock.Elapsed.TotalSeconds;
        await using (var drop = new NpgsqlCommand("DROP TABLE bench_copy_baseline", db)) await drop.ExecuteNonQueryAsync();
        Log($"baseline: {count:N0} rows in {seconds:F2} s");
        return count / seconds;
    }

    private static async Task<NpgsqlConnection> Open(string url)
    {
        var uri = new Uri(url);
        var user = uri.UserInfo.Split(':');
        var cs = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host, Port = uri.Port, Database = uri.AbsolutePath.Trim('/'), Username = Uri.UnescapeDataString(user[0]),
            Password = user.Length > 1 ? Uri.UnescapeDataString(user[1]) : null, CommandTimeout = 300,
        };
        var db = new NpgsqlConnection(cs.ConnectionString);
        await db.OpenAsync();
        return db;
    }

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : Math.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)], 1);
    }
}
