using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace AgentOps.Bench;

/// <summary>
/// `./agentops bench policy`: POST /api/v1/policy/check driven open-loop (requests leave on a fixed schedule, whether
/// or not earlier ones have answered) at --rate requests/s for --seconds, over HTTP keep-alive connections, against a
/// tenant with 100 active policies of realistic shape (most checks match none: allow; some block; a few require
/// approval). Latency is measured from each request's send to its response. At mid-run the kill switch is pulled:
/// kill_switch_block_ms is how long after the kill switch's response checks still came back not blocked (by send
/// time; 0 when the first check sent after the response was already blocked), checks_allowed_after_kill counts
/// checks sent more than 1 s after the response that were not blocked (must be 0). resume-all follows 3 s later, so
/// most of the run evaluates policies. One JSON line on stdout.
/// </summary>
public static class PolicyCheckBench
{
    public const int Policies = 100;
    private static readonly TimeSpan KillWindow = TimeSpan.FromSeconds(3);

    private sealed record Sample(double SentMs, double LatencyMs, string? Decision, string? Reason);

    public static async Task<int> RunAsync(string[] args)
    {
        int Int(string flag, int fallback)
        {
            var i = Array.IndexOf(args, flag);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }
        var seconds = Math.Max(20, Int("--seconds", 30));
        var rate = Int("--rate", 1000);
        var warmup = Math.Max(0, Int("--warmup", 20));
        var url = new Uri(Environment.GetEnvironmentVariable("AGENTOPS_URL") ?? "http://127.0.0.1:7071");

        // Keep-alive connections, reused for the whole run; enough of them that a slow answer never queues a send.
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 256, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None, UseCookies = false,
        }) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
        var (adminToken, key) = await SetUpAsync(http);

        // Long enough for the fresh server's code to tier up: it JIT-compiles some 12,000 methods again, optimized, in
        // its first ~15 s under this load (perf: half a core), which a server that has been up for minutes is past.
        Log($"warming up: {rate} checks/s for {warmup} s");
        await LoadAsync(http, key, rate, TimeSpan.FromSeconds(warmup), new ConcurrentBag<Sample>(), new Counter(), killAt: null, adminToken);

        Log($"measuring: {rate} checks/s open-loop for {seconds} s; kill switch at {seconds / 2} s, resume-all {KillWindow.TotalSeconds:F0} s later");
        var samples = new ConcurrentBag<Sample>();
        var errors = new Counter();
        var clock = Stopwatch.StartNew();
        var ticks = BenchSupport.CpuTicks();
        var kill = await LoadAsync(http, key, rate, TimeSpan.FromSeconds(seconds), samples, errors, killAt: TimeSpan.FromSeconds(seconds / 2.0), adminToken);
        var elapsed = clock.Elapsed.TotalSeconds;
        var steal = BenchSupport.StealPercent(ticks, BenchSupport.CpuTicks());

        var answered = samples.Where(s => s.Decision is not null).ToList();
        var latencies = answered.Select(s => s.LatencyMs).Order().ToArray();
        var afterKill = answered.Where(s => s.SentMs > kill.AnsweredMs && s.SentMs < kill.ResumeSentMs).ToList();
        var notBlocked = afterKill.Where(s => s.Reason != "org_killed").ToList();
        // Steady state: without the second after the kill switch and after resume-all (caches reload, decisions change).
        var steady = answered.Where(s => !(s.SentMs >= kill.SentMs && s.SentMs <= kill.AnsweredMs + 1000)
            && !(s.SentMs >= kill.ResumeSentMs && s.SentMs <= kill.ResumeSentMs + 1000)).Select(s => s.LatencyMs).Order().ToArray();
        // Where the tail sits in time (stderr): each second's slowest check and how many took over 5 ms.
        foreach (var second in answered.GroupBy(s => (int)(s.SentMs / 1000)).OrderBy(g => g.Key))
            Log($"  second {second.Key,2}: p50 {Percentile([.. second.Select(s => s.LatencyMs).Order()], 0.5),6:0.00} ms, over 5 ms: {second.Count(s => s.LatencyMs > 5),4}, max {second.Max(s => s.LatencyMs),7:0.0} ms");
        var result = new
        {
            bench = "policy",
            policies = Policies,
            reads_run_facts = false,
            seconds,
            rps_target = rate,
            rps_achieved = Math.Round(answered.Count / elapsed, 1),
            p50_ms = Percentile(latencies, 0.50),
            p99_ms = Percentile(latencies, 0.99),
            p99_steady_ms = Percentile(steady, 0.99),
            p999_ms = Percentile(latencies, 0.999),
            max_ms = latencies.Length == 0 ? double.NaN : Math.Round(latencies[^1], 2),
            errors = errors.Value,
            decisions = new
            {
                allow = answered.Count(s => s.Decision == "allow"),
                block = answered.Count(s => s.Decision == "block"),
                require_approval = answered.Count(s => s.Decision == "require_approval"),
            },
            kill_switch_response_ms = Math.Round(kill.AnsweredMs - kill.SentMs, 1),
            kill_switch_block_ms = notBlocked.Count == 0 ? 0 : Math.Round(notBlocked.Max(s => s.SentMs) - kill.AnsweredMs, 1),
            checks_after_kill = afterKill.Count,
            checks_allowed_after_kill = notBlocked.Count(s => s.SentMs > kill.AnsweredMs + 1000),
            checks_not_blocked_within_1s_of_kill = notBlocked.Count(s => s.SentMs <= kill.AnsweredMs + 1000),
            cpu_steal_percent = steal,
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return errors.Value == 0 && result.checks_allowed_after_kill == 0 ? 0 : 1;
    }

    private sealed class Counter
    {
        private long _value;
        public long Value => Interlocked.Read(ref _value);
        public void Add() => Interlocked.Increment(ref _value);
    }

    private sealed record KillTimes(double SentMs, double AnsweredMs, double ResumeSentMs);

    /// <summary>Sends on schedule (request i at i / rate seconds), never waiting for answers; optionally pulls the kill switch at killAt and resumes KillWindow later.</summary>
    private static async Task<KillTimes> LoadAsync(HttpClient http, string key, int rate, TimeSpan duration, ConcurrentBag<Sample> samples, Counter errors,
        TimeSpan? killAt, string adminToken)
    {
        var clock = Stopwatch.StartNew();
        var inFlight = new List<Task>(rate * (int)duration.TotalSeconds + 16);
        Task<KillTimes>? control = killAt is { } at ? Task.Run(async () =>
        {
            await Task.Delay(at);
            var sent = clock.Elapsed.TotalMilliseconds;
            await Send(http, HttpMethod.Post, "/api/v1/controls/kill-switch", new { reason = "bench: kill switch under load" }, adminToken);
            var answered = clock.Elapsed.TotalMilliseconds;
            Log($"  kill switch answered after {answered - sent:F1} ms");
            await Task.Delay(KillWindow);
            var resumeSent = clock.Elapsed.TotalMilliseconds;
            await Send(http, HttpMethod.Post, "/api/v1/controls/resume-all", new { reason = "bench: resume" }, adminToken);
            return new KillTimes(sent, answered, resumeSent);
        }) : null;

        long sentCount = 0;
        var total = (long)(rate * duration.TotalSeconds);
        var random = new Random(42);
        while (sentCount < total)
        {
            var due = Math.Min(total, (long)(clock.Elapsed.TotalSeconds * rate));
            for (; sentCount < due; sentCount++) inFlight.Add(CheckAsync(http, key, Action(random, sentCount), clock, samples, errors));
            await Task.Delay(1);
        }
        await Task.WhenAll(inFlight);
        return control is null ? new KillTimes(double.MaxValue, double.MaxValue, double.MaxValue) : await control;
    }

    private static async Task CheckAsync(HttpClient http, string key, byte[] body, Stopwatch clock, ConcurrentBag<Sample> samples, Counter errors)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/policy/check") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var sent = clock.Elapsed.TotalMilliseconds;
        try
        {
            using var response = await http.SendAsync(request);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            var latency = clock.Elapsed.TotalMilliseconds - sent;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                errors.Add();
                if (errors.Value <= 3) Log($"  check answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)}");
                return;
            }
            using var json = JsonDocument.Parse(bytes);
            samples.Add(new Sample(sent, latency, json.RootElement.GetProperty("decision").GetString(), json.RootElement.GetProperty("reason").GetString()));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            errors.Add();
            if (errors.Value <= 3) Log($"  check failed: {e.Message}");
        }
    }

    private static readonly string[] Agents = [.. Enumerable.Range(0, 10).Select(i => $"bench-agent-{i}")];
    private static readonly string[] Routine = ["search_kb", "send_email", "lookup_order", "summarize", "create_ticket", "refund"];

    /// <summary>Mostly routine actions that no policy matches; ~4 % deletes in production (block), ~1 % e-mail to a competitor (block), ~0.2 % large wire transfers (require_approval).</summary>
    private static byte[] Action(Random random, long i)
    {
        var roll = random.NextDouble();
        object action = roll switch
        {
            < 0.002 => new { type = "wire_transfer", amount = 25_000, currency = "EUR" },
            < 0.012 => new { type = "send_email", to = $"buyer{i % 97}@rival.example", subject = "pricing" },
            < 0.052 => new { type = "delete_records", table = "customers", count = 3 },
            _ => new { type = Routine[i % Routine.Length], amount = random.Next(1, 500), to = $"user{i % 1000}@customer.example", tool = "crm" },
        };
        var environment = roll is >= 0.012 and < 0.052 || random.NextDouble() < 0.5 ? "production" : "staging";
        return JsonSerializer.SerializeToUtf8Bytes(new
        {
            run_id = $"bench-run-{i / 50}", agent = Agents[i % Agents.Length], action,
            context = new { environment, region = "eu-west", user = new { tier = i % 3 == 0 ? "gold" : "standard" }, request_id = $"req-{i}" },
        });
    }

    /// <summary>100 active policies: three that real traffic hits (deletes in production, e-mail to a competitor, large wire transfers) and 97 that it does not, of every operator.</summary>
    public static IEnumerable<object> PolicyDefinitions()
    {
        object Cmp(string field, string op, object value) => new { field, @operator = op, value };
        yield return new { name = "No deletes in production", action = "block", priority = 1,
            conditions = new { all = new[] { Cmp("action.type", "equals", "delete_records"), Cmp("context.environment", "equals", "production") } } };
        yield return new { name = "No e-mail to competitors", action = "block", priority = 2,
            conditions = new { all = new[] { Cmp("action.type", "equals", "send_email"), Cmp("action.to", "regex", @"@rival\.example$") } } };
        yield return new { name = "Large wire transfers need approval", action = "require_approval", priority = 3, approval_required_from = new[] { "admin" },
            timeout_minutes = 60, conditions = new { all = new[] { Cmp("action.type", "equals", "wire_transfer"), Cmp("action.amount", "greater_than", 10_000) } } };
        for (var i = 3; i < Policies; i++)
        {
            object conditions = (i % 6) switch
            {
                0 => new { all = new[] { Cmp("action.type", "equals", $"refund_{i}"), Cmp("action.amount", "greater_than", i * 10) } },
                1 => new { any = new[] { Cmp("action.to", "regex", $"@competitor{i}\\.example$"), Cmp("agent.tags", "contains", $"quarantine-{i}") } },
                2 => new { all = new[] { Cmp("context.region", "in", new[] { $"zz-{i}", $"yy-{i}" }), Cmp("context.user.tier", "not_in", new[] { "gold", "standard" }) } },
                3 => new { all = new[] { Cmp("agent.name", "starts_with", $"legacy-{i}"), Cmp("action.amount", "greater_than_or_equal", 1) } },
                4 => new { all = new object[] { Cmp("action.tool", "equals", $"tool-{i}"), new { not = Cmp("context.request_id", "exists", true) } } },
                _ => new { any = new[] { Cmp("action.type", "in", new[] { $"drop_table_{i}", $"truncate_{i}" }), Cmp("action.amount", "less_than", -i) } },
            };
            var action = (i % 3) switch { 0 => "block", 1 => "require_approval", _ => "allow" };
            yield return action == "require_approval"
                ? new { name = $"Rule {i}", action, priority = 10 + i, approval_required_from = new[] { "admin", "team_lead" }, timeout_minutes = 30, conditions }
                : new { name = $"Rule {i}", action, priority = 10 + i, conditions };
        }
    }

    private static async Task<(string AdminToken, string Key)> SetUpAsync(HttpClient http)
    {
        var signup = await Send(http, HttpMethod.Post, "/api/v1/auth/signup", new Dictionary<string, object>
        {
            ["org_name"] = "Policy bench", ["email"] = $"bench-{Guid.NewGuid():N}@bench.agentops.dev", ["password"] = "benchmark password 1",
        }, null);
        var token = signup.GetProperty("access_token").GetString()!;
        foreach (var policy in PolicyDefinitions()) await Send(http, HttpMethod.Post, "/api/v1/policies", policy, token);
        // ingest: the check; write: agents are registered by name on first use.
        var key = await Send(http, HttpMethod.Post, "/api/v1/api-keys", new { name = "policy bench", scopes = new[] { "ingest", "write" } }, token);
        Log($"tenant ready: {Policies} active policies");
        return (token, key.GetProperty("key").GetString()!);
    }

    private static async Task<JsonElement> Send(HttpClient http, HttpMethod method, string path, object body, string? bearer)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : Math.Round(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)], 2);

    private static void Log(string message) => Console.Error.WriteLine($"bench: {message}");
}
