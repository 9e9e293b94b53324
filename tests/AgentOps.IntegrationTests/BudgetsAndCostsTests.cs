using System.Diagnostics;
using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

[Collection(ApiCollection.Name)]
public class BudgetsAndCostsTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    /// <summary>An llm.call now (costs land on today's date) with a client-supplied cost.</summary>
    private static object Call(string id, string agent, decimal usd, string model = "gpt-4o", string run = "r") => new Dictionary<string, object?>
    {
        ["id"] = id, ["type"] = "llm.call", ["timestamp"] = DateTimeOffset.UtcNow.ToString("O"), ["run_id"] = run, ["agent"] = agent,
        ["model"] = model, ["tokens_in"] = 100, ["tokens_out"] = 10, ["cost_usd"] = usd,
    };

    private static readonly string Today = DateTime.UtcNow.ToString("yyyy-MM-dd");

    private async Task<Guid> AgentAsync(Tenant tenant, string name, string? team = null) =>
        (await _client.Post("/api/v1/agents", new { name, team }, tenant.AdminToken)).Expect(201).Id();

    private async Task<JsonElement> WaitForBudgetAsync(string bearer, Guid id, Func<JsonElement, bool> until, int seconds = 15)
    {
        Reply last = null!;
        for (var deadline = DateTime.UtcNow.AddSeconds(seconds); DateTime.UtcNow < deadline; await Task.Delay(50))
        {
            last = (await _client.Get($"/api/v1/budgets/{id}", bearer)).Expect(200);
            if (until(last.Body)) return last.Body;
        }
        throw new TimeoutException($"Budget {id} did not reach the expected state: {last}");
    }

    private static decimal Spent(JsonElement detail) => detail.GetProperty("budget").GetProperty("status").GetProperty("spent_usd").GetDecimal();

    [Fact]
    public async Task Costs_add_up_by_day_agent_team_and_model_and_export_as_csv()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        var a = await AgentAsync(tenant, "alpha", "search");
        await AgentAsync(tenant, "beta", "search");
        await AgentAsync(tenant, "gamma");
        (await _client.IngestAsync(key, Call("c1", "alpha", 1.25m), Call("c2", "alpha", 0.5m, "claude-sonnet-4"), Call("c3", "beta", 2m),
            Call("c4", "gamma", 0.25m, "gemini-2.5-pro"))).Expect(202);
        // Re-sent events change nothing.
        (await _client.IngestAsync(key, Call("c1", "alpha", 1.25m), Call("c3", "beta", 2m))).Expect(202);

        JsonElement report = default;
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline; await Task.Delay(50))
        {
            report = (await _client.Get($"/api/v1/costs/summary?from={Today}&to={Today}", tenant.AdminToken)).Expect(200).Body.GetProperty("report");
            if (report.GetProperty("total").GetProperty("calls").GetInt64() == 4) break;
        }
        Assert.Equal(4m, report.GetProperty("total").GetProperty("cost_usd").GetDecimal());
        Assert.Equal(4_000_000, report.GetProperty("total").GetProperty("cost_micros").GetInt64());
        Assert.Equal(4m, report.GetProperty("daily")[0].GetProperty("cost_usd").GetDecimal());
        var byAgent = report.GetProperty("by_agent").EnumerateArray().ToDictionary(x => x.GetProperty("name").GetString()!, x => x.GetProperty("totals").GetProperty("cost_usd").GetDecimal());
        Assert.Equal(new Dictionary<string, decimal> { ["alpha"] = 1.75m, ["beta"] = 2m, ["gamma"] = 0.25m }, byAgent);
        var byTeam = report.GetProperty("by_team").EnumerateArray().ToDictionary(x => x.GetProperty("team").GetString() ?? "(none)", x => x.GetProperty("totals").GetProperty("cost_usd").GetDecimal());
        Assert.Equal(new Dictionary<string, decimal> { ["search"] = 3.75m, ["(none)"] = 0.25m }, byTeam);
        var byModel = report.GetProperty("by_model").EnumerateArray().ToDictionary(x => x.GetProperty("model").GetString()!, x => x.GetProperty("totals").GetProperty("cost_usd").GetDecimal());
        Assert.Equal(new Dictionary<string, decimal> { ["gpt-4o"] = 3.25m, ["claude-sonnet-4"] = 0.5m, ["gemini-2.5-pro"] = 0.25m }, byModel);

        var agent = (await _client.Get($"/api/v1/costs/by-agent/{a}?from={Today}&to={Today}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal("search", agent.GetProperty("team").GetString());
        Assert.Equal(1.75m, agent.GetProperty("report").GetProperty("total").GetProperty("cost_usd").GetDecimal());
        Assert.Equal(2, agent.GetProperty("report").GetProperty("by_model").GetArrayLength());
        var team = (await _client.Get($"/api/v1/costs/by-team/search?from={Today}&to={Today}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(3.75m, team.GetProperty("report").GetProperty("total").GetProperty("cost_usd").GetDecimal());

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/costs/by-team/search?from={Today}&to={Today}&format=csv");
        request.Headers.Authorization = new("Bearer", tenant.AdminToken);
        var file = await _client.SendAsync(request);
        Assert.Equal("text/csv", file.Content.Headers.ContentType?.MediaType);
        var lines = (await file.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("day,agent_id,agent_name,team,model,cost_usd,tokens_in,tokens_out,tokens_cached,calls,unpriced_calls", lines[0]);
        Assert.Equal(3, lines.Length - 1); // alpha × 2 models, beta × 1
        Assert.Contains(lines, l => l.StartsWith($"{Today},{a},alpha,search,claude-sonnet-4,0.5,100,10,0,1,0", StringComparison.Ordinal));

        // Ranges are checked before anything is streamed; another organization's agent does not exist here.
        (await _client.Get("/api/v1/costs/summary?from=2026-02-01&to=2026-01-01&format=csv", tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        (await _client.Get("/api/v1/costs/summary?from=2024-01-01&to=2026-01-01", tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        (await _client.Get("/api/v1/costs/summary?format=xml", tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        var other = await _client.SignupAsync();
        (await _client.Get($"/api/v1/costs/by-agent/{a}", other.AdminToken)).ExpectProblem(404, "not_found");
        var otherReport = (await _client.Get($"/api/v1/costs/summary?from={Today}&to={Today}", other.AdminToken)).Expect(200).Body.GetProperty("report");
        Assert.Equal(0m, otherReport.GetProperty("total").GetProperty("cost_usd").GetDecimal());
    }

    [Fact]
    public async Task An_agent_budget_alerts_at_each_threshold_once_and_auto_pauses_through_the_controls_path()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        var agent = await AgentAsync(tenant, "spender");
        var budget = (await _client.Post("/api/v1/budgets", new
        {
            name = "spender weekly", scope = "agent", agent_id = agent, period = "rolling", rolling_days = 7, max_amount_usd = 1.0,
            thresholds = new[] { 80, 50, 100 }, auto_pause_at_percent = 100,
        }, tenant.AdminToken)).Expect(201).Body;
        var id = budget.GetProperty("id").GetGuid();
        Assert.Equal([50, 80, 100], budget.GetProperty("thresholds").EnumerateArray().Select(t => t.GetInt32()));
        Assert.Equal("ok", budget.GetProperty("status").GetProperty("state").GetString());

        (await _client.IngestAsync(key, Call("s1", "spender", 0.6m))).Expect(202);
        var detail = await WaitForBudgetAsync(tenant.AdminToken, id, d => Spent(d) == 0.6m);
        Assert.Equal("warning", detail.GetProperty("budget").GetProperty("status").GetProperty("state").GetString());
        Assert.Equal([50], detail.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("threshold").GetInt32()));

        (await _client.IngestAsync(key, Call("s2", "spender", 0.5m))).Expect(202);
        detail = await WaitForBudgetAsync(tenant.AdminToken, id, d => Spent(d) == 1.1m);
        Assert.True(detail.GetProperty("budget").GetProperty("status").GetProperty("auto_paused").GetBoolean());
        var alerts = detail.GetProperty("alerts").EnumerateArray().Select(a => (a.GetProperty("kind").GetString(), a.GetProperty("threshold").GetInt32())).Order().ToList();
        Assert.Equal([("auto_pause", 100), ("threshold", 50), ("threshold", 80), ("threshold", 100)], alerts);

        // Paused like the pause button does it: ingest refuses, the audit trail names the budget as the actor.
        var agentView = (await _client.Get($"/api/v1/agents/{agent}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal("paused", agentView.GetProperty("status").GetString());
        Assert.Contains("spender weekly", agentView.GetProperty("paused_reason").GetString());
        // Within the documented second (at once on this replica, which invalidates its cache after the worker commits).
        var paused = Stopwatch.StartNew();
        Reply refused;
        while ((refused = await _client.IngestAsync(key, Call($"s3-{paused.ElapsedMilliseconds}", "spender", 0.1m))).Code == 202 && paused.ElapsedMilliseconds < 1500) await Task.Delay(20);
        Assert.Equal("agent_paused", refused.Expect(207).Body.GetProperty("results")[0].GetProperty("code").GetString());
        var audit = (await _client.Get("/api/v1/audit-logs?entity_type=agent&action=control.*", tenant.AdminToken)).Expect(200).Body.GetProperty("items")[0];
        Assert.Equal("system", audit.GetProperty("actor_type").GetString());
        Assert.Equal(id, audit.GetProperty("actor_id").GetGuid());

        // Notifications: one per firing, each threshold named once, plus the auto-pause.
        var notes = await Notifications(tenant.OrgId);
        Assert.Equal(1, notes.Count(n => n.Kind == "budget.auto_paused"));
        Assert.Equal([50, 80, 100], notes.Where(n => n.Kind == "budget.threshold").SelectMany(n => n.Thresholds).Order());

        // Raising the maximum re-arms the period against the new amount; the agent stays paused until someone resumes it.
        var raised = (await _client.Patch($"/api/v1/budgets/{id}", new { max_amount_usd = 10 }, tenant.AdminToken)).Expect(200).Body;
        Assert.Equal("ok", raised.GetProperty("status").GetProperty("state").GetString());
        Assert.Equal(0, (await _client.Get($"/api/v1/budgets/{id}", tenant.AdminToken)).Expect(200).Body.GetProperty("alerts").EnumerateArray()
            .Count(a => a.GetProperty("period_start").GetString() == Today));
    }

    private static async Task<List<(string Kind, int[] Thresholds)>> Notifications(Guid orgId)
    {
        await using var conn = await TestDatabase.OpenAsync(TestDatabase.AdminUrl);
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT kind, data::text FROM notifications WHERE org_id = $1 ORDER BY created_at", conn);
        cmd.Parameters.AddWithValue(orgId);
        await using var r = await cmd.ExecuteReaderAsync();
        var list = new List<(string, int[])>();
        while (await r.ReadAsync())
        {
            var data = JsonDocument.Parse(r.GetString(1)).RootElement;
            list.Add((r.GetString(0), data.TryGetProperty("thresholds", out var t) ? t.EnumerateArray().Select(x => x.GetInt32()).ToArray() : []));
        }
        return list;
    }

    [Fact]
    public async Task Thresholds_fire_once_and_spend_is_exact_under_concurrent_ingest()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        var agents = new[] { "w1", "w2", "w3", "w4" };
        foreach (var a in agents) await AgentAsync(tenant, a, "fleet");
        var id = (await _client.Post("/api/v1/budgets", new
        {
            name = "fleet", scope = "team", team = "fleet", period = "rolling", rolling_days = 3, max_amount_usd = 2.0, thresholds = new[] { 10, 25, 50, 75, 100 },
        }, tenant.AdminToken)).Expect(201).Id();

        // 40 requests of 5 calls at $0.01 from 8 concurrent senders, to four agents: $2.00 in all.
        await Parallel.ForEachAsync(Enumerable.Range(0, 40), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            (await _client.IngestAsync(key, [.. Enumerable.Range(0, 5).Select(j => Call($"p{i}-{j}", agents[(i + j) % 4], 0.01m, run: $"run-{i}"))])).Expect(202));
        var detail = await WaitForBudgetAsync(tenant.AdminToken, id, d => Spent(d) == 2.0m, 30);
        Assert.Equal("exceeded", detail.GetProperty("budget").GetProperty("status").GetProperty("state").GetString());
        var fired = detail.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("threshold").GetInt32()).Order().ToList();
        Assert.Equal([10, 25, 50, 75, 100], fired);
        Assert.Equal([10, 25, 50, 75, 100], (await Notifications(tenant.OrgId)).SelectMany(n => n.Thresholds).Order());
        // Each alert recorded the spend that reached it: never below its threshold.
        foreach (var a in detail.GetProperty("alerts").EnumerateArray())
            Assert.True(a.GetProperty("spent_usd").GetDecimal() * 100 >= a.GetProperty("threshold").GetInt32() * 2.0m);
    }

    [Fact]
    public async Task A_new_budget_counts_the_period_spent_so_far_and_an_org_budget_auto_pause_is_the_kill_switch()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        await AgentAsync(tenant, "one");
        await AgentAsync(tenant, "two");
        (await _client.IngestAsync(key, Call("k1", "one", 3m), Call("k2", "two", 2m))).Expect(202);
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline; await Task.Delay(50))
            if ((await _client.Get($"/api/v1/costs/summary?from={Today}&to={Today}", tenant.AdminToken)).Body.GetProperty("report").GetProperty("total").GetProperty("cost_usd").GetDecimal() == 5m)
                break;

        var created = (await _client.Post("/api/v1/budgets", new { name = "org", scope = "org", period = "daily", max_amount_usd = 4, auto_pause_at_percent = 100 },
            tenant.AdminToken)).Expect(201).Body;
        Assert.Equal(5m, created.GetProperty("status").GetProperty("spent_usd").GetDecimal());
        Assert.Equal(125m, created.GetProperty("status").GetProperty("percent").GetDecimal());
        Assert.True(created.GetProperty("status").GetProperty("auto_paused").GetBoolean());
        var status = (await _client.Get("/api/v1/controls/status", tenant.AdminToken)).Expect(200).Body;
        Assert.True(status.GetProperty("killed").GetBoolean());
        Assert.Equal(2, status.GetProperty("paused_by_kill_switch").GetInt64());
        Assert.Contains("org", status.GetProperty("killed_reason").GetString());

        var summary = (await _client.Get("/api/v1/costs/summary", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal("exceeded", summary.GetProperty("budgets")[0].GetProperty("status").GetProperty("state").GetString());
    }

    [Fact]
    public async Task Budgets_validate_with_exact_paths_and_stay_in_their_organization()
    {
        var tenant = await _client.SignupAsync();
        var bad = (await _client.Post("/api/v1/budgets", new
        {
            name = "", scope = "team", period = "rolling", max_amount_usd = -1, thresholds = new[] { 0, 50 }, auto_pause_at_percent = 5000,
        }, tenant.AdminToken)).ExpectProblem(422, "validation_failed").Body.GetProperty("errors");
        foreach (var path in new[] { "$.name", "$.team", "$.rolling_days", "$.max_amount_usd", "$.thresholds[0]", "$.auto_pause_at_percent" })
            Assert.True(bad.TryGetProperty(path, out _), $"missing {path} in {bad}");
        (await _client.Post("/api/v1/budgets", new { name = "x", scope = "agent", agent_id = Guid.NewGuid(), period = "daily", max_amount_usd = 1 }, tenant.AdminToken))
            .ExpectProblem(422, "validation_failed");
        (await _client.Post("/api/v1/budgets", new { name = "x", scope = "org", period = "daily", max_amount_usd = 1, rolling_days = 3 }, tenant.AdminToken))
            .ExpectProblem(422, "validation_failed");

        var id = (await _client.Post("/api/v1/budgets", new { name = "monthly", scope = "org", period = "monthly", max_amount_usd = 100 }, tenant.AdminToken)).Expect(201).Id();
        (await _client.Post("/api/v1/budgets", new { name = "monthly", scope = "org", period = "monthly", max_amount_usd = 100 }, tenant.AdminToken))
            .ExpectProblem(409, "budget_exists");
        (await _client.Patch($"/api/v1/budgets/{id}", new { period = "rolling" }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        var changed = (await _client.Patch($"/api/v1/budgets/{id}", new { period = "rolling", rolling_days = 30 }, tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(30, changed.GetProperty("rolling_days").GetInt32());

        var other = await _client.SignupAsync();
        (await _client.Get($"/api/v1/budgets/{id}", other.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Patch($"/api/v1/budgets/{id}", new { max_amount_usd = 1 }, other.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Delete($"/api/v1/budgets/{id}", other.AdminToken)).ExpectProblem(404, "not_found");
        Assert.Equal(0, (await _client.Get("/api/v1/budgets", other.AdminToken)).Expect(200).Body.GetProperty("items").GetArrayLength());

        (await _client.Delete($"/api/v1/budgets/{id}", tenant.AdminToken)).Expect(204);
        var actions = (await _client.Get("/api/v1/audit-logs?entity_type=budget", tenant.AdminToken)).Expect(200).Body.GetProperty("items")
            .EnumerateArray().Select(r => r.GetProperty("action").GetString()).ToList();
        Assert.Equal(["budget.deleted", "budget.updated", "budget.created"], actions);
    }
}
