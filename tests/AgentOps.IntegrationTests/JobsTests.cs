using System.Text.Json;
using AgentOps.Jobs;
using AgentOps.Platform.Database;
using AgentOps.Platform;
using AgentOps.Platform.Http;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Orchestrations.Jobs;
using Microsoft.AspNetCore.TestHost;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using static AgentOps.IntegrationTests.Infrastructure.Ingesting;

namespace AgentOps.IntegrationTests;

[Collection(ApiCollection.Name)]
public class JobsTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    /// <summary>A tenant with n events stored (several types), ready to be counted.</summary>
    private async Task<(Tenant Tenant, string Key, Dictionary<string, long> Types)> TenantWithEventsAsync(int n)
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        string[] types = ["log", "llm.call", "tool.call", "error"];
        var events = Enumerable.Range(0, n).Select(i => Event($"e-{i:D4}", types[i % 4], i, $"run-{i % 5}", extra: types[i % 4] switch
        {
            "llm.call" => new { model = "gpt-4o", tokens_in = 1000, tokens_out = 100 },
            "tool.call" => (object)new { tool_name = "search" },
            _ => null,
        })).ToArray();
        foreach (var chunk in events.Chunk(100)) (await _client.IngestAsync(key, chunk)).Expect(202);
        for (var deadline = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < deadline; await Task.Delay(100))
            if (await TestDatabase.ScalarAsync<long>(TestDatabase.AdminUrl, "SELECT count(*) FROM events WHERE org_id = $1", tenant.OrgId) == n) break;
        return (tenant, key, events.GroupBy(_ => 0).SelectMany(_ => types).Distinct().ToDictionary(t => t, t => (long)Enumerable.Range(0, n).Count(i => types[i % 4] == t)));
    }

    [Fact]
    public async Task The_kinds_defaults_and_limits_a_job_form_offers_come_from_the_server_and_match_what_it_checks()
    {
        var tenant = await _client.SignupAsync();
        var body = (await _client.Get("/api/v1/jobs/kinds", tenant.AdminToken)).Expect(200).Body;
        // The shipped kinds first, by name; then any other kind this host registers.
        Assert.Equal(["clickhouse_export", "custom", "reindex"], body.GetProperty("kinds").EnumerateArray().Take(3).Select(k => k.GetProperty("kind").GetString()));
        var kinds = body.GetProperty("kinds").EnumerateArray().ToDictionary(k => k.GetProperty("kind").GetString()!);
        Assert.True(kinds["reindex"].GetProperty("available").GetBoolean());
        Assert.Equal("Reindex", kinds["reindex"].GetProperty("label").GetString());
        // This host has no ClickHouse: the kind is listed, not available, with why.
        Assert.False(kinds["clickhouse_export"].GetProperty("available").GetBoolean());
        Assert.Contains("AGENTOPS_CLICKHOUSE_URL", kinds["clickhouse_export"].GetProperty("unavailable_reason").GetString());
        var defaults = body.GetProperty("defaults");
        Assert.Equal((JobSpec.DefaultBatchSize, JobSpec.DefaultParallelism, JobSpec.DefaultMaxAttempts, "sync"),
            (defaults.GetProperty("batch_size").GetInt32(), defaults.GetProperty("parallelism").GetInt32(), defaults.GetProperty("max_attempts").GetInt32(),
                defaults.GetProperty("insert_mode").GetString()));
        // The limits it states are the ones it checks: one past the largest parallelism is refused.
        var max = body.GetProperty("limits").GetProperty("parallelism_max").GetInt32();
        var refused = (await _client.Post("/api/v1/jobs", new { kind = "reindex", parallelism = max + 1 }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        Assert.True(refused.Body.GetProperty("errors").TryGetProperty("$.parallelism", out _), refused.ToString());
        (await _client.Get("/api/v1/jobs/kinds", (await _client.SignupAsync()).AdminToken)).Expect(200);
    }

    private async Task<JsonElement> WaitForJobAsync(string bearer, Guid id, Func<JsonElement, bool>? until = null, int seconds = 30)
    {
        Reply last = null!;
        for (var deadline = DateTime.UtcNow.AddSeconds(seconds); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            last = (await _client.Get($"/api/v1/jobs/{id}", bearer)).Expect(200);
            var status = last.Body.GetProperty("job").GetProperty("status").GetString();
            if (until?.Invoke(last.Body) ?? status is "succeeded" or "failed" or "cancelled") return last.Body;
        }
        throw new TimeoutException($"Job {id} did not get there: {last}");
    }

    private static Dictionary<string, long> Counters(JsonElement detail) =>
        detail.GetProperty("job").GetProperty("result").GetProperty("counters").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());

    private static List<string> Messages(JsonElement detail) => [.. detail.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("message").GetString()!)];

    [Fact]
    public async Task A_custom_job_shards_by_key_ranges_and_counts_every_event_once()
    {
        var (tenant, _, types) = await TenantWithEventsAsync(120);
        var job = (await _client.Post("/api/v1/jobs", new { kind = "custom", payload = new { activity = "events.count_by_type" }, batch_size = 7, parallelism = 3 },
            tenant.AdminToken)).Expect(201).Body.GetProperty("job");
        Assert.Equal("scheduled", job.GetProperty("status").GetString());
        var detail = await WaitForJobAsync(tenant.AdminToken, job.GetProperty("id").GetGuid());
        Assert.Equal("succeeded", detail.GetProperty("job").GetProperty("status").GetString());
        Assert.Equal(types, Counters(detail));
        var shards = detail.GetProperty("shards").EnumerateArray().ToList();
        Assert.Equal(3, shards.Count);
        Assert.Equal(120, shards.Sum(s => s.GetProperty("rows").GetInt64()));
        Assert.Equal(120, detail.GetProperty("job").GetProperty("result").GetProperty("rows").GetInt64());
        // Contiguous ranges: each shard starts where the previous ended.
        for (var i = 1; i < shards.Count; i++) Assert.Equal(shards[i - 1].GetProperty("range_end").GetString(), shards[i].GetProperty("range_after").GetString());
        Assert.Equal(1, Messages(detail).Count(m => m == "Dispatched"));
    }

    [Fact]
    public async Task A_shard_that_fails_mid_way_resumes_at_its_checkpoint()
    {
        var (tenant, _, types) = await TenantWithEventsAsync(40);
        var id = (await _client.Post("/api/v1/jobs", new { kind = "custom", payload = new { activity = "events.count_by_type", fail_once_at_batch = 2 }, batch_size = 5, parallelism = 2 },
            tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
        var detail = await WaitForJobAsync(tenant.AdminToken, id);
        Assert.Equal("succeeded", detail.GetProperty("job").GetProperty("status").GetString());
        // Counted once despite the failures: the retries started after the two committed batches, not from the start.
        Assert.Equal(types, Counters(detail));
        foreach (var s in detail.GetProperty("shards").EnumerateArray())
        {
            Assert.Equal(1, s.GetProperty("attempts").GetInt32());
            Assert.Equal((int)Math.Ceiling(s.GetProperty("rows").GetInt64() / 5.0), s.GetProperty("batches").GetInt32());
        }
        Assert.Equal(2, Messages(detail).Count(m => m.StartsWith("Shard failed (attempt 1 of 5); retrying", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_failed_job_keeps_its_error_and_checkpoint_and_retry_runs_only_the_failed_shards()
    {
        var (tenant, _, types) = await TenantWithEventsAsync(30);
        var id = (await _client.Post("/api/v1/jobs", new { kind = "custom", payload = new { activity = "events.count_by_type", fail_once_at_batch = 1 }, batch_size = 10, parallelism = 1, max_attempts = 1 },
            tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
        var failed = await WaitForJobAsync(tenant.AdminToken, id);
        Assert.Equal("failed", failed.GetProperty("job").GetProperty("status").GetString());
        Assert.Contains("Injected fault", failed.GetProperty("job").GetProperty("error").GetString());
        var shard = failed.GetProperty("shards")[0];
        Assert.Equal(10, shard.GetProperty("rows").GetInt64());
        Assert.NotNull(shard.GetProperty("checkpoint_key").GetString());

        (await _client.Post($"/api/v1/jobs/{id}/retry", new { }, tenant.AdminToken)).Expect(200);
        var done = await WaitForJobAsync(tenant.AdminToken, id); // the retry set it running again
        Assert.Equal("succeeded", done.GetProperty("job").GetProperty("status").GetString());
        Assert.Equal(types, Counters(done));
        (await _client.Post($"/api/v1/jobs/{id}/retry", new { }, tenant.AdminToken)).ExpectProblem(409, "job_not_failed");
    }

    [Fact]
    public async Task Cancel_starts_no_new_shard_and_stops_running_ones_at_a_batch_boundary()
    {
        var (tenant, _, _) = await TenantWithEventsAsync(400);
        var id = (await _client.Post("/api/v1/jobs", new { kind = "custom", payload = new { activity = "events.count_by_type" }, batch_size = 1, parallelism = 2 },
            tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
        await WaitForJobAsync(tenant.AdminToken, id, d => d.GetProperty("progress").GetProperty("rows").GetInt64() > 0);
        (await _client.Post($"/api/v1/jobs/{id}/cancel", new { }, tenant.AdminToken)).Expect(200);
        var detail = await WaitForJobAsync(tenant.AdminToken, id);
        Assert.Equal("cancelled", detail.GetProperty("job").GetProperty("status").GetString());
        Assert.All(detail.GetProperty("shards").EnumerateArray(), s => Assert.Equal("cancelled", s.GetProperty("status").GetString()));
        Assert.True(detail.GetProperty("progress").GetProperty("rows").GetInt64() < 400);
        (await _client.Post($"/api/v1/jobs/{id}/cancel", new { }, tenant.AdminToken)).ExpectProblem(409, "job_finished");
    }

    [Fact]
    public async Task A_shard_another_owner_left_running_is_taken_over_when_its_lease_ends_and_resumes_at_its_checkpoint()
    {
        var (tenant, _, types) = await TenantWithEventsAsync(20);
        // Due in a minute: the dispatcher leaves it alone while a "worker" that then dies takes its shard.
        var id = (await _client.Post("/api/v1/jobs", new { kind = "custom", payload = new { activity = "events.count_by_type" }, batch_size = 5, parallelism = 1,
            scheduled_at = DateTimeOffset.UtcNow.AddMinutes(1) }, tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
        await TestDatabase.ExecuteAsync(TestDatabase.AdminUrl, """
            WITH j AS (UPDATE jobs SET status = 'running', planned_at = now(), started_at = now() WHERE id = $1 RETURNING org_id, id)
            INSERT INTO job_shards (org_id, job_id, idx, source, status, lease_owner, lease_expires_at, checkpoint_key, rows, batches, data)
            SELECT org_id, id, 0, 'events', 'running', 'ghost-worker', now() + interval '1 second', 'e-0009', 10, 2,
                   (SELECT jsonb_object_agg(type, n) FROM (SELECT type, count(*) AS n FROM events WHERE org_id = j.org_id AND id <= 'e-0009' GROUP BY type) t)
            FROM j
            """, id);
        var detail = await WaitForJobAsync(tenant.AdminToken, id);
        Assert.Equal("succeeded", detail.GetProperty("job").GetProperty("status").GetString());
        Assert.Contains("Shard resumed at its checkpoint: its run was interrupted (a worker stopped or crashed)", Messages(detail));
        Assert.Equal(types, Counters(detail));
        Assert.Equal(4, detail.GetProperty("shards")[0].GetProperty("batches").GetInt32()); // 2 by the ghost, 2 after the checkpoint
    }

    /// <summary>A running job whose one shard a "worker" holds for <paramref name="lease"/>: its orchestration stays live, waiting.</summary>
    private async Task<Guid> JobHeldByAnotherOwnerAsync(Tenant tenant, TimeSpan lease, int restarts = 0)
    {
        var id = (await _client.Post("/api/v1/jobs", new { kind = "custom", payload = new { activity = "events.count_by_type" }, batch_size = 5, parallelism = 1,
            scheduled_at = DateTimeOffset.UtcNow.AddMinutes(1) }, tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
        await TestDatabase.ExecuteAsync(TestDatabase.AdminUrl, """
            WITH j AS (UPDATE jobs SET status = 'running', planned_at = now(), started_at = now(), orchestration_restarts = $3 WHERE id = $1 RETURNING org_id, id)
            INSERT INTO job_shards (org_id, job_id, idx, source, status, lease_owner, lease_expires_at, rows, batches, data)
            SELECT org_id, id, 0, 'events', 'running', 'ghost-worker', now() + make_interval(secs => $2), 0, 0, '{}'::jsonb FROM j
            """, id, lease.TotalSeconds, restarts);
        return id;
    }

    private async Task<OrchestrationRuntimeStatus?> WaitForInstanceAsync(DurableTaskClient hub, Guid id, Func<OrchestrationMetadata?, bool> until)
    {
        OrchestrationMetadata? last = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(30); DateTime.UtcNow < deadline; await Task.Delay(100))
            if (until(last = await hub.GetInstanceAsync(id.ToString(), false))) return last?.RuntimeStatus;
        throw new TimeoutException($"Orchestration {id} did not get there: {last?.RuntimeStatus}");
    }

    [Fact]
    public async Task The_job_timer_starts_a_lost_orchestration_again_closes_a_cancelled_jobs_and_fails_a_job_after_five_restarts()
    {
        var (tenant, _, types) = await TenantWithEventsAsync(20);
        var hub = fx.Factory.Services.GetRequiredService<DurableTaskClient>();

        // Ended from outside (a task hub reset, a terminate behind the application's back): the timer starts it again
        // and the job completes, its shard taken over once the other owner's lease ends.
        var lost = await JobHeldByAnotherOwnerAsync(tenant, TimeSpan.FromSeconds(6));
        await WaitForInstanceAsync(hub, lost, i => i?.RuntimeStatus == OrchestrationRuntimeStatus.Running);
        await hub.TerminateInstanceAsync(lost.ToString(), "lost");
        var done = await WaitForJobAsync(tenant.AdminToken, lost);
        Assert.Equal("succeeded", done.GetProperty("job").GetProperty("status").GetString());
        Assert.Equal(types, Counters(done));
        Assert.Contains(Messages(done), m => m.StartsWith("Orchestration started again", StringComparison.Ordinal));
        Assert.True(await TestDatabase.ScalarAsync<int>(TestDatabase.AdminUrl, "SELECT orchestration_restarts FROM jobs WHERE id = $1", lost) >= 2);

        // Cancelled, then its orchestration ended: nothing is left to run, so the job is closed and no new one is started.
        var cancelled = await JobHeldByAnotherOwnerAsync(tenant, TimeSpan.FromMinutes(5));
        await WaitForInstanceAsync(hub, cancelled, i => i?.RuntimeStatus == OrchestrationRuntimeStatus.Running);
        (await _client.Post($"/api/v1/jobs/{cancelled}/cancel", new { }, tenant.AdminToken)).Expect(200);
        await hub.TerminateInstanceAsync(cancelled.ToString(), "gone");
        var closed = await WaitForJobAsync(tenant.AdminToken, cancelled);
        Assert.Equal("cancelled", closed.GetProperty("job").GetProperty("status").GetString());
        Assert.Equal("cancelled", closed.GetProperty("shards")[0].GetProperty("status").GetString());
        await Task.Delay(TimeSpan.FromSeconds(2)); // two more timer ticks
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await hub.GetInstanceAsync(cancelled.ToString(), false))?.RuntimeStatus);

        // One that keeps ending is not started forever: after five restarts the job fails and says why.
        var spent = await JobHeldByAnotherOwnerAsync(tenant, TimeSpan.FromMinutes(5), restarts: JobStarter.MaxRestarts);
        var failed = await WaitForJobAsync(tenant.AdminToken, spent);
        Assert.Equal("failed", failed.GetProperty("job").GetProperty("status").GetString());
        Assert.StartsWith($"Its orchestration ended {JobStarter.MaxRestarts} times", failed.GetProperty("job").GetProperty("error").GetString());
        Assert.Null(await hub.GetInstanceAsync(spent.ToString(), false));
    }

    [Fact]
    public async Task Reindex_recomputes_costs_after_a_price_change_and_dry_run_changes_nothing()
    {
        var (tenant, key, _) = await TenantWithEventsAsync(8); // two gpt-4o calls: 1000 in × $2.50 + 100 out × $10 per 1M = 3,500 µ$ each
        await _client.WaitForRunAsync(key, "run-1");
        Assert.Equal(7_000, await TestDatabase.ScalarAsync<long>(TestDatabase.AdminUrl, "SELECT sum(cost_micros)::bigint FROM runs WHERE org_id = $1", tenant.OrgId));
        (await _client.Post("/api/v1/model-prices", new
        {
            provider = "openai", model = "gpt-4o", input_per_mtok_usd = 5, output_per_mtok_usd = 20, effective_from = "2020-01-01T00:00:00Z",
        }, tenant.AdminToken)).Expect(201);

        var dry = await WaitForJobAsync(tenant.AdminToken, (await _client.Post("/api/v1/jobs", new { kind = "reindex", dry_run = true }, tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid());
        Assert.Equal(2, Counters(dry)["costs_changed"]);
        Assert.Equal(7_000, Counters(dry)["cost_delta_micros"]);
        Assert.Equal(7_000, await TestDatabase.ScalarAsync<long>(TestDatabase.AdminUrl, "SELECT sum(cost_micros)::bigint FROM runs WHERE org_id = $1", tenant.OrgId));

        var real = await WaitForJobAsync(tenant.AdminToken, (await _client.Post("/api/v1/jobs", new { kind = "reindex" }, tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid());
        Assert.Equal("succeeded", real.GetProperty("job").GetProperty("status").GetString());
        foreach (var table in new[] { "runs", "agent_stats_hourly", "cost_daily" })
            Assert.Equal(14_000, await TestDatabase.ScalarAsync<long>(TestDatabase.AdminUrl, $"SELECT sum(cost_micros)::bigint FROM {table} WHERE org_id = $1", tenant.OrgId));
        // Again: nothing left to change.
        var again = await WaitForJobAsync(tenant.AdminToken, (await _client.Post("/api/v1/jobs", new { kind = "reindex" }, tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid());
        Assert.Equal(0, Counters(again)["costs_changed"]);
    }

    [Fact]
    public async Task Reindex_counts_a_failed_runs_own_error_as_ingest_does()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        (await _client.IngestAsync(key,
            Event("f-s", "run.start", 0, "failed-run"), Event("f-x", "error", 1, "failed-run", extra: new { error = "boom" }),
            Event("f-e", "run.end", 2, "failed-run", extra: new { status = "failed", error = "gave up" }),
            Event("o-s", "run.start", 0, "ok-run"), Event("o-e", "run.end", 2, "ok-run", extra: new { status = "ok" }))).Expect(202);
        await _client.WaitForRunAsync(key, "failed-run", d => d.GetProperty("run").GetProperty("event_count").GetInt32() == 3);
        await _client.WaitForRunAsync(key, "ok-run", d => d.GetProperty("run").GetProperty("event_count").GetInt32() == 2);
        async Task<int> ErrorCount(string run) => (await _client.Get($"/api/v1/runs/{run}", key)).Expect(200).Body.GetProperty("run").GetProperty("error_count").GetInt32();
        Assert.Equal((2, 0), (await ErrorCount("failed-run"), await ErrorCount("ok-run")));

        // Runs stored by a build that did not count the run's own error: reindex brings them to ingest's count.
        await TestDatabase.ExecuteAsync(TestDatabase.AdminUrl, "UPDATE runs SET error_count = 1 WHERE org_id = $1 AND id = 'failed-run'", tenant.OrgId);
        var dry = await WaitForJobAsync(tenant.AdminToken, (await _client.Post("/api/v1/jobs", new { kind = "reindex", dry_run = true }, tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid());
        Assert.Equal(1, Counters(dry)["error_counts_fixed"]);
        Assert.Equal(1, await ErrorCount("failed-run"));
        var real = await WaitForJobAsync(tenant.AdminToken, (await _client.Post("/api/v1/jobs", new { kind = "reindex", batch_size = 2 }, tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid());
        Assert.Equal("succeeded", real.GetProperty("job").GetProperty("status").GetString());
        Assert.Equal(1, Counters(real)["error_counts_fixed"]);
        Assert.Equal((2, 0), (await ErrorCount("failed-run"), await ErrorCount("ok-run")));
        var again = await WaitForJobAsync(tenant.AdminToken, (await _client.Post("/api/v1/jobs", new { kind = "reindex" }, tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid());
        Assert.Equal(0, Counters(again)["error_counts_fixed"]);
    }

    [Fact]
    public async Task A_due_schedule_creates_its_job_and_moves_to_its_next_run()
    {
        var tenant = await _client.SignupAsync();
        (await _client.Post("/api/v1/jobs/schedules", new { name = "bad", cron = "61 * * * *", kind = "custom", payload = new { activity = "events.count_by_type" } }, tenant.AdminToken))
            .ExpectProblem(422, "validation_failed");
        var schedule = (await _client.Post("/api/v1/jobs/schedules", new { name = "count", cron = "*/5 * * * *", kind = "custom", payload = new { activity = "events.count_by_type" } },
            tenant.AdminToken)).Expect(201).Body;
        var id = schedule.GetProperty("id").GetGuid();
        Assert.True(schedule.GetProperty("next_run_at").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        await TestDatabase.ExecuteAsync(TestDatabase.AdminUrl, "UPDATE job_schedules SET next_run_at = now() - interval '1 second' WHERE id = $1", id);
        JsonElement jobs = default;
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline; await Task.Delay(200))
            if ((jobs = (await _client.Get("/api/v1/jobs", tenant.AdminToken)).Expect(200).Body.GetProperty("items")).GetArrayLength() > 0) break;
        Assert.Equal(id, jobs[0].GetProperty("job").GetProperty("schedule_id").GetGuid());
        var after = (await _client.Get("/api/v1/jobs/schedules", tenant.AdminToken)).Expect(200).Body.GetProperty("items")[0];
        Assert.True(after.GetProperty("next_run_at").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.Equal(0, after.GetProperty("next_run_at").GetDateTimeOffset().Minute % 5);
    }

    [Fact]
    public async Task Renaming_a_schedule_to_a_taken_name_is_a_conflict_that_changes_nothing()
    {
        var tenant = await _client.SignupAsync();
        object Schedule(string name) => new { name, cron = "*/5 * * * *", kind = "custom", payload = new { activity = "events.count_by_type" } };
        (await _client.Post("/api/v1/jobs/schedules", Schedule("first"), tenant.AdminToken)).Expect(201);
        var second = (await _client.Post("/api/v1/jobs/schedules", Schedule("second"), tenant.AdminToken)).Expect(201).Id();
        (await _client.Patch($"/api/v1/jobs/schedules/{second}", new { name = "first" }, tenant.AdminToken)).ExpectProblem(409, "schedule_exists");
        var names = (await _client.Get("/api/v1/jobs/schedules", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray()
            .Select(s => s.GetProperty("name").GetString()!).Order().ToArray();
        Assert.Equal(["first", "second"], names);
    }

    [Fact]
    public async Task Three_servers_on_one_database_dispatch_each_due_job_once()
    {
        var (tenant, _, types) = await TenantWithEventsAsync(20);
        // Two more server processes (with this test host's, three dispatchers ticking every second).
        var settings = new Dictionary<string, string?> { ["AGENTOPS_JOBS_DISPATCH_SECONDS"] = "1", ["AGENTOPS_INGEST_WORKERS"] = "0" };
        await using var second = ServerProcess.Start(TestDatabase.AppUrl, settings);
        await using var third = ServerProcess.Start(TestDatabase.AppUrl, settings);
        await second.WaitReadyAsync();
        await third.WaitReadyAsync();
        var due = DateTimeOffset.UtcNow.AddSeconds(3);
        var ids = new List<Guid>();
        for (var i = 0; i < 12; i++)
            ids.Add((await _client.Post("/api/v1/jobs", new { kind = "custom", payload = new { activity = "events.count_by_type" }, batch_size = 5, parallelism = 2, scheduled_at = due },
                tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid());
        var dispatchers = new HashSet<string>();
        foreach (var id in ids)
        {
            var detail = await WaitForJobAsync(tenant.AdminToken, id, seconds: 60);
            Assert.Equal("succeeded", detail.GetProperty("job").GetProperty("status").GetString());
            Assert.Equal(types, Counters(detail));
            var dispatched = detail.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("message").GetString() == "Dispatched").ToList();
            Assert.Single(dispatched);
            dispatchers.Add(dispatched[0].GetProperty("data").GetProperty("dispatcher").GetString()!);
            Assert.Single(Messages(detail), m => m.StartsWith("Planned", StringComparison.Ordinal));
        }
        Assert.NotEmpty(dispatchers);
    }

    [Fact]
    public async Task Jobs_validate_and_stay_in_their_organization()
    {
        var tenant = await _client.SignupAsync();
        var bad = (await _client.Post("/api/v1/jobs", new { kind = "custom", payload = new { activity = "nope" }, batch_size = 0, parallelism = 65, insert_mode = "later" },
            tenant.AdminToken)).ExpectProblem(422, "validation_failed").Body.GetProperty("errors");
        foreach (var path in new[] { "$.payload.activity", "$.batch_size", "$.parallelism", "$.insert_mode" })
            Assert.True(bad.TryGetProperty(path, out _), $"missing {path} in {bad}");
        // A kind is one the host registers (an IJobKind), named in the problem; the filters only check a name's shape.
        var unknown = (await _client.Post("/api/v1/jobs", new { kind = "compact" }, tenant.AdminToken)).ExpectProblem(422, "validation_failed").Body.GetProperty("errors");
        Assert.Equal("must be one of the job kinds this host runs: custom, reindex.", unknown.GetProperty("$.kind")[0].GetString());
        (await _client.Post("/api/v1/jobs/schedules", new { name = "compaction", cron = "0 3 * * *", kind = "compact" }, tenant.AdminToken))
            .ExpectProblem(422, "validation_failed").Body.GetProperty("errors").GetProperty("$.kind");
        Assert.Equal(0, (await _client.Get("/api/v1/jobs?kind=compact", tenant.AdminToken)).Expect(200).Body.GetProperty("items").GetArrayLength());
        (await _client.Get("/api/v1/jobs?kind=Not%20a%20kind", tenant.AdminToken)).ExpectProblem(422, "validation_failed");

        var id = (await _client.Post("/api/v1/jobs", new { kind = "reindex", scheduled_at = DateTimeOffset.UtcNow.AddHours(1) }, tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
        var schedule = (await _client.Post("/api/v1/jobs/schedules", new { name = "nightly", cron = "0 3 * * *", kind = "reindex" }, tenant.AdminToken)).Expect(201).Body.GetProperty("id").GetGuid();
        var other = await _client.SignupAsync();
        (await _client.Get($"/api/v1/jobs/{id}", other.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Post($"/api/v1/jobs/{id}/cancel", new { }, other.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Post($"/api/v1/jobs/{id}/retry", new { }, other.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Patch($"/api/v1/jobs/schedules/{schedule}", new { active = false }, other.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Delete($"/api/v1/jobs/schedules/{schedule}", other.AdminToken)).ExpectProblem(404, "not_found");
        Assert.Equal(0, (await _client.Get("/api/v1/jobs", other.AdminToken)).Expect(200).Body.GetProperty("items").GetArrayLength());

        // A scheduled job cancels at once; the audit trail has both steps.
        Assert.Equal("cancelled", (await _client.Post($"/api/v1/jobs/{id}/cancel", new { }, tenant.AdminToken)).Expect(200).Body.GetProperty("job").GetProperty("status").GetString());
        var actions = (await _client.Get("/api/v1/audit-logs?entity_type=job", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("action").GetString());
        Assert.Equal(["job.cancelled", "job.created"], actions);
    }

    /// <summary>A kind that only a test registers: it needs no migration to be stored (0012 dropped the database's list).</summary>
    private sealed class CompactionJobKind : IJobKind
    {
        public string Kind => "compaction";
        public void Validate(JsonElement payload, Validation v) { }
        public Task<IReadOnlyList<SourcePlan>> PlanAsync(Tx tx, Job job, CancellationToken ct) => Task.FromResult<IReadOnlyList<SourcePlan>>([]);
        public Task<BatchResult> RunBatchAsync(Tx tx, Job job, Shard shard, string? after, CancellationToken ct) => Task.FromResult(new BatchResult(null, 0, 0));
        public Task FinishAsync(Tx tx, Job job, bool succeeded, CancellationToken ct) => Task.CompletedTask;
    }

    [Fact]
    public async Task A_job_kind_registered_in_code_is_accepted_without_a_migration()
    {
        await using var host = fx.Factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IJobKind, CompactionJobKind>()));
        var client = host.CreateClient();
        var tenant = await client.SignupAsync();
        // Scheduled an hour ahead and cancelled: no dispatcher (of this host or the fixture's, which lacks the kind) runs it.
        var job = (await client.Post("/api/v1/jobs", new { kind = "compaction", scheduled_at = DateTimeOffset.UtcNow.AddHours(1) }, tenant.AdminToken)).Expect(201)
            .Body.GetProperty("job");
        Assert.Equal("compaction", job.GetProperty("kind").GetString());
        var id = job.GetProperty("id").GetGuid();
        Assert.Equal(id, (await client.Get("/api/v1/jobs?kind=compaction", tenant.AdminToken)).Expect(200).Body.GetProperty("items")[0].GetProperty("job").GetProperty("id").GetGuid());
        (await client.Post($"/api/v1/jobs/{id}/cancel", new { }, tenant.AdminToken)).Expect(200);
        // The fixture's host does not register it: there it is refused like any unknown kind.
        (await _client.Post("/api/v1/jobs", new { kind = "compaction" }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
    }
}
