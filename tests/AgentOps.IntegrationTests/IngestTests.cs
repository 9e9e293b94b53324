using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
using static AgentOps.IntegrationTests.Infrastructure.Ingesting;

namespace AgentOps.IntegrationTests;

[Collection(ApiCollection.Name)]
public class IngestTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private static object[] SupportRun(string runId = "run-1") =>
    [
        Event($"{runId}-start", "run.start", 0, runId, extra: new { name = "ticket 42", input = new { question = "refund?" }, tags = new[] { "prod" } }),
        Event($"{runId}-llm", "llm.call", 1, runId, extra: new { model = "gpt-4o", provider = "openai", tokens_in = 1000, tokens_out = 500, tokens_cached = 200, latency_ms = 900, parent_id = $"{runId}-start" }),
        Event($"{runId}-tool", "tool.call", 2, runId, extra: new { tool_name = "lookup_order", arguments = new { order = 7 }, result = "found", parent_id = $"{runId}-llm" }),
        Event($"{runId}-end", "run.end", 5, runId, extra: new { status = "success", output = "refunded" }),
    ];

    [Fact]
    public async Task A_batch_is_accepted_and_becomes_a_run_with_its_timeline_and_cost()
    {
        var (_, key) = await _client.SdkTenantAsync();
        var reply = (await _client.IngestAsync(key, SupportRun())).Expect(202);
        Assert.Equal(4, reply.Body.GetProperty("accepted").GetInt32());
        Assert.False(reply.Body.TryGetProperty("results", out _));

        var detail = await _client.WaitForRunAsync(key, "run-1", d => d.GetProperty("run").GetProperty("status").GetString() == "succeeded");
        var run = detail.GetProperty("run");
        Assert.Equal("ticket 42", run.GetProperty("name").GetString());
        Assert.Equal(5000, run.GetProperty("duration_ms").GetInt64());
        Assert.Equal(4, run.GetProperty("event_count").GetInt32());
        Assert.Equal("support-bot", run.GetProperty("agent_name").GetString());
        // gpt-4o: 800 uncached × $2.50 + 200 cached × $1.25 + 500 out × $10, per 1M tokens = 2,000 + 250 + 5,000 µ$.
        Assert.Equal(7250, run.GetProperty("cost_micros").GetInt64());
        Assert.Equal(0.00725m, run.GetProperty("cost_usd").GetDecimal());

        var timeline = detail.GetProperty("timeline").EnumerateArray()
            .Select(t => (Id: t.GetProperty("event").GetProperty("id").GetString(), Depth: t.GetProperty("depth").GetInt32())).ToList();
        Assert.Equal([("run-1-start", 0), ("run-1-llm", 1), ("run-1-tool", 2), ("run-1-end", 0)], timeline);
        var events = (await _client.Get("/api/v1/events/run-1", key)).Expect(200).Body.GetProperty("items");
        Assert.Equal(4, events.GetArrayLength());
    }

    [Fact]
    public async Task The_same_batch_sent_three_times_is_stored_once()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        for (var i = 0; i < 3; i++) (await _client.IngestAsync(key, SupportRun())).Expect(202);
        await _client.WaitForRunAsync(key, "run-1", d => d.GetProperty("run").GetProperty("status").GetString() == "succeeded");
        await WaitForQueueToDrainAsync(tenant.OrgId);
        var run = (await _client.Get("/api/v1/runs/run-1", key)).Body.GetProperty("run");
        Assert.Equal(4, run.GetProperty("event_count").GetInt32());
        Assert.Equal(7250, run.GetProperty("cost_micros").GetInt64());
        Assert.Equal(4L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM events WHERE org_id = $1", tenant.OrgId));
        Assert.Equal(4L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT sum(events)::bigint FROM agent_stats_hourly WHERE org_id = $1", tenant.OrgId));
    }

    private static async Task WaitForQueueToDrainAsync(Guid orgId)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline; await Task.Delay(50))
            if (await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM ingest_batches WHERE org_id = $1", orgId) == 0) return;
        throw new TimeoutException("accepted batches were not processed");
    }

    [Fact]
    public async Task Any_order_and_any_split_of_a_runs_events_converge_to_the_same_run()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        // One run with two starts and two ends (a retry), errors, a client cost and an unpriced model: every merge rule.
        object[] Events(string run) =>
        [
            Event($"{run}-s1", "run.start", 1, run, extra: new { name = "late start", tags = new[] { "b" } }),
            Event($"{run}-s0", "run.start", 0, run, extra: new { name = "first start", tags = new[] { "a" }, input = "hi" }),
            Event($"{run}-l1", "llm.call", 2, run, extra: new { model = "gpt-4o-mini", tokens_in = 1000, tokens_out = 100 }),
            Event($"{run}-l2", "llm.call", 3, run, extra: new { model = "private-model", tokens_in = 5 }),
            Event($"{run}-l3", "llm.call", 4, run, extra: new { model = "gpt-4o", tokens_in = 10, cost_usd = 0.5 }),
            Event($"{run}-t1", "tool.call", 5, run, extra: new { tool_name = "search", error = "timeout" }),
            Event($"{run}-x1", "error", 6, run, extra: new { error = new { message = "boom" } }),
            Event($"{run}-e1", "run.end", 8, run, extra: new { status = "error", error = "gave up" }),
            Event($"{run}-e0", "run.end", 7, run, extra: new { status = "ok", output = "early" }),
            Event($"{run}-g1", "log", 9, run, extra: new { name = "after end" }),
            // A later event from another agent (a trace crossing services): the run stays with its earliest event's agent.
            Event($"{run}-h1", "log", 9.5, run, agent: "helper-bot"),
        ];
        var random = new Random(20261122);
        const int Permutations = 12;
        for (var p = 0; p < Permutations; p++)
        {
            var events = Events($"perm-{p}").OrderBy(_ => random.Next()).ToArray();
            // Random split into batches, each possibly sent twice.
            for (var i = 0; i < events.Length;)
            {
                var size = random.Next(1, 4);
                var batch = events.Skip(i).Take(size).ToArray();
                (await _client.IngestAsync(key, batch)).Expect(202);
                if (random.Next(3) == 0) (await _client.IngestAsync(key, batch)).Expect(202);
                i += size;
            }
        }
        var runs = new List<string>();
        for (var p = 0; p < Permutations; p++)
        {
            var run = (await _client.WaitForRunAsync(key, $"perm-{p}", d => d.GetProperty("run").GetProperty("event_count").GetInt32() == 11)).GetProperty("run");
            var normalized = JsonSerializer.Serialize(new
            {
                name = run.GetProperty("name").GetString(), status = run.GetProperty("status").GetString(), started = run.GetProperty("started_at").GetDateTimeOffset(),
                ended = run.GetProperty("ended_at").GetDateTimeOffset(), input = run.GetProperty("input").GetString(), output = run.GetProperty("output").GetString(),
                error = run.GetProperty("error").GetString(), tags = run.GetProperty("tags").ToString(), cost = run.GetProperty("cost_micros").GetInt64(),
                unpriced = run.GetProperty("unpriced_calls").GetInt32(), errors = run.GetProperty("error_count").GetInt32(), tokens = run.GetProperty("tokens_in").GetInt64(),
                models = run.GetProperty("models").ToString(), last = run.GetProperty("last_event_at").GetDateTimeOffset(),
                agent = run.GetProperty("agent_name").GetString(),
            });
            runs.Add(normalized);
        }
        Assert.Single(runs.Distinct());
        var first = JsonDocument.Parse(runs[0]).RootElement;
        Assert.Equal("first start", first.GetProperty("name").GetString());
        Assert.Equal("support-bot", first.GetProperty("agent").GetString());
        Assert.Equal("failed", first.GetProperty("status").GetString());
        Assert.Equal("gave up", first.GetProperty("error").GetString());
        Assert.Equal("[\"a\"]", first.GetProperty("tags").GetString());
        // gpt-4o-mini: 1000 × $0.15 + 100 × $0.60 per 1M = 150 + 60 µ$; the client's $0.50 for the gpt-4o call wins.
        Assert.Equal(150 + 60 + 500_000, first.GetProperty("cost").GetInt64());
        Assert.Equal(1, first.GetProperty("unpriced").GetInt32());
        // The failed tool call and the error event, and the run's own error (it failed: "gave up").
        Assert.Equal(3, first.GetProperty("errors").GetInt32());
        _ = tenant;
    }

    [Fact]
    public async Task A_failed_run_counts_its_run_level_error()
    {
        var (_, key) = await _client.SdkTenantAsync();
        // Failed with no error event: its own error is its one error.
        (await _client.IngestAsync(key,
            Event("f-s", "run.start", 0, "failed-run"),
            Event("f-l", "llm.call", 1, "failed-run", extra: new { model = "gpt-4o-mini", tokens_in = 10 }),
            Event("f-e", "run.end", 2, "failed-run", extra: new { status = "failed", error = "gave up" }))).Expect(202);
        // An error event and then a failed end: two.
        (await _client.IngestAsync(key,
            Event("g-s", "run.start", 0, "errored-run"),
            Event("g-x", "error", 1, "errored-run", extra: new { error = "boom" }),
            Event("g-e", "run.end", 2, "errored-run", extra: new { error = "gave up" }))).Expect(202);
        // A succeeded run: none.
        (await _client.IngestAsync(key, Event("s-s", "run.start", 0, "ok-run"), Event("s-e", "run.end", 2, "ok-run", extra: new { status = "ok" }))).Expect(202);
        // Ended failed, then a later run.end (a retry that succeeded) wins in another batch: the run error goes away again.
        (await _client.IngestAsync(key, Event("r-s", "run.start", 0, "retried-run"), Event("r-e1", "run.end", 2, "retried-run", extra: new { status = "error", error = "first try" }))).Expect(202);
        await _client.WaitForRunAsync(key, "retried-run", d => d.GetProperty("run").GetProperty("event_count").GetInt32() == 2);
        Assert.Equal(1, (await _client.Get("/api/v1/runs/retried-run", key)).Expect(200).Body.GetProperty("run").GetProperty("error_count").GetInt32());
        (await _client.IngestAsync(key, Event("r-e2", "run.end", 3, "retried-run", extra: new { status = "ok" }))).Expect(202);
        // /ingest/run with a failed status.
        (await _client.Post("/api/v1/ingest/run", new
        {
            run = new { id = "whole-run", agent = "support-bot", started_at = At(0), ended_at = At(3), status = "failed", error = "no answer" },
            events = new[] { Event("w-l", "log", 1, "whole-run") },
        }, key)).Expect(202);

        foreach (var (run, events, errors, status) in new[] { ("failed-run", 3, 1, "failed"), ("errored-run", 3, 2, "failed"), ("ok-run", 2, 0, "succeeded"),
                     ("retried-run", 3, 0, "succeeded"), ("whole-run", 3, 1, "failed") })
        {
            var detail = (await _client.WaitForRunAsync(key, run, d => d.GetProperty("run").GetProperty("event_count").GetInt32() == events)).GetProperty("run");
            Assert.Equal((run, status, errors), (run, detail.GetProperty("status").GetString(), detail.GetProperty("error_count").GetInt32()));
        }
        // The list says the same as the detail.
        var listed = (await _client.Get("/api/v1/runs?limit=10", key)).Expect(200).Body.GetProperty("items").EnumerateArray()
            .ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("error_count").GetInt32());
        Assert.Equal((1, 2, 0, 0, 1), (listed["failed-run"], listed["errored-run"], listed["ok-run"], listed["retried-run"], listed["whole-run"]));
    }

    [Fact]
    public async Task Invalid_items_are_reported_one_by_one_and_the_valid_ones_kept()
    {
        var (_, key) = await _client.SdkTenantAsync();
        var reply = (await _client.IngestAsync(key,
            Event("ok-1", "log", 0, "mixed"),
            new { id = "no-type", timestamp = At(0), run_id = "mixed", agent = "a" },
            Event("bad-type", "dance", 0, "mixed"),
            Event("no-model", "llm.call", 0, "mixed"),
            Event("bad-tokens", "llm.call", 0, "mixed", extra: new { model = "gpt-4o", tokens_in = -1 }),
            Event("extra-field", "log", 0, "mixed", extra: new { colour = "red" }),
            Event("future", "log", 3 * 24 * 3600 + (DateTimeOffset.UtcNow - T0).TotalSeconds, "mixed"),
            "not an object",
            Event("ok-2", "log", 1, "mixed"))).Expect(207);
        Assert.Equal(2, reply.Body.GetProperty("accepted").GetInt32());
        Assert.Equal(7, reply.Body.GetProperty("rejected").GetInt32());
        var codes = reply.Body.GetProperty("results").EnumerateArray().Select(r => r.TryGetProperty("code", out var c) ? c.GetString()! : "ok").ToArray();
        Assert.Equal(["ok", "missing_field", "invalid_type", "missing_field", "invalid_value", "unknown_field", "timestamp_in_future", "invalid_item", "ok"], codes);
        Assert.Equal("$.tokens_in", reply.Body.GetProperty("results")[4].GetProperty("path").GetString());
        var run = await _client.WaitForRunAsync(key, "mixed");
        Assert.Equal(2, run.GetProperty("run").GetProperty("event_count").GetInt32());
    }

    [Fact]
    public async Task Unreadable_and_oversized_requests_are_refused_whole()
    {
        var (_, key) = await _client.SdkTenantAsync();
        (await _client.Post("/api/v1/ingest", "{\"batch\": [", key)).ExpectProblem(400, "malformed_json");
        (await _client.Post("/api/v1/ingest", new { events = Array.Empty<object>() }, key)).ExpectProblem(400, "unknown_field");
        (await _client.Post("/api/v1/ingest", new { batch = Array.Empty<object>() }, key)).ExpectProblem(422, "validation_failed");
        var many = Enumerable.Range(0, 1001).Select(i => Event($"e{i}", "log", 0)).ToArray();
        (await _client.IngestAsync(key, many)).ExpectProblem(413, "too_many_events");
        var huge = Enumerable.Range(0, 3).Select(i => Event($"h{i}", "log", 0, extra: new { input = new string('x', 2 * 1024 * 1024 - 100) })).ToArray();
        (await _client.IngestAsync(key, huge)).ExpectProblem(413, "payload_too_large");
    }

    [Fact]
    public async Task Above_the_organizations_rate_the_whole_batch_waits_with_retry_after()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        // 1 event/s with bursts of 20: the second batch needs 10 more tokens, which take 10 s to come back.
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE organizations SET ingest_events_per_second = 1, ingest_burst = 20 WHERE id = $1", tenant.OrgId);
        (await _client.IngestAsync(key, Enumerable.Range(0, 15).Select(i => Event($"a{i}", "log", 0, "rated")).ToArray())).Expect(202);
        var limited = (await _client.IngestAsync(key, Enumerable.Range(0, 15).Select(i => Event($"b{i}", "log", 0, "rated")).ToArray())).ExpectProblem(429, "rate_limited");
        Assert.True(limited.Raw.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        (await _client.IngestAsync(key, Enumerable.Range(0, 25).Select(i => Event($"c{i}", "log", 0, "rated")).ToArray())).ExpectProblem(413, "batch_exceeds_burst");
        var run = await _client.WaitForRunAsync(key, "rated");
        Assert.Equal(15, run.GetProperty("run").GetProperty("event_count").GetInt32());
    }

    [Fact]
    public async Task A_new_ingest_rate_applies_from_the_next_request_not_after_the_settings_cache_expires()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        // The first request caches the defaults (1,000 events/s, burst 5,000) for 5 s.
        (await _client.IngestAsync(key, [Event("warm", "log", 0, "re-rated")])).Expect(202);
        (await _client.Patch("/api/v1/orgs/profile", new { ingest_events_per_second = 1, ingest_burst = 1000 }, tenant.AdminToken)).Expect(200);
        // Once the change committed (OrganizationUpdated), the bucket is the new one: a full burst, then 10 more events
        // need 10 s of refill (the stale defaults would have taken both batches).
        (await _client.IngestAsync(key, Enumerable.Range(0, 1000).Select(i => Event($"full{i}", "log", 0, "re-rated")).ToArray())).Expect(202);
        (await _client.IngestAsync(key, Enumerable.Range(0, 10).Select(i => Event($"more{i}", "log", 0, "re-rated")).ToArray())).ExpectProblem(429, "rate_limited");
    }

    [Fact]
    public async Task Paused_archived_and_unknown_agents_are_item_errors_that_sdks_can_act_on()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        var (_, ingestOnly) = await _client.CreateKeyAsync(tenant.AdminToken, "ingest");
        var agent = (await _client.Post("/api/v1/agents", new { name = "pausable", type = "langgraph" }, tenant.AdminToken)).Expect(201).Id();
        (await _client.IngestAsync(key, Event("p1", "log", 0, "p", agent: "pausable"))).Expect(202);
        (await _client.Patch($"/api/v1/agents/{agent}", new { status = "paused" }, tenant.AdminToken)).Expect(200);
        var paused = (await _client.IngestAsync(key, Event("p2", "log", 1, "p", agent: agent.ToString()), Event("q1", "log", 1, "q", agent: "other"))).Expect(207);
        Assert.Equal("agent_paused", paused.Body.GetProperty("results")[0].GetProperty("code").GetString());
        Assert.Equal("accepted", paused.Body.GetProperty("results")[1].GetProperty("status").GetString());

        (await _client.Delete($"/api/v1/agents/{agent}", tenant.AdminToken)).Expect(204);
        Assert.Equal("agent_archived", (await _client.IngestAsync(key, Event("p3", "log", 1, "p", agent: "pausable"))).Expect(207)
            .Body.GetProperty("results")[0].GetProperty("code").GetString());

        // An ingest-only key may send for known agents but not invent new ones.
        var unknown = (await _client.IngestAsync(ingestOnly, Event("n1", "log", 0, "n", agent: "brand-new"), Event("n2", "log", 0, "n", agent: "other"))).Expect(207);
        Assert.Equal("unknown_agent", unknown.Body.GetProperty("results")[0].GetProperty("code").GetString());
        Assert.Equal("accepted", unknown.Body.GetProperty("results")[1].GetProperty("status").GetString());
        Assert.Equal(1L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'agent.registered'", tenant.OrgId));
        Assert.Equal(1L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'agent.paused'", tenant.OrgId));
    }

    [Fact]
    public async Task Large_payloads_go_to_the_blob_store_and_stay_in_their_organization()
    {
        var (_, key) = await _client.SdkTenantAsync();
        var (_, otherKey) = await _client.SdkTenantAsync();
        var big = new string('y', 100_000);
        (await _client.IngestAsync(key, Event("big-1", "llm.call", 0, "blob-run", extra: new { model = "gpt-4o", input = big, output = "small" }))).Expect(202);
        var detail = await _client.WaitForRunAsync(key, "blob-run");
        var e = detail.GetProperty("timeline")[0].GetProperty("event");
        Assert.Equal(JsonValueKind.Null, e.GetProperty("input").ValueKind);
        Assert.Equal("small", e.GetProperty("output").GetString());
        var reference = e.GetProperty("input_ref").GetString()!;
        using var payload = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/api/v1/payloads/{reference}") { Headers = { Authorization = new("Bearer", key) } });
        Assert.Equal(big, await payload.Content.ReadAsStringAsync());
        (await _client.Get($"/api/v1/payloads/{reference}", otherKey)).ExpectProblem(404, "not_found");
        (await _client.Get("/api/v1/payloads/2026-01-01/..%2F..%2Fsecrets.txt", key)).Expect(404);
    }

    [Fact]
    public async Task A_single_run_can_be_sent_in_one_call_and_resent_safely()
    {
        var (_, key) = await _client.SdkTenantAsync();
        var body = new
        {
            run = new { id = "one-call", agent = "writer", name = "draft", started_at = At(0), ended_at = At(3), status = "completed", input = "brief", output = "draft v1" },
            events = new[] { new { id = "oc-llm", type = "llm.call", timestamp = At(1), model = "claude-3-5-haiku", tokens_in = 2000, tokens_out = 300 } },
        };
        (await _client.Post("/api/v1/ingest/run", body, key)).Expect(202);
        (await _client.Post("/api/v1/ingest/run", body, key)).Expect(202);
        var run = (await _client.WaitForRunAsync(key, "one-call", d => d.GetProperty("run").GetProperty("status").GetString() == "succeeded")).GetProperty("run");
        Assert.Equal(3, run.GetProperty("event_count").GetInt32());
        Assert.Equal(3000, run.GetProperty("duration_ms").GetInt64());
        // claude-3-5-haiku: 2000 × $0.80 + 300 × $4 per 1M = 1,600 + 1,200 µ$.
        Assert.Equal(2800, run.GetProperty("cost_micros").GetInt64());
        (await _client.Post("/api/v1/ingest/run", new { run = new { id = "x" } }, key)).ExpectProblem(422, "validation_failed");
    }

    [Fact]
    public async Task Runs_filter_sort_and_page_and_other_orgs_see_none_of_it()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        var (_, otherKey) = await _client.SdkTenantAsync();
        for (var i = 0; i < 5; i++)
            (await _client.IngestAsync(key,
                Event($"f{i}-s", "run.start", i * 10, $"filter-{i}", agent: i % 2 == 0 ? "even" : "odd", extra: new { name = $"job {i}", tags = new[] { i < 2 ? "early" : "late" }, input = i == 1 ? "refund for order 77" : null, metadata = i == 4 ? new { customer = "ACME-9" } : null }),
                Event($"f{i}-l", "llm.call", i * 10 + 1, $"filter-{i}", agent: i % 2 == 0 ? "even" : "odd", extra: new { model = "gpt-4o", tokens_in = 1000 * (i + 1) }),
                Event($"f{i}-e", "run.end", i * 10 + 2, $"filter-{i}", agent: i % 2 == 0 ? "even" : "odd", extra: new { status = i == 3 ? "failed" : "ok", error = i == 3 ? "quota exceeded" : null, output = i == 2 ? "shipped to Oslo" : null }))).Expect(202);
        await _client.WaitForRunAsync(key, "filter-4", d => d.GetProperty("run").GetProperty("status").GetString() != "running");
        await WaitForQueueToDrainAsync(tenant.OrgId);

        async Task<string[]> Ids(string query) => (await _client.Get("/api/v1/runs?" + query, key)).Expect(200).Body.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToArray();
        Assert.Equal(["filter-4", "filter-3", "filter-2", "filter-1", "filter-0"], await Ids(""));
        Assert.Equal(["filter-4", "filter-2", "filter-0"], await Ids("agent=even"));
        Assert.Equal(["filter-3"], await Ids("status=failed"));
        Assert.Equal(["filter-3"], await Ids("q=QUOTA"));
        // The search reaches the run's id, input, output and metadata too (a substring, case-insensitive; % and _ literal).
        Assert.Equal(["filter-1"], await Ids("q=ORDER%2077"));
        Assert.Equal(["filter-2"], await Ids("q=oslo"));
        Assert.Equal(["filter-4"], await Ids("q=acme-9"));
        Assert.Equal(["filter-0"], await Ids("q=filter-0"));
        Assert.Empty(await Ids("q=%25"));
        Assert.Equal(["filter-1", "filter-0"], await Ids("tag=early"));
        Assert.Equal(["filter-4", "filter-3"], await Ids("min_cost_usd=0.01"));
        Assert.Equal(["filter-0", "filter-1"], await Ids("sort=cost&order=asc&limit=2"));
        Assert.Equal(["filter-2", "filter-3"], await Ids($"from={Uri.EscapeDataString(At(20))}&to={Uri.EscapeDataString(At(40))}&order=asc"));

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = (await _client.Get($"/api/v1/runs?sort=cost&limit=2{(cursor is null ? "" : "&cursor=" + cursor)}", key)).Expect(200).Body;
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetString()!));
            cursor = page.GetProperty("next_cursor").GetString();
        } while (cursor is not null);
        Assert.Equal(["filter-4", "filter-3", "filter-2", "filter-1", "filter-0"], seen);
        (await _client.Get("/api/v1/runs?sort=name", key)).ExpectProblem(422, "validation_failed");
        (await _client.Get("/api/v1/runs?cursor=zzz", key)).ExpectProblem(422, "validation_failed");

        Assert.Empty((await _client.Get("/api/v1/runs", otherKey)).Expect(200).Body.GetProperty("items").EnumerateArray());
        (await _client.Get("/api/v1/runs/filter-1", otherKey)).ExpectProblem(404, "not_found");
        (await _client.Get("/api/v1/events/filter-1", otherKey)).ExpectProblem(404, "not_found");
        Assert.Empty((await _client.Get("/api/v1/agents", otherKey)).Expect(200).Body.GetProperty("items").EnumerateArray());

        var agents = (await _client.Get("/api/v1/agents", key)).Expect(200).Body.GetProperty("items").EnumerateArray().ToDictionary(a => a.GetProperty("name").GetString()!);
        var odd = agents["odd"].GetProperty("stats");
        Assert.Equal(2, odd.GetProperty("runs").GetInt64());
        Assert.Equal(1, odd.GetProperty("failed_runs").GetInt64());
        Assert.Equal(0.5, odd.GetProperty("error_rate").GetDouble());
        Assert.Equal(2000, odd.GetProperty("p95_latency_ms").GetInt64());
        (await _client.Get($"/api/v1/agents/{agents["odd"].GetProperty("id").GetGuid()}", otherKey)).ExpectProblem(404, "not_found");
    }

    [Fact]
    public async Task Run_ids_may_hold_slashes_and_the_list_leaves_payloads_out()
    {
        var (_, key) = await _client.SdkTenantAsync();
        (await _client.IngestAsync(key, Event("sl-1", "run.start", 0, "tenant/42/run", extra: new { input = "the question" }))).Expect(202);
        var run = (await _client.WaitForRunAsync(key, "tenant/42/run")).GetProperty("run");
        Assert.Equal("the question", run.GetProperty("input").GetString());
        Assert.Single((await _client.Get("/api/v1/events/tenant/42/run", key)).Expect(200).Body.GetProperty("items").EnumerateArray());
        var listed = (await _client.Get("/api/v1/runs", key)).Expect(200).Body.GetProperty("items")[0];
        Assert.Equal(System.Text.Json.JsonValueKind.Null, listed.GetProperty("input").ValueKind);
    }
}
