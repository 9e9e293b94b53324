using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentOps.Analytics;
using AgentOps.Analytics.ClickHouse;
using AgentOps.Platform.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using Npgsql;

namespace AgentOps.Bench;

/// <summary>
/// ./agentops bench dashboard: the overview in a real browser (Debian's Chromium) over 1M runs in Postgres, then with
/// analytics on ClickHouse over 10M events; what a first load ships (JS + CSS, compressed as served); and the requests
/// an idle overview makes once its live stream is up. Each time is set beside the same API calls made directly
/// (HttpClient, concurrently): the ratio is what the browser adds. One JSON line on stdout.
/// </summary>
public static partial class DashboardBench
{
    public const int Runs = 1_000_000;
    public const long ClickHouseEvents = 10_000_000;
    public const int Agents = 20;
    public const int Days = 30;
    public const int WarmUp = 2;
    private const string Chromium = "/usr/bin/chromium";
    private const string Password = "bench-password-1234";

    [GeneratedRegex("""(?:src|href)="\./(assets/[^"]+\.(?:js|css))""")]
    private static partial Regex AssetReference();

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var rounds = IntArg(args, "--rounds", 7);
        var idleSeconds = IntArg(args, "--idle-seconds", 60);
        var runs = quick ? Runs / 100 : Runs;
        var chEvents = quick ? ClickHouseEvents / 100 : ClickHouseEvents;
        var pgServer = new Uri(BenchSupport.Env("AGENTOPS_URL", "dashboard"));
        var chServer = Environment.GetEnvironmentVariable("AGENTOPS_BENCH_CLICKHOUSE_SERVER_URL") is { Length: > 0 } u ? new Uri(u) : null;
        var owner = BenchSupport.Normalize(BenchSupport.Env("AGENTOPS_BENCH_OWNER_DATABASE_URL", "dashboard"));
        var steal = BenchSupport.CpuTicks();
        var result = new Dictionary<string, object> { ["bench"] = "dashboard" };

        using var http = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = pgServer, Timeout = TimeSpan.FromMinutes(2) };
        var email = $"bench-{Guid.NewGuid():N}@bench.agentops.dev";
        var signup = await http.PostAsJsonAsync("/api/v1/auth/signup", new { org_name = "Dashboard bench", email, password = Password });
        signup.EnsureSuccessStatusCode();
        var session = await signup.Content.ReadFromJsonAsync<JsonElement>();
        var org = session.GetProperty("organization").GetProperty("id").GetGuid();
        var token = session.GetProperty("access_token").GetString()!;

        var end = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        // The runs start ten minutes inside the 30-day window, so that a window measured minutes later still holds them all.
        var range = AnalyticsRange.Create(end.AddDays(-Days).AddMinutes(10), end);
        var sw = Stopwatch.StartNew();
        var pgEvents = await GeneratePostgresAsync(owner, org, range, runs);
        Progress($"Postgres: {runs:N0} runs and {pgEvents:N0} events in {sw.Elapsed.TotalSeconds:0.0} s");
        result["postgres_runs"] = runs;
        result["postgres_events"] = pgEvents;
        // What the server's rollup worker does within a minute, done here so that the measurement does not race it.
        sw.Restart();
        await using (var ownerSource = NpgsqlDataSource.Create(owner))
        {
            var rollups = new HourlyRollups(new Db(ownerSource), new AnalyticsOptions(), NullLogger<HourlyRollups>.Instance);
            // Until every hour that is due is rolled up (the server's worker may be rolling some of them: then this gives way).
            var due = (long)((HourlyRollups.LastDue(DateTimeOffset.UtcNow) - AnalyticsRules.BucketStart(range.From, Bucket.Hour)).TotalHours) + 1;
            var hours = 0;
            for (var attempt = 0; attempt < 300; attempt++)
            {
                hours += await rollups.RollUpAsync(org, default);
                var valid = await new Db(ownerSource).InOrgAsync(org, async tx => (await HourlyRollups.RolledHoursAsync(tx, AnalyticsRange.Create(range.From.AddHours(-1), range.To), default)).Length, default);
                if (valid >= due) break;
                await Task.Delay(1000);
            }
            Progress($"Postgres: {hours:N0} hours rolled up in {sw.Elapsed.TotalSeconds:0.0} s");
            result["postgres_rollup_hours"] = hours;
            result["postgres_rollup_seconds"] = Math.Round(sw.Elapsed.TotalSeconds, 1);
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });

        var (pgPage, pgRequests) = await SignInAsync(browser, pgServer, email);
        await Measure("postgres", pgPage, http, token, rounds, runs, result);

        if (chServer is not null)
        {
            var errors = new List<string>();
            var settings = ClickHouseSettings.Parse(BenchSupport.Env("AGENTOPS_BENCH_CLICKHOUSE_URL", "dashboard"), "AGENTOPS_BENCH_CLICKHOUSE_URL", errors)
                with { RequestTimeout = TimeSpan.FromMinutes(10) };
            if (errors.Count > 0) throw new InvalidOperationException(string.Join("; ", errors));
            using var ch = new ClickHouseClient(settings);
            await ClickHouseSchema.EnsureAsync(ch, default);
            sw.Restart();
            await AnalyticsBench.GenerateClickHouseAsync(ch, org, range, chEvents);
            foreach (var table in new[] { ClickHouseSchema.Runs, ClickHouseSchema.Events })
                await ch.ExecuteAsync($"OPTIMIZE TABLE {ch.Database}.{table} FINAL", default);
            Progress($"ClickHouse: {chEvents / AnalyticsBench.EventsPerRun:N0} runs and {chEvents:N0} events in {sw.Elapsed.TotalSeconds:0.0} s");
            result["clickhouse_runs"] = chEvents / AnalyticsBench.EventsPerRun;
            result["clickhouse_events"] = chEvents;
            using var chHttp = new HttpClient { BaseAddress = chServer, Timeout = TimeSpan.FromMinutes(2) };
            var (chPage, _) = await SignInAsync(browser, chServer, email);
            await Measure("clickhouse", chPage, chHttp, token, rounds, chEvents / AnalyticsBench.EventsPerRun, result);
            await chPage.CloseAsync();
            // Each run writes a database of its own (10M events): gone once measured.
            await ch.ExecuteAsync($"DROP DATABASE IF EXISTS {ClickHouseSql.Name(ch.Database)}", default, new Dictionary<string, string> { ["database"] = "default" });
        }

        // What a first load ships: index.html's script and style, as the server sends them.
        foreach (var encoding in new[] { "br", "gzip", "identity" })
            result[$"first_load_js_css_{encoding}_bytes"] = await FirstLoadBytesAsync(http, encoding);

        // Idle: the overview with its live stream up, nothing changing; every request counts (the stream's own included).
        await pgPage.EvaluateAsync("() => { location.hash = '#/overview?range=24h'; }");
        await pgPage.GetByText("live.", new() { Exact = false }).WaitForAsync(new() { Timeout = 30_000 });
        await Task.Delay(3000);
        pgRequests.Clear();
        Progress($"idle: counting requests for {idleSeconds} s");
        await Task.Delay(TimeSpan.FromSeconds(idleSeconds));
        result["idle_seconds"] = idleSeconds;
        result["idle_requests"] = pgRequests.Count;
        result["idle_requests_per_minute"] = Math.Round(pgRequests.Count * 60.0 / idleSeconds, 2);
        result["idle_request_urls"] = pgRequests.Select(r => new Uri(r).AbsolutePath).Distinct().ToArray();
        result["cpu_steal_percent"] = BenchSupport.StealPercent(steal, BenchSupport.CpuTicks());
        result["rounds"] = rounds;
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    /// <summary>Signs in through the form; the page lands on the overview. Counts its API requests from then on.</summary>
    private static async Task<(IPage Page, List<string> Requests)> SignInAsync(IBrowser browser, Uri server, string email)
    {
        var page = await browser.NewPageAsync(new() { BaseURL = server.ToString(), ViewportSize = new() { Width = 1440, Height = 900 } });
        var requests = new List<string>();
        page.Request += (_, r) => { if (r.Url.Contains("/api/", StringComparison.Ordinal)) lock (requests) requests.Add(r.Url); };
        await page.GotoAsync("/#/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator("#main [data-rendered-at]").WaitForAsync(new() { Timeout = 120_000 });
        return (page, requests);
    }

    /// <summary>
    /// The overview over the last 30 days (every run generated) and 24 hours, from another page to fully drawn (figures,
    /// charts, lists: the page marks it two frames after its data arrived), against the same calls made directly.
    /// </summary>
    private static async Task Measure(string store, IPage page, HttpClient http, string token, int rounds, long expectedRuns, Dictionary<string, object> result)
    {
        foreach (var range in new[] { "30d", "24h" })
        {
            var render = new List<double>();
            var direct = new List<double>();
            for (var i = 0; i < WarmUp + rounds; i++)
            {
                await page.EvaluateAsync("() => { location.hash = '#/org'; }");
                await page.GetByRole(AriaRole.Heading, new() { Name = "Organization" }).WaitForAsync();
                var ms = await page.EvaluateAsync<double>("""
                    async (hash) => {
                      const t0 = performance.now();
                      location.hash = hash;
                      for (;;) {
                        const marked = document.querySelector('#main [data-rendered-at]');
                        if (marked) return Number(marked.dataset.renderedAt) - t0;
                        await new Promise((resolve) => setTimeout(resolve, 2));
                      }
                    }
                    """, $"#/overview?range={range}");
                var api = await DirectCallsAsync(http, token, range);
                if (i < WarmUp) continue;
                render.Add(ms);
                direct.Add(api);
            }
            var shown = await page.Locator(".kpi-value").First.TextContentAsync();
            if (range == "30d") result[$"{store}_overview_runs_shown"] = shown ?? "";
            result[$"{store}_overview_{range}_p50_ms"] = Median(render);
            result[$"{store}_overview_{range}_max_ms"] = Math.Round(render.Max(), 1);
            result[$"{store}_api_{range}_p50_ms"] = Median(direct);
            result[$"{store}_overview_{range}_ratio_to_api"] = Math.Round(Median(render) / Math.Max(1, Median(direct)), 2);
            Progress($"{store} {range}: overview p50 {Median(render)} ms (max {render.Max():0}), the same calls directly p50 {Median(direct)} ms; runs shown {shown} of {expectedRuns:N0}");
        }
    }

    /// <summary>The overview's eight calls, concurrently, as the page makes them.</summary>
    private static async Task<double> DirectCallsAsync(HttpClient http, string token, string range)
    {
        var to = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var length = range == "30d" ? TimeSpan.FromDays(30) : TimeSpan.FromHours(24);
        var bucket = range == "30d" ? "day" : "hour";
        string Q(DateTimeOffset f, DateTimeOffset t) => $"from={Uri.EscapeDataString(f.ToString("O"))}&to={Uri.EscapeDataString(t.ToString("O"))}";
        var from = to - length;
        string[] urls =
        [
            $"/api/v1/analytics/summary?{Q(from, to)}&bucket={bucket}", $"/api/v1/analytics/summary?{Q(from - length, from)}&bucket={bucket}",
            $"/api/v1/analytics/timeseries?{Q(from, to)}&bucket={bucket}&by=model", $"/api/v1/analytics/latency?{Q(from, to)}&bucket={bucket}",
            "/api/v1/controls/status", "/api/v1/approvals/pending/count",
            "/api/v1/budgets?active=true&limit=200", $"/api/v1/runs?status=failed&{Q(from, to)}&sort=started_at&order=desc&limit=5",
        ];
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(urls.Select(async url =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
        }));
        return sw.Elapsed.TotalMilliseconds;
    }

    private static async Task<long> FirstLoadBytesAsync(HttpClient http, string encoding)
    {
        async Task<byte[]> Get(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(encoding));
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadAsByteArrayAsync();
        }
        var html = await http.GetStringAsync("/");
        long total = 0;
        foreach (Match m in AssetReference().Matches(html)) total += (await Get("/" + m.Groups[1].Value)).Length;
        return total;
    }

    /// <summary>The runs (spread over the window, 90 % succeeded, 6 % failed) and one LLM call each, for the organization the bench signed up.</summary>
    private static async Task<long> GeneratePostgresAsync(string owner, Guid org, AnalyticsRange range, int runs)
    {
        await using var connection = new NpgsqlConnection(owner);
        await connection.OpenAsync();
        async Task<int> Exec(string sql, params object[] args)
        {
            await using var cmd = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
            foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
            return await cmd.ExecuteNonQueryAsync();
        }
        await Exec("INSERT INTO agents (id, org_id, name) SELECT ('00000000-0000-4000-8000-' || lpad(a::text, 12, '0'))::uuid, $1, 'agent-' || a FROM generate_series(0, $2 - 1) a", org, Agents);
        var spacing = (range.To - range.From).TotalSeconds / runs;
        for (var chunk = 0; chunk < runs; chunk += 200_000)
        {
            await Exec("""
                INSERT INTO runs (org_id, id, agent_id, status, start_ts, end_ts, first_event_at, first_event_id, last_event_at, error, tags, environment,
                                  event_count, llm_calls, tool_calls, error_count, tokens_in, tokens_out, cost_micros, models, updated_at)
                SELECT $1, 'run-' || n, ('00000000-0000-4000-8000-' || lpad(((hashint4(n) & 2147483647) % $5)::text, 12, '0'))::uuid, st,
                       s, CASE WHEN st = 'running' THEN NULL ELSE s + (200 + (hashint4(n + 1) & 2147483647) % 9000) * interval '1 millisecond' END,
                       s, 'evt-' || n, s, CASE WHEN st = 'failed' THEN 'upstream error ' || n % 7 END, '{bench}', 'prod',
                       1, 1, 0, CASE WHEN st = 'failed' THEN 1 ELSE 0 END, (hashint4(n * 3) & 2147483647) % 4000, (hashint4(n * 5) & 2147483647) % 1000,
                       (hashint4(n * 7) & 2147483647) % 50000, ARRAY[m], s
                FROM generate_series($6, $7 - 1) n,
                     LATERAL (SELECT $2::timestamptz + n * $3 * interval '1 second' AS s,
                                     (ARRAY['gpt-4o', 'gpt-4o-mini', 'claude-sonnet', 'claude-haiku', 'llama-3'])[1 + (hashint4(n * 11) & 2147483647) % 5] AS m,
                                     CASE WHEN (hashint4(n) & 2147483647) % 100 < 90 THEN 'succeeded' WHEN (hashint4(n) & 2147483647) % 100 < 96 THEN 'failed'
                                          WHEN (hashint4(n) & 2147483647) % 100 < 98 THEN 'cancelled' ELSE 'running' END AS st) x
                """, org, range.From.UtcDateTime, spacing, runs, Agents, chunk, Math.Min(runs, chunk + 200_000));
            await Exec("""
                INSERT INTO events (org_id, id, run_id, agent_id, type, ts, model, provider, tokens_in, tokens_out, cost_micros, cost_source,
                                    tags, environment, accepted_at, stored_at)
                SELECT r.org_id, r.first_event_id, r.id, r.agent_id, 'llm.call', r.started_at, r.models[1], 'openai', r.tokens_in, r.tokens_out,
                       r.cost_micros, 'computed', '{bench}', 'prod', r.started_at, r.started_at
                FROM runs r WHERE r.org_id = $1 AND substr(r.id, 5)::int >= $2 AND substr(r.id, 5)::int < $3
                """, org, chunk, Math.Min(runs, chunk + 200_000));
            Progress($"Postgres: {Math.Min(runs, chunk + 200_000):N0} runs written");
        }
        await Exec("ANALYZE runs; ANALYZE events; ANALYZE agents");
        return runs;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return Math.Round(sorted[sorted.Count / 2], 1);
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var v) ? v : fallback;
    }

    private static void Progress(string message) => Console.Error.WriteLine($"[dashboard] {message}");
}
