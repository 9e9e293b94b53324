using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace AgentOps.Sdk.Tests;

/// <summary>
/// Interprets one conformance scenario (sdk/conformance/README.md: the step vocabulary) against the real server:
/// the SDK under test does the recording, an admin session arms faults, creates policies, pauses agents and decides
/// approvals, and the API key reads back what was stored.
/// </summary>
internal sealed class ScenarioRunner : IAsyncDisposable
{
    /// <summary>The operations of the step vocabulary; a scenario with any other fails (never skips).</summary>
    public static readonly HashSet<string> KnownOps =
    [
        "client", "start_run", "start_span", "end_span", "llm_call", "tool_call", "external_action", "log", "error", "score",
        "end_run", "burst", "flush", "arm_fault", "expect_fault_hits", "create_policy", "pause_agent", "check_policy",
        "wait_for_approval", "expect_paused", "expect_stats", "expect_events", "expect_run", "expect_approvals",
    ];

    /// <summary>Platform-written event types that expect_events does not count.</summary>
    private static readonly HashSet<string> PlatformTypes = ["policy.decision", "approval.decision"];

    private readonly string _scenario;
    private readonly JsonElement _steps;
    private readonly string _unique = Ids.New()[..8];
    private readonly string _agent;
    private readonly Dictionary<string, object> _handles = new(StringComparer.Ordinal);
    private readonly List<string> _policies = [];
    private readonly HashSet<string> _faults = [];
    private readonly HttpClient _api = new() { BaseAddress = ConformanceEnvironment.Url, Timeout = TimeSpan.FromSeconds(90) };
    private HttpClient? _admin;
    private AgentOpsClient? _client;
    private int _pausedCallbacks;

    public ScenarioRunner(string scenario, string json)
    {
        _scenario = scenario;
        _agent = $"conf-csharp-{scenario}-{_unique}";
        var unreachable = TestClient.Unreachable().ToString().TrimEnd('/');
        var text = json.Replace("$agent", _agent, StringComparison.Ordinal)
            .Replace("$unreachable", unreachable, StringComparison.Ordinal)
            .Replace("$unique", _unique, StringComparison.Ordinal);
        _steps = JsonDocument.Parse(text).RootElement.GetProperty("steps").Clone();
        _api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConformanceEnvironment.ApiKey);
    }

    /// <summary>Every op of <paramref name="json"/> is in the vocabulary (checked before anything runs).</summary>
    public static IEnumerable<string> UnknownOps(string json) =>
        JsonDocument.Parse(json).RootElement.GetProperty("steps").EnumerateArray()
            .Select(s => s.GetProperty("op").GetString()!).Where(op => !KnownOps.Contains(op));

    private AgentOpsClient Client => _client ?? throw new InvalidOperationException("the first step must be `client`");

    public async Task RunAsync()
    {
        var unknown = _steps.EnumerateArray().Select(s => s.GetProperty("op").GetString()!).Where(op => !KnownOps.Contains(op)).ToList();
        Assert.True(unknown.Count == 0, $"{_scenario}: unknown operation(s) {string.Join(", ", unknown)}");
        var index = 0;
        foreach (var step in _steps.EnumerateArray())
        {
            index++;
            try
            {
                await StepAsync(step);
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"{_scenario} step {index} ({step}): {ex.GetType().Name}: {ex.Message}");
            }
            catch (Xunit.Sdk.XunitException ex)
            {
                throw new Xunit.Sdk.XunitException($"{_scenario} step {index} ({step}): {ex.Message}");
            }
        }
    }

    private async Task StepAsync(JsonElement s)
    {
        switch (s.GetProperty("op").GetString())
        {
            case "client":
                var endpoint = Str(s, "endpoint") is { } e && e != "server" ? new Uri(e) : ConformanceEnvironment.Url;
                var options = new AgentOpsOptions
                {
                    Endpoint = endpoint, ApiKey = ConformanceEnvironment.ApiKey, Agent = _agent, FlushOnExit = false,
                    DisposeFlushTimeout = TimeSpan.FromMilliseconds(500),
                    Sync = Bool(s, "sync") ?? false,
                    OnPaused = _ => Interlocked.Increment(ref _pausedCallbacks),
                };
                if (Int(s, "batch_max_events") is { } batch) options.BatchMaxEvents = (int)batch;
                if (Num(s, "flush_interval_s") is { } interval) options.FlushInterval = TimeSpan.FromSeconds(interval);
                if (Int(s, "max_queue_events") is { } max) options.MaxQueueEvents = (int)max;
                _client = new AgentOpsClient(options);
                break;

            case "start_run":
                _handles[Req(s, "as")] = Client.StartRun(Req(s, "name"));
                break;

            case "start_span":
                _handles[Req(s, "as")] = Client.StartSpan(Req(s, "name"), Parent(s));
                break;

            case "end_span":
                Handle<Activity>(Req(s, "ref")).Dispose();
                break;

            case "llm_call":
                Client.RecordLlmCall(Req(s, "model"), Str(s, "provider"), Int(s, "tokens_in") ?? 0, Int(s, "tokens_out") ?? 0,
                    Int(s, "tokens_cached") ?? 0, TimeSpan.FromMilliseconds(Num(s, "latency_ms") ?? 0), parent: Parent(s));
                break;

            case "tool_call":
                Client.RecordToolCall(Req(s, "tool"), Elem(s, "input"), Elem(s, "output"), TimeSpan.FromMilliseconds(Num(s, "latency_ms") ?? 0), parent: Parent(s));
                break;

            case "external_action":
                Client.RecordExternalAction(Req(s, "name"), Elem(s, "input"), Elem(s, "output"), Parent(s));
                break;

            case "log":
                var count = Int(s, "count") ?? 1;
                for (var i = 0; i < count; i++)
                    Client.Log(count > 1 ? $"{Req(s, "message")}-{i}" : Req(s, "message"), parent: Parent(s));
                break;

            case "error":
                Client.RecordError(Req(s, "message"), parent: Parent(s));
                break;

            case "score":
                Client.RecordScore(Req(s, "name"), Num(s, "value") ?? throw new InvalidOperationException("score needs value"), parent: Parent(s));
                break;

            case "end_run":
                await Handle<AgentRun>(Req(s, "ref")).EndAsync(Str(s, "status") ?? "succeeded");
                break;

            case "burst":
                await BurstAsync(Handle<AgentRun>(Req(s, "run")), (int)(Int(s, "tasks") ?? 1), (int)(Int(s, "events_per_task") ?? 1));
                break;

            case "flush":
                var sw = Stopwatch.StartNew();
                var result = await Client.FlushAsync(TimeSpan.FromSeconds(Num(s, "timeout_s") ?? 5));
                sw.Stop();
                if (Int(s, "expect_unsent") is { } unsent) Assert.True(result.Unsent == unsent, $"unsent {result.Unsent}, expected {unsent}; stats {Describe(Client.Stats())}");
                if (Int(s, "expect_unsent_at_least") is { } least) Assert.True(result.Unsent >= least, $"unsent {result.Unsent}, expected at least {least}");
                if (Num(s, "expect_within_s") is { } within) Assert.True(sw.Elapsed.TotalSeconds <= within, $"flush took {sw.Elapsed.TotalSeconds:0.000} s, expected within {within} s");
                break;

            case "arm_fault":
                var fault = new Dictionary<string, object?>
                {
                    ["path"] = Req(s, "path"), ["status"] = Int(s, "status"), ["when"] = Str(s, "when") ?? "before", ["times"] = Int(s, "times") ?? 1,
                };
                if (Num(s, "retry_after_s") is { } ra) fault["retry_after_s"] = ra;
                var armed = await Ok(await (await Admin()).PostAsJsonAsync("api/v1/test/faults", fault), "arm a fault");
                if (armed.ValueKind == JsonValueKind.Object && Str(armed, "id") is { } faultId) _faults.Add(faultId);
                break;

            case "expect_fault_hits":
                var faults = await Ok(await (await Admin()).GetAsync("api/v1/test/faults"), "read the faults");
                // Faults are per organization and stay listed once used: count the ones this scenario armed.
                var hits = faults.GetProperty("items").EnumerateArray()
                    .Where(f => f.GetProperty("path").GetString() == Req(s, "path") && (_faults.Count == 0 || _faults.Contains(Str(f, "id") ?? "")))
                    .Sum(f => f.GetProperty("hits").GetInt64());
                Assert.Equal(Int(s, "hits"), hits);
                break;

            case "create_policy":
                var created = await Ok(await (await Admin()).PostAsync("api/v1/policies", PolicyBody(s.GetProperty("body"))), "create a policy");
                var policyId = created.GetProperty("id").GetString()!;
                _policies.Add(policyId);
                _handles[Str(s, "as") ?? policyId] = policyId;
                break;

            case "pause_agent":
                var agentId = await AgentIdAsync();
                await Ok(await (await Admin()).PostAsJsonAsync($"api/v1/controls/pause-agent/{agentId}", new { reason = "conformance " + _scenario }), "pause the agent");
                break;

            case "check_policy":
                await CheckPolicyAsync(s);
                break;

            case "wait_for_approval":
                var decision = Handle<PolicyDecision>(Req(s, "ref"));
                Assert.NotNull(decision.Approval);
                var approver = Task.Run(async () =>
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Num(s, "approve_after_ms") ?? 0));
                    await Ok(await (await Admin()).PostAsJsonAsync($"api/v1/approvals/{decision.Approval!.Id}/approve", new { comment = "conformance" }), "approve");
                });
                var status = await decision.WaitForApprovalAsync(TimeSpan.FromSeconds(Num(s, "timeout_s") ?? 30));
                await approver;
                Assert.Equal(Str(s, "expect_status"), Name(status));
                break;

            case "expect_paused":
                Assert.True(Client.IsPaused(_agent), "the SDK does not report the agent paused");
                Assert.Equal(1, Volatile.Read(ref _pausedCallbacks));
                await Assert.ThrowsAsync<AgentPausedException>(() => Client.CheckPolicyAsync(new { type = "conformance_probe" }));
                break;

            case "expect_stats":
                var stats = Client.Stats();
                var d = Describe(stats);
                if (Int(s, "retries_at_least") is { } r) Assert.True(stats.Retries >= r, $"retries: {d}");
                if (Int(s, "dropped_paused_at_least") is { } dp) Assert.True(stats.DroppedPaused >= dp, $"dropped_paused: {d}");
                if (Int(s, "dropped_queue_full") is { } dq) Assert.True(stats.DroppedQueueFull == dq, $"dropped_queue_full: {d}");
                if (Int(s, "rejected_at_least") is { } rj) Assert.True(stats.DroppedRejected >= rj, $"dropped_rejected: {d}");
                break;

            case "expect_events":
                await ExpectEventsAsync(s);
                break;

            case "expect_run":
                var run = (await Ok(await _api.GetAsync($"api/v1/runs/{Uri.EscapeDataString(Handle<AgentRun>(Req(s, "run")).Id)}"), "read the run")).GetProperty("run");
                if (Str(s, "status") is { } runStatus) Assert.Equal(runStatus, run.GetProperty("status").GetString());
                if (s.TryGetProperty("fields", out var fields)) CompareFields(fields, run, "run");
                break;

            case "expect_approvals":
                var runId = Handle<AgentRun>(Req(s, "run")).Id;
                var approvals = await AllPagesAsync(await Admin(), $"api/v1/approvals?run_id={Uri.EscapeDataString(runId)}&limit=200");
                Assert.Equal(Int(s, "count"), approvals.Count);
                break;

            default:
                throw new InvalidOperationException("unknown operation");
        }
    }

    private async Task BurstAsync(AgentRun run, int tasks, int eventsPerTask)
    {
        var client = Client;
        // The tasks find the run through the ambient context only: make it current, then start them.
        var saved = Activity.Current;
        Activity.Current = run.Activity;
        try
        {
            await Task.WhenAll(Enumerable.Range(0, tasks).Select(k => Task.Run(() =>
            {
                using var span = client.StartSpan($"task-{k}");
                for (var i = 0; i < eventsPerTask; i++) client.Log($"t{k}-{i}");
            })));
        }
        finally { Activity.Current = saved; }
    }

    private async Task CheckPolicyAsync(JsonElement s)
    {
        var run = Str(s, "run") is { } runName ? Handle<AgentRun>(runName) : null;
        var decision = await Client.CheckPolicyAsync(s.GetProperty("action").Clone(), Str(s, "step"), run: run);
        if (Str(s, "as") is { } name) _handles[name] = decision;
        if (Str(s, "expect_decision") is { } expected) Assert.Equal(expected, Name(decision.Decision));
        if (Str(s, "expect_reason") is { } reason) Assert.Equal(reason, decision.Reason);
        if (Str(s, "expect_same_approval_as") is { } same)
            Assert.Equal(Handle<PolicyDecision>(same).Approval?.Id, decision.Approval?.Id);
        if (Str(s, "expect_approval_status") is { } approvalStatus)
            Assert.Equal(approvalStatus, decision.Approval is null ? null : Name(decision.Approval.Status));
    }

    private async Task ExpectEventsAsync(JsonElement s)
    {
        var runId = Handle<AgentRun>(Req(s, "run")).Id;
        var expected = (int)(Int(s, "count") ?? 0);
        var deadline = Stopwatch.StartNew();
        var wait = TimeSpan.FromSeconds(Num(s, "wait_s") ?? 60);
        List<JsonElement> events;
        while (true)
        {
            events = await StoredEventsAsync(runId);
            if (events.Count >= expected || deadline.Elapsed > wait) break;
            await Task.Delay(250);
        }
        await Task.Delay(TimeSpan.FromSeconds(1)); // anything late (a duplicate) shows up too
        events = await StoredEventsAsync(runId);
        Assert.True(events.Count == expected, $"{events.Count} events stored for run {runId}, expected exactly {expected}; stats {Describe(Client.Stats())}; types {string.Join(",", events.GroupBy(e => e.GetProperty("type").GetString()).Select(g => $"{g.Key}×{g.Count()}"))}");

        var byId = events.ToDictionary(e => e.GetProperty("id").GetString()!);
        string? ParentName(JsonElement e) =>
            e.TryGetProperty("parent_id", out var p) && p.ValueKind == JsonValueKind.String
                ? (byId.TryGetValue(p.GetString()!, out var parent) ? Str(parent, "name") ?? "?" : "<unknown " + p.GetString() + ">")
                : null;

        if (s.TryGetProperty("events", out var wanted))
        {
            var unused = new List<JsonElement>(events);
            foreach (var want in wanted.EnumerateArray())
            {
                var match = unused.FindIndex(e =>
                    e.GetProperty("type").GetString() == Str(want, "type")
                    && (!want.TryGetProperty("name", out var n) || n.GetString() == Str(e, "name"))
                    && (!want.TryGetProperty("parent", out var p) || (p.ValueKind == JsonValueKind.Null ? ParentName(e) is null : ParentName(e) == p.GetString()))
                    && (!want.TryGetProperty("fields", out var f) || FieldsEqual(f, e)));
                Assert.True(match >= 0, $"no stored event matches {want}; stored: {string.Join(" | ", events.Select(e => $"{Str(e, "type")} {Str(e, "name")} parent={ParentName(e)}"))}");
                unused.RemoveAt(match);
            }
        }
        if (Bool(s, "tasks_consistent") == true)
        {
            foreach (var log in events.Where(e => Str(e, "type") == "log"))
            {
                var name = Str(log, "name") ?? "";
                if (!name.StartsWith('t') || name.IndexOf('-', StringComparison.Ordinal) < 0) continue;
                var k = name[1..name.IndexOf('-', StringComparison.Ordinal)];
                Assert.Equal($"task-{k}", ParentName(log));
            }
        }
    }

    private async Task<List<JsonElement>> StoredEventsAsync(string runId)
    {
        // Until the first event of the run is processed the run does not exist: that is "nothing stored yet".
        var probe = await _api.GetAsync($"api/v1/events/{Uri.EscapeDataString(runId)}?limit=1");
        if (probe.StatusCode == System.Net.HttpStatusCode.NotFound) return [];
        var all = await AllPagesAsync(_api, $"api/v1/events/{Uri.EscapeDataString(runId)}?limit=1000");
        return all.Where(e => !PlatformTypes.Contains(e.GetProperty("type").GetString()!)).ToList();
    }

    private static async Task<List<JsonElement>> AllPagesAsync(HttpClient http, string path)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await Ok(await http.GetAsync(cursor is null ? path : $"{path}&cursor={Uri.EscapeDataString(cursor)}"), "read " + path);
            items.AddRange(page.GetProperty("items").EnumerateArray());
            cursor = page.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        } while (cursor is not null);
        return items;
    }

    private static bool FieldsEqual(JsonElement fields, JsonElement actual)
    {
        foreach (var f in fields.EnumerateObject())
        {
            if (!actual.TryGetProperty(f.Name, out var a)) return false;
            if (!JsonEqual(f.Value, a)) return false;
        }
        return true;
    }

    private static void CompareFields(JsonElement fields, JsonElement actual, string what)
    {
        foreach (var f in fields.EnumerateObject())
        {
            Assert.True(actual.TryGetProperty(f.Name, out var a), $"{what} has no field {f.Name}");
            Assert.True(JsonEqual(f.Value, a), $"{what}.{f.Name} is {a}, expected {f.Value}");
        }
    }

    private static bool JsonEqual(JsonElement expected, JsonElement actual) =>
        expected.ValueKind == JsonValueKind.Number && actual.ValueKind == JsonValueKind.Number
            ? Math.Abs(expected.GetDouble() - actual.GetDouble()) < 1e-9
            : JsonElement.DeepEquals(expected, actual);

    private async Task<string> AgentIdAsync()
    {
        // The runs know their agent's id; the agent registered itself by name on first use.
        foreach (var run in _handles.Values.OfType<AgentRun>())
        {
            var response = await _api.GetAsync($"api/v1/runs/{Uri.EscapeDataString(run.Id)}");
            if (response.IsSuccessStatusCode)
                return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run").GetProperty("agent_id").GetString()!;
        }
        var agents = await AllPagesAsync(_api, "api/v1/agents?limit=200");
        return agents.First(a => a.GetProperty("name").GetString() == _agent).GetProperty("id").GetString()!;
    }

    private async Task<HttpClient> Admin()
    {
        if (_admin is not null) return _admin;
        using var login = new HttpClient { BaseAddress = ConformanceEnvironment.Url };
        var session = await Ok(await login.PostAsJsonAsync("api/v1/auth/login",
            new { email = ConformanceEnvironment.AdminEmail, password = ConformanceEnvironment.AdminPassword }), "log in as the admin");
        _admin = new HttpClient { BaseAddress = ConformanceEnvironment.Url, Timeout = TimeSpan.FromSeconds(60) };
        _admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session.GetProperty("access_token").GetString());
        return _admin;
    }

    private static async Task<JsonElement> Ok(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{what}: {(int)response.StatusCode} {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>
    /// The scenario's policy body; a require_approval policy that names no approvers gets the admin role (the server
    /// requires <c>approval_required_from</c>, and the admin session is who approves in the scenarios).
    /// </summary>
    private static StringContent PolicyBody(JsonElement body)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(body.GetRawText())!.AsObject();
        if (node["action"]?.GetValue<string>() == "require_approval" && !node.ContainsKey("approval_required_from"))
            node["approval_required_from"] = new System.Text.Json.Nodes.JsonArray("admin");
        return new StringContent(node.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
    }

    private static StringContent Json(JsonElement e) => new(e.GetRawText(), System.Text.Encoding.UTF8, "application/json");

    private Activity? Parent(JsonElement s) => Str(s, "parent") is { } name
        ? _handles[name] switch { AgentRun run => run.Activity, Activity span => span, var other => throw new InvalidOperationException($"{name} is a {other.GetType().Name}") }
        : null;

    private T Handle<T>(string name) => _handles.TryGetValue(name, out var h) && h is T t ? t : throw new InvalidOperationException($"no {typeof(T).Name} named {name}");

    private static string Name(Decision d) => d switch { Decision.Allow => "allow", Decision.Block => "block", _ => "require_approval" };

    private static string Name(ApprovalStatus s) => s.ToString().ToLowerInvariant();

    private static string Describe(SdkStats s) =>
        $"queued={s.Queued} sent={s.Sent} retries={s.Retries} dropped_queue_full={s.DroppedQueueFull} dropped_paused={s.DroppedPaused} dropped_rejected={s.DroppedRejected} [{string.Join(",", s.RejectedByCode.Select(kv => kv.Key + "=" + kv.Value))}]";

    private static string Req(JsonElement s, string name) => Str(s, name) ?? throw new InvalidOperationException($"missing `{name}`");
    private static string? Str(JsonElement s, string name) => s.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    private static long? Int(JsonElement s, string name) => s.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? (long)v.GetDouble() : null;
    private static double? Num(JsonElement s, string name) => s.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
    private static bool? Bool(JsonElement s, string name) => s.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
    private static object? Elem(JsonElement s, string name) => s.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.Clone() : null;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_admin is not null)
                foreach (var id in _policies) await _admin.DeleteAsync($"api/v1/policies/{id}");
        }
        catch (HttpRequestException) { /* cleanup only */ }
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
        _admin?.Dispose();
        _api.Dispose();
    }
}
