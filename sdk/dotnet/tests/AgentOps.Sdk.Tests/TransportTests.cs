using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace AgentOps.Sdk.Tests;

/// <summary>The transport promises of sdk/README.md against an in-process fake ingest server.</summary>
public sealed class TransportTests
{
    [Fact]
    public async Task Events_are_batched_by_count_and_every_id_arrives_once()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClient.Create(server.Url, o => { o.BatchMaxEvents = 10; o.FlushInterval = TimeSpan.FromSeconds(30); });
        using (var run = client.StartRun("batched"))
            for (var i = 0; i < 29; i++) client.Log($"line {i}");
        // 31 events: three full batches go without waiting for the (30 s) interval; the last one on flush.
        await TestClient.Eventually(() => server.IngestIds.Count >= 30, because: "three full batches");
        Assert.All(server.Requests, r => Assert.Equal(10, r.Ids.Length));
        var result = await client.FlushAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, result.Unsent);
        var ids = server.IngestIds;
        Assert.Equal(31, ids.Count);
        Assert.Equal(31, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
        Assert.Equal("Bearer aok_test", server.Requests.First().Authorization);
        Assert.Equal(31, client.Stats().Sent);
    }

    [Fact]
    public async Task A_partial_batch_goes_after_the_flush_interval()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClient.Create(server.Url, o => o.FlushInterval = TimeSpan.FromMilliseconds(200));
        var run = client.StartRun("timed");
        client.Log("one");
        await TestClient.Eventually(() => server.IngestIds.Count == 2, TimeSpan.FromSeconds(3), "the interval flush");
        run.End();
    }

    [Fact]
    public async Task Batches_are_cut_by_bytes_and_large_bodies_are_gzipped()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClient.Create(server.Url, o => o.BatchMaxBytes = 8 * 1024);
        using (client.StartRun("bytes"))
            for (var i = 0; i < 20; i++) client.RecordToolCall("fetch", input: new string('x', 1000), output: "ok");
        Assert.Equal(0, (await client.FlushAsync(TimeSpan.FromSeconds(5))).Unsent);
        var batches = server.Requests.Where(r => r.Path == "/api/v1/ingest").ToList();
        Assert.True(batches.Count >= 3, $"{batches.Count} batches");
        Assert.All(batches, b => Assert.True(b.Body.Length <= 8 * 1024, $"{b.Body.Length} bytes"));
        Assert.All(batches.Where(b => b.Body.Length > 1024), b => Assert.Equal("gzip", b.ContentEncoding));
        Assert.Equal(22, server.IngestIds.Distinct().Count());
    }

    [Fact]
    public async Task A_server_that_refuses_gzip_gets_plain_bodies()
    {
        await using var server = await FakeServer.StartAsync(async (r, ctx) =>
        {
            if (r.ContentEncoding == "gzip")
            {
                ctx.Response.StatusCode = 415;
                await ctx.Response.WriteAsJsonAsync(new { code = "unsupported_content_encoding" });
                return;
            }
            await FakeServer.AcceptAll(r, ctx);
        });
        await using var client = TestClient.Create(server.Url);
        using (client.StartRun("plain"))
            for (var i = 0; i < 30; i++) client.Log(new string('y', 100));
        Assert.Equal(0, (await client.FlushAsync(TimeSpan.FromSeconds(5))).Unsent);
        Assert.Equal(32, client.Stats().Sent);
        Assert.Equal(0, client.Stats().DroppedRejected);
    }

    [Fact]
    public async Task Retries_honour_Retry_After_and_resend_the_same_ids()
    {
        var calls = 0;
        var times = new List<long>();
        await using var server = await FakeServer.StartAsync(async (r, ctx) =>
        {
            times.Add(Stopwatch.GetTimestamp());
            switch (Interlocked.Increment(ref calls))
            {
                case 1:
                    ctx.Response.StatusCode = 429;
                    ctx.Response.Headers.RetryAfter = "1";
                    await ctx.Response.WriteAsJsonAsync(new { code = "rate_limited" });
                    return;
                case 2:
                    ctx.Response.StatusCode = 503;
                    return;
                default:
                    await FakeServer.AcceptAll(r, ctx);
                    return;
            }
        });
        await using var client = TestClient.Create(server.Url);
        using (client.StartRun("retried")) client.Log("x");
        var flush = await client.FlushAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, flush.Unsent);
        Assert.Equal(3, calls);
        Assert.True(Stopwatch.GetElapsedTime(times[0], times[1]) >= TimeSpan.FromMilliseconds(950), "Retry-After: 1 was honoured");
        var batches = server.Requests.Select(r => string.Join(",", r.Ids.Order())).Distinct().ToList();
        Assert.Single(batches); // the same ids every time
        Assert.Equal(2, client.Stats().Retries);
        Assert.Equal(3, client.Stats().Sent);
    }

    [Fact]
    public async Task Backoff_is_full_jitter_capped_and_never_below_Retry_After()
    {
        await using var client = TestClient.Create(TestClient.Unreachable(), o => { o.RetryBase = TimeSpan.FromMilliseconds(500); o.RetryCap = TimeSpan.FromSeconds(30); });
        for (var attempt = 1; attempt < 20; attempt++)
        {
            var d = client.Backoff(attempt, null);
            Assert.InRange(d.TotalMilliseconds, 0, Math.Min(30_000, 500 * Math.Pow(2, attempt - 1)));
        }
        Assert.True(client.Backoff(1, TimeSpan.FromSeconds(7)) >= TimeSpan.FromSeconds(7));
    }

    [Theory]
    [InlineData(false, "{\"results\":[{\"index\":0,\"status\":1}]}")]
    [InlineData(true, "{\"results\":[{\"index\":0,\"status\":1}]}")]
    [InlineData(false, "{\"results\":[\"x\"]}")]
    [InlineData(true, "{\"results\":[\"x\"]}")]
    [InlineData(true, "[1]")]
    [InlineData(true, "{nope")]
    public async Task A_malformed_207_counts_the_batch_as_sent_once_and_never_throws(bool sync, string body)
    {
        await using var server = await FakeServer.StartAsync(async (r, ctx) =>
        {
            ctx.Response.StatusCode = 207;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(body);
        });
        await using var client = TestClient.Create(server.Url, o => o.Sync = sync);
        client.StartRun("malformed");
        Assert.Equal(0, (await client.FlushAsync(TimeSpan.FromSeconds(5))).Unsent);
        Assert.Equal(1, client.Stats().Sent);
        Assert.Equal(0, client.Stats().DroppedRejected);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Items_refused_in_a_207_are_counted_per_code_and_not_resent()
    {
        await using var server = await FakeServer.StartAsync(async (r, ctx) =>
        {
            var ids = r.Ids;
            ctx.Response.StatusCode = 207;
            await ctx.Response.WriteAsJsonAsync(new
            {
                accepted = ids.Length - 1,
                rejected = 1,
                results = ids.Select((id, i) => i == 0
                    ? (object)new { index = i, id, status = "rejected", code = "invalid_value", message = "bad" }
                    : new { index = i, id, status = "accepted" }).ToArray(),
            });
        });
        await using var client = TestClient.Create(server.Url);
        using (client.StartRun("partial")) client.Log("a");
        Assert.Equal(0, (await client.FlushAsync(TimeSpan.FromSeconds(5))).Unsent);
        var stats = client.Stats();
        Assert.Equal(1, stats.DroppedRejected);
        Assert.Equal(1, stats.RejectedByCode["invalid_value"]);
        Assert.Equal(2, stats.Sent);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_batch_refused_with_a_4xx_is_dropped_and_counted()
    {
        await using var server = await FakeServer.StartAsync(async (_, ctx) =>
        {
            ctx.Response.StatusCode = 422;
            await ctx.Response.WriteAsJsonAsync(new { code = "empty_batch" });
        });
        await using var client = TestClient.Create(server.Url);
        using (client.StartRun("refused")) client.Log("a");
        Assert.Equal(0, (await client.FlushAsync(TimeSpan.FromSeconds(5))).Unsent);
        Assert.Equal(3, client.Stats().DroppedRejected);
        Assert.Equal(3, client.Stats().RejectedByCode["empty_batch"]);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_batch_refused_as_too_large_is_split_and_sent_again()
    {
        await using var server = await FakeServer.StartAsync(async (r, ctx) =>
        {
            if (r.Path == "/api/v1/ingest" && r.Ids.Length > 2)
            {
                ctx.Response.StatusCode = 413;
                await ctx.Response.WriteAsJsonAsync(new { code = "batch_too_large" });
                return;
            }
            await FakeServer.AcceptAll(r, ctx);
        });
        await using var client = TestClient.Create(server.Url);
        using (var run = client.StartRun("big"))
            for (var i = 0; i < 6; i++) client.Log("line " + i);
        Assert.Equal(0, (await client.FlushAsync(TimeSpan.FromSeconds(5))).Unsent);
        Assert.Equal(8, server.IngestIds.Distinct().Count());
        Assert.Equal(0, client.Stats().DroppedRejected);
        Assert.Equal(8, client.Stats().Sent);
    }

    [Fact]
    public async Task A_policy_check_the_server_cannot_answer_is_the_fallback_decision()
    {
        await using (var client = TestClient.Create(TestClient.Unreachable()))
        {
            using var run = client.StartRun("fallback");
            var decision = await client.CheckPolicyAsync(new { type = "refund" });
            Assert.Equal(Decision.Block, decision.Decision);
            Assert.Equal("check_failed", decision.Reason);
            Assert.False(decision.FromServer);
        }
        await using (var client = TestClient.Create(TestClient.Unreachable(), o => o.PolicyFallback = Decision.Allow))
        {
            using var run = client.StartRun("fallback");
            var decision = await client.CheckPolicyAsync(new { type = "refund" });
            Assert.Equal(Decision.Allow, decision.Decision);
            Assert.False(decision.FromServer);
        }
        await using (var strict = TestClient.Create(TestClient.Unreachable(), o => o.Strict = true))
        {
            using var run = strict.StartRun("fallback");
            await Assert.ThrowsAsync<AgentOpsException>(() => strict.CheckPolicyAsync(new { type = "refund" }));
        }
        await using var server = await FakeServer.StartAsync(async (r, ctx) =>
        {
            ctx.Response.StatusCode = 500;
            await ctx.Response.WriteAsJsonAsync(new { code = "internal" });
        });
        await using var answered = TestClient.Create(server.Url);
        using (answered.StartRun("fallback"))
        {
            var decision = await answered.CheckPolicyAsync(new { type = "refund" });
            Assert.Equal(("check_failed", "internal", false), (decision.Reason, decision.ProblemCode, decision.FromServer));
        }
        await using var unconfigured = new AgentOpsClient(new AgentOpsOptions { Endpoint = null, ApiKey = "", FlushOnExit = false });
        if (unconfigured.Options.Endpoint is not null && !string.IsNullOrEmpty(unconfigured.Options.ApiKey)) return; // AGENTOPS_URL and _API_KEY set here
        var none = await unconfigured.CheckPolicyAsync(new { type = "refund" });
        Assert.Equal(("not_configured", Decision.Block, false), (none.Reason, none.Decision, none.FromServer));
    }

    [Fact]
    public async Task An_old_server_is_asked_again_without_the_step_and_the_kill_switch_is_a_paused_signal()
    {
        await using var server = await FakeServer.StartAsync(async (r, ctx) =>
        {
            if (r.Path != "/api/v1/policy/check") { await FakeServer.AcceptAll(r, ctx); return; }
            if (r.Json.TryGetProperty("step", out _))
            {
                ctx.Response.StatusCode = 400;
                await ctx.Response.WriteAsJsonAsync(new { code = "unknown_field" });
                return;
            }
            var killed = r.Json.GetProperty("action").GetProperty("type").GetString() == "kill";
            await ctx.Response.WriteAsJsonAsync(killed
                ? new { decision = "block", reason = "org_killed", matched = Array.Empty<string>() }
                : new { decision = "allow", reason = "no_rule_matched", matched = Array.Empty<string>() });
        });
        await using var client = TestClient.Create(server.Url);
        using var run = client.StartRun("old server");
        var decision = await client.CheckPolicyAsync(new { type = "x" }, step: "s1");
        Assert.Equal((Decision.Allow, true), (decision.Decision, decision.FromServer));
        var checks = server.Requests.Where(r => r.Path == "/api/v1/policy/check").ToList();
        Assert.Equal(2, checks.Count);
        Assert.False(checks[1].Json.TryGetProperty("step", out _));
        await Assert.ThrowsAsync<AgentPausedException>(() => client.CheckPolicyAsync(new { type = "kill" }));
        Assert.True(client.IsPaused());
    }

    [Fact]
    public async Task RunAsync_ends_the_run_failed_when_an_exception_escapes()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClient.Create(server.Url);
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            client.RunAsync("boom", _ => throw new InvalidOperationException("no")));
        Assert.Equal(42, await client.RunAsync("fine", _ => Task.FromResult(42)));
        await client.FlushAsync(TimeSpan.FromSeconds(5));
        var ends = server.Requests.Where(r => r.Path == "/api/v1/ingest")
            .SelectMany(r => r.Json.GetProperty("batch").EnumerateArray())
            .Where(e => e.GetProperty("type").GetString() == "run.end")
            .Select(e => e.GetProperty("status").GetString()).ToList();
        Assert.Equal(["failed", "succeeded"], ends);
    }

    [Fact]
    public async Task A_full_queue_drops_the_newest_and_counts_them()
    {
        await using var client = TestClient.Create(TestClient.Unreachable(), o => o.MaxQueueEvents = 50);
        var run = client.StartRun("full");
        for (var i = 0; i < 99; i++) client.Log($"n{i}");
        var stats = client.Stats();
        Assert.Equal(50, stats.Queued);
        Assert.Equal(50, stats.DroppedQueueFull);
    }

    [Fact]
    public async Task Flush_returns_within_its_timeout_when_the_server_never_answers()
    {
        var hang = new TaskCompletionSource();
        await using var server = await FakeServer.StartAsync(async (_, ctx) => await Task.WhenAny(hang.Task, Task.Delay(TimeSpan.FromSeconds(60), ctx.RequestAborted)));
        var client = TestClient.Create(server.Url);
        using (client.StartRun("hanging")) client.Log("x");
        var sw = Stopwatch.StartNew();
        var result = await client.FlushAsync(TimeSpan.FromMilliseconds(800));
        Assert.InRange(sw.Elapsed.TotalMilliseconds, 700, 2500); // slack for a loaded machine; the server would hold it 60 s
        Assert.Equal(3, result.Unsent);
        Assert.True(result.TimedOut);
        hang.SetResult();
        await client.FlushAsync(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Recording_never_throws_nor_blocks_when_the_server_is_down()
    {
        await using var client = TestClient.Create(TestClient.Unreachable());
        var sw = Stopwatch.StartNew();
        using (client.StartRun("down"))
            for (var i = 0; i < 1000; i++) client.RecordLlmCall("gpt-4o", "openai", 10, 5, 0, TimeSpan.FromMilliseconds(10));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), sw.Elapsed.ToString());
        var result = await client.FlushAsync(TimeSpan.FromMilliseconds(300));
        Assert.Equal(1002, result.Unsent);
        Assert.True(client.Stats().Retries >= 1);
    }

    [Fact]
    public async Task Sync_mode_sends_before_the_run_ends_and_has_no_worker()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClient.Create(server.Url, o => { o.Sync = true; o.FlushInterval = TimeSpan.FromMilliseconds(10); });
        var run = client.StartRun("sync");
        client.RecordLlmCall("gpt-4o", "openai", 10, 5, 0, TimeSpan.FromMilliseconds(120));
        await Task.Delay(200);
        Assert.Empty(server.Requests); // nothing in the background
        run.End();
        Assert.Equal(3, server.IngestIds.Count);
        var again = client.StartRun("sync async");
        await again.EndAsync("failed", error: "boom");
        Assert.Equal(5, server.IngestIds.Count);
    }

    [Fact]
    public async Task Events_carry_the_ingest_fields()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClient.Create(server.Url, o => o.Environment = "test");
        using (var run = client.StartRun("fields", input: new { question = "q" }, tags: ["a"]))
        {
            using (var span = client.StartSpan("plan")) span.SetTag("step", 1);
            client.RecordLlmCall("gpt-4o-mini", "openai", 1200, 300, 200, TimeSpan.FromMilliseconds(850), TimeSpan.FromMilliseconds(90), costUsd: 0.01);
            client.RecordToolCall("search", new { q = 1 }, "found", TimeSpan.FromMilliseconds(42));
            client.RecordExternalAction("send_email", new { to = "x" });
            client.RecordError(new InvalidOperationException("bad"));
            client.RecordScore("helpfulness", 0.8);
            client.Log(new string('L', 300));
            run.End("failed", output: "done", error: "it failed");
        }
        await client.FlushAsync(TimeSpan.FromSeconds(5));
        var events = server.Requests.SelectMany(r => r.Json.GetProperty("batch").EnumerateArray()).ToDictionary(e => e.GetProperty("type").GetString()!);
        Assert.Equal("fields", events["run.start"].GetProperty("name").GetString());
        Assert.Equal("test", events["run.start"].GetProperty("environment").GetString());
        Assert.Equal("plan", events["span"].GetProperty("name").GetString());
        Assert.Equal(1, events["span"].GetProperty("metadata").GetProperty("step").GetInt32());
        Assert.True(events["span"].TryGetProperty("ended_at", out _));
        Assert.False(events["span"].TryGetProperty("parent_id", out _));
        var llm = events["llm.call"];
        Assert.Equal(1200, llm.GetProperty("tokens_in").GetInt64());
        Assert.Equal(200, llm.GetProperty("tokens_cached").GetInt64());
        Assert.Equal(850, llm.GetProperty("latency_ms").GetInt64());
        Assert.Equal(0.01, llm.GetProperty("cost_usd").GetDouble());
        var meta = llm.GetProperty("metadata");
        Assert.Equal("chat", meta.GetProperty("gen_ai.operation.name").GetString());
        Assert.Equal("openai", meta.GetProperty("gen_ai.provider.name").GetString());
        Assert.Equal("gpt-4o-mini", meta.GetProperty("gen_ai.request.model").GetString());
        Assert.Equal(1200, meta.GetProperty("gen_ai.usage.input_tokens").GetInt64());
        Assert.Equal(300, meta.GetProperty("gen_ai.usage.output_tokens").GetInt64());
        Assert.Equal(200, meta.GetProperty("gen_ai.usage.cache_read.input_tokens").GetInt64());
        Assert.Equal(0.09, meta.GetProperty("gen_ai.response.time_to_first_chunk").GetDouble(), 3);
        Assert.Equal("search", events["tool.call"].GetProperty("tool_name").GetString());
        Assert.Equal("InvalidOperationException: bad", events["error"].GetProperty("error").GetString());
        Assert.Equal("InvalidOperationException", events["error"].GetProperty("name").GetString());
        Assert.Equal("InvalidOperationException", events["error"].GetProperty("metadata").GetProperty("exception.type").GetString());
        Assert.Equal("info", events["log"].GetProperty("metadata").GetProperty("level").GetString());
        Assert.Equal(0.8, events["score"].GetProperty("score").GetDouble());
        Assert.Equal(256, events["log"].GetProperty("name").GetString()!.Length);
        Assert.Equal(300, events["log"].GetProperty("output").GetString()!.Length);
        Assert.Equal("failed", events["run.end"].GetProperty("status").GetString());
        var runId = events["run.start"].GetProperty("run_id").GetString();
        Assert.All(events.Values, e => Assert.Equal(runId, e.GetProperty("run_id").GetString()));
        Assert.All(events.Values, e => Assert.Equal("unit-agent", e.GetProperty("agent").GetString()));
    }

    [Fact]
    public async Task Recording_outside_a_run_is_dropped_and_counted_or_thrown_in_strict_mode()
    {
        await using var lenient = TestClient.Create(TestClient.Unreachable());
        lenient.Log("nowhere");
        Assert.Equal(1, lenient.Stats().DroppedInvalid);
        await using var strict = TestClient.Create(TestClient.Unreachable(), o => o.Strict = true);
        Assert.Throws<AgentOpsException>(() => strict.Log("nowhere"));
    }

    [Fact]
    public async Task Unconfigured_clients_are_disabled_and_strict_ones_refuse_to_start()
    {
        var warnings = new List<string>();
        await using var client = new AgentOpsClient(new AgentOpsOptions { Endpoint = null, ApiKey = "", FlushOnExit = false, Logger = warnings.Add });
        if (client.Options.Endpoint is not null) return; // AGENTOPS_URL is set in this environment
        using (client.StartRun("nowhere")) client.Log("x");
        Assert.Equal(0, (await client.FlushAsync(TimeSpan.FromMilliseconds(200))).Unsent);
        Assert.Equal(0, client.Stats().Queued);
        Assert.Contains(warnings, w => w.Contains("not configured", StringComparison.Ordinal));
        Assert.Throws<AgentOpsException>(() => new AgentOpsClient(new AgentOpsOptions { Strict = true, ApiKey = "", FlushOnExit = false }));
    }

    [Fact]
    public async Task A_paused_agent_stops_sending_is_reported_once_and_probed_again()
    {
        var paused = true;
        await using var server = await FakeServer.StartAsync(async (r, ctx) =>
        {
            if (r.Path.StartsWith("/api/v1/policy/check", StringComparison.Ordinal))
            {
                await ctx.Response.WriteAsJsonAsync(paused
                    ? new { decision = "block", reason = "agent_paused", check_id = "c1" }
                    : new { decision = "allow", reason = "no_rule_matched", check_id = "c2" });
                return;
            }
            var ids = r.Ids;
            if (!paused) { await FakeServer.AcceptAll(r, ctx); return; }
            ctx.Response.StatusCode = 207;
            await ctx.Response.WriteAsJsonAsync(new
            {
                accepted = 0, rejected = ids.Length,
                results = ids.Select((id, i) => new { index = i, id, status = "rejected", code = "agent_paused" }).ToArray(),
            });
        });
        var calls = new List<string>();
        await using var client = TestClient.Create(server.Url, o => { o.OnPaused = calls.Add; o.PausedProbeInterval = TimeSpan.FromMilliseconds(500); });
        var run = client.StartRun("paused");
        client.Log("refused");
        await client.FlushAsync(TimeSpan.FromSeconds(5));
        Assert.True(client.IsPaused("unit-agent"));
        Assert.Equal(["unit-agent"], calls);
        Assert.Equal(2, client.Stats().RejectedByCode["agent_paused"]);
        client.Log("dropped");
        client.Log("dropped too");
        Assert.Equal(2, client.Stats().DroppedPaused);
        Assert.Equal(0, (await client.FlushAsync(TimeSpan.FromSeconds(1))).Unsent);
        await Assert.ThrowsAsync<AgentPausedException>(() => client.CheckPolicyAsync(new { type = "x" }));
        Assert.Single(calls); // once

        // Resumed: after the probe interval the next batch goes again, and its acceptance clears the state.
        paused = false;
        await Task.Delay(600);
        client.Log("probe");
        await client.FlushAsync(TimeSpan.FromSeconds(5));
        Assert.False(client.IsPaused());
        client.Log("flowing");
        await client.FlushAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2, client.Stats().Sent);
        run.End();
    }

    [Fact]
    public async Task Strict_mode_throws_the_paused_signal_from_recording()
    {
        await using var server = await FakeServer.StartAsync(async (_, ctx) =>
            await ctx.Response.WriteAsJsonAsync(new { decision = "block", reason = "agent_paused" }));
        await using var client = TestClient.Create(server.Url, o => o.Strict = true);
        using var run = client.StartRun("strict");
        await Assert.ThrowsAsync<AgentPausedException>(() => client.CheckPolicyAsync(new { type = "x" }));
        Assert.True(client.IsPaused());
        Assert.Throws<AgentPausedException>(() => client.Log("no"));
        Assert.Throws<AgentPausedException>(() => client.StartRun("refused"));
        Assert.Same(run.Activity, Activity.Current); // the refused run left the context alone
    }

    [Fact]
    public async Task A_policy_check_sends_the_run_step_and_action_and_reads_the_evidence()
    {
        var waitCalls = 0;
        await using var server = await FakeServer.StartAsync(async (r, ctx) =>
        {
            if (r.Path.Contains("/wait", StringComparison.Ordinal))
            {
                await ctx.Response.WriteAsJsonAsync(new { id = "ap1", status = Interlocked.Increment(ref waitCalls) <= 2 ? "pending" : "approved" });
                return;
            }
            await ctx.Response.WriteAsJsonAsync(new
            {
                decision = "require_approval", reason = "rule_matched",
                policy = new { id = "p1", name = "Refunds", version = 3 }, matched = new[] { "p1" },
                approval = new { id = "ap1", status = "pending", expires_at = "2030-01-01T00:00:00Z", wait_url = "/api/v1/approvals/ap1/wait" },
                check_id = "c1",
            });
        });
        await using var client = TestClient.Create(server.Url);
        using var run = client.StartRun("policy");
        var decision = await client.CheckPolicyAsync(new { type = "refund", amount = 120 }, step: "refund-1", context: new Dictionary<string, object> { ["customer"] = "acme" });
        Assert.Equal(Decision.RequireApproval, decision.Decision);
        Assert.Equal("rule_matched", decision.Reason);
        Assert.Equal(new PolicyRef("p1", "Refunds", 3), decision.Policy);
        Assert.Equal(["p1"], decision.Matched);
        Assert.Equal("ap1", decision.Approval!.Id);
        Assert.Equal("c1", decision.CheckId);
        var sent = server.Requests.First(r => r.Path == "/api/v1/policy/check").Json;
        Assert.Equal(run.Id, sent.GetProperty("run_id").GetString());
        Assert.Equal("unit-agent", sent.GetProperty("agent").GetString());
        Assert.Equal("refund-1", sent.GetProperty("step").GetString());
        Assert.Equal(120, sent.GetProperty("action").GetProperty("amount").GetInt32());
        Assert.Equal("acme", sent.GetProperty("context").GetProperty("customer").GetString());

        Assert.Equal(ApprovalStatus.Approved, await decision.WaitForApprovalAsync(TimeSpan.FromSeconds(30)));
        var polls = server.Requests.Where(r => r.Path.Contains("/wait", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, polls.Count);
        Assert.All(polls, p => Assert.Matches(@"timeout_s=([1-9]|[1-5][0-9]|60)$", p.Path));
    }

    [Fact]
    public async Task Waiting_for_approval_times_out_as_pending_and_can_be_cancelled()
    {
        await using var server = await FakeServer.StartAsync(async (r, ctx) =>
        {
            await Task.Delay(300);
            await ctx.Response.WriteAsJsonAsync(new { id = "ap", status = "pending" });
        });
        await using var client = TestClient.Create(server.Url);
        var sw = Stopwatch.StartNew();
        Assert.Equal(ApprovalStatus.Pending, await client.WaitForApprovalAsync("ap", TimeSpan.FromSeconds(1)));
        Assert.InRange(sw.Elapsed.TotalSeconds, 0.9, 4);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.WaitForApprovalAsync("ap", TimeSpan.FromSeconds(30), cts.Token));
    }

    [Fact]
    public async Task An_approval_poll_answered_at_once_waits_out_a_minimum_interval_and_stays_cancellable()
    {
        await using var server = await FakeServer.StartAsync((r, ctx) => ctx.Response.WriteAsJsonAsync(new { id = "ap", status = "pending" }));
        await using var client = TestClient.Create(server.Url);
        var sw = Stopwatch.StartNew();
        Assert.Equal(ApprovalStatus.Pending, await client.WaitForApprovalAsync("ap", TimeSpan.FromSeconds(2.5)));
        Assert.InRange(sw.Elapsed.TotalSeconds, 2.3, 3.5);
        Assert.InRange(server.Requests.Count, 1, 4);
        server.Requests.Clear();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        sw.Restart();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.WaitForApprovalAsync("ap", TimeSpan.FromSeconds(60), cts.Token));
        Assert.InRange(sw.Elapsed.TotalMilliseconds, 200, 800);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Unsent_never_reads_below_what_the_server_has_not_received_while_batches_are_taken()
    {
        // An event is either queued or in flight while it is moved: Unsent (what FlushAsync reports) must never miss it.
        var received = 0;
        await using var server = await FakeServer.StartAsync(async (r, ctx) =>
        {
            Interlocked.Add(ref received, r.Ids.Length);
            await FakeServer.AcceptAll(r, ctx);
        });
        const int total = 20_000;
        await using var client = TestClient.Create(server.Url, o => { o.MaxQueueEvents = total; o.BatchMaxEvents = 1000; o.FlushInterval = TimeSpan.FromMinutes(5); });
        var unsent = typeof(AgentOpsClient).GetProperty("Unsent", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)!;
        var read = (Func<int>)Delegate.CreateDelegate(typeof(Func<int>), client, unsent.GetGetMethod(nonPublic: true)!);
        var run = client.StartRun("unsent");
        for (var i = 0; i < total - 1; i++) client.Log("m");
        var lowest = int.MaxValue;
        using var done = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            while (!done.IsSet)
            {
                var u = read();
                var missing = u + Volatile.Read(ref received) - total;
                if (missing < lowest) lowest = missing;
            }
        });
        reader.Start();
        var result = await client.FlushAsync(TimeSpan.FromSeconds(20));
        done.Set();
        reader.Join();
        Assert.Equal(0, result.Unsent);
        Assert.True(lowest >= 0, $"Unsent missed {-lowest} event(s) not yet received by the server");
        run.End();
    }

    [Fact]
    public async Task An_approval_wait_never_overruns_its_timeout_by_a_rounded_up_poll()
    {
        // The server holds each poll for its full timeout_s, as the real one does while pending.
        await using var server = await FakeServer.StartAsync(async (r, ctx) =>
        {
            var seconds = int.Parse(ctx.Request.Query["timeout_s"].ToString(), CultureInfo.InvariantCulture);
            try { await Task.Delay(TimeSpan.FromSeconds(seconds), ctx.RequestAborted); }
            catch (OperationCanceledException) { return; }
            await ctx.Response.WriteAsJsonAsync(new { id = "ap", status = "pending" });
        });
        await using var client = TestClient.Create(server.Url);
        var sw = Stopwatch.StartNew();
        Assert.Equal(ApprovalStatus.Pending, await client.WaitForApprovalAsync("ap", TimeSpan.FromSeconds(1.5)));
        Assert.InRange(sw.Elapsed.TotalSeconds, 1.4, 1.85);
        Assert.EndsWith("timeout_s=1", server.Requests.First().Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sync_mode_flush_returns_within_its_timeout_and_keeps_the_batch_for_later()
    {
        var answer = false;
        await using var server = await FakeServer.StartAsync(async (r, ctx) =>
        {
            if (!answer) await Task.Delay(TimeSpan.FromSeconds(30), ctx.RequestAborted);
            await FakeServer.AcceptAll(r, ctx);
        });
        await using var client = TestClient.Create(server.Url, o => o.Sync = true);
        var run = client.StartRun("sync slow");
        client.Log("x");
        var sw = Stopwatch.StartNew();
        var first = await client.FlushAsync(TimeSpan.FromMilliseconds(500));
        Assert.InRange(sw.Elapsed.TotalMilliseconds, 400, 2500);
        Assert.Equal(2, first.Unsent);
        answer = true;
        var second = await client.FlushAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, second.Unsent);
        Assert.Equal(2, server.IngestIds.Distinct().Count());
        run.End();
    }

    [Fact]
    public async Task Llm_and_tool_calls_are_stamped_with_their_start()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClient.Create(server.Url);
        var before = DateTimeOffset.UtcNow;
        using (client.StartRun("stamps"))
            client.RecordLlmCall("m", "openai", 1, 1, 0, TimeSpan.FromSeconds(10));
        await client.FlushAsync(TimeSpan.FromSeconds(5));
        var llm = server.Requests.SelectMany(r => r.Json.GetProperty("batch").EnumerateArray()).Single(e => e.GetProperty("type").GetString() == "llm.call");
        var stamp = DateTimeOffset.Parse(llm.GetProperty("timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(stamp, before.AddSeconds(-11), before.AddSeconds(-9));
    }

    [Fact]
    public async Task The_bound_counts_the_batch_waiting_for_its_answer()
    {
        await using var client = TestClient.Create(TestClient.Unreachable(), o => { o.MaxQueueEvents = 100; o.BatchMaxEvents = 40; });
        var run = client.StartRun("bounded");
        for (var i = 0; i < 60; i++) client.Log($"a{i}");
        await TestClient.Eventually(() => client.Stats().Retries > 0, because: "a batch in flight");
        for (var i = 0; i < 100; i++) client.Log($"b{i}");
        var stats = client.Stats();
        Assert.Equal(100, stats.Queued);
        Assert.Equal(61, stats.DroppedQueueFull);
    }

    [Fact]
    public async Task The_process_exit_flush_sends_what_is_queued()
    {
        await using var server = await FakeServer.StartAsync();
        var probe = Path.Combine(AppContext.BaseDirectory, "AgentOps.Sdk.Bench.dll");
        using var process = Process.Start(new ProcessStartInfo("dotnet", ["exec", probe, "--exit-probe", server.Url.ToString()])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, process.ExitCode);
        Assert.Equal(2, server.IngestIds.Count); // run.start and run.end, sent by the ProcessExit flush
    }

    [Fact]
    public async Task Invalid_records_are_dropped_and_counted_or_thrown_in_strict_mode()
    {
        await using var lenient = TestClient.Create(TestClient.Unreachable());
        using (lenient.StartRun("invalid"))
        {
            lenient.RecordLlmCall("");
            lenient.RecordToolCall(null!);
            lenient.RecordScore("nan", double.NaN);
            lenient.Log(null!);
        }
        Assert.Equal(4, lenient.Stats().DroppedInvalid);
        Assert.Equal(2, lenient.Stats().Queued); // the run's start and end only

        await using var strict = TestClient.Create(TestClient.Unreachable(), o => o.Strict = true);
        using var run = strict.StartRun("strict invalid");
        Assert.Throws<AgentOpsException>(() => strict.RecordLlmCall(""));
        Assert.Throws<AgentOpsException>(() => strict.RecordScore("inf", double.PositiveInfinity));
    }

    [Fact]
    public async Task An_endpoint_with_a_path_prefix_keeps_it()
    {
        await using var server = await FakeServer.StartAsync(async (r, ctx) =>
        {
            if (r.Path.StartsWith("/agentops/api/v1/policy/check", StringComparison.Ordinal))
                await ctx.Response.WriteAsJsonAsync(new { decision = "allow", reason = "no_rule_matched" });
            else await FakeServer.AcceptAll(r with { Path = r.Path.Replace("/agentops", "", StringComparison.Ordinal) }, ctx);
        });
        await using var client = TestClient.Create(new Uri(server.Url, "/agentops"));
        using (client.StartRun("prefixed")) { }
        await client.CheckPolicyAsync(new { type = "x" });
        await client.FlushAsync(TimeSpan.FromSeconds(5));
        Assert.Contains(server.Requests, r => r.Path == "/agentops/api/v1/ingest");
        Assert.Contains(server.Requests, r => r.Path == "/agentops/api/v1/policy/check");
    }
}
