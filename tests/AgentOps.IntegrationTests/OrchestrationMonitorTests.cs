using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
using static AgentOps.IntegrationTests.Infrastructure.Ingesting;

namespace AgentOps.IntegrationTests;

/// <summary>The orchestration monitor over the test run's Azurite task hub: list, detail, history, operations, purge; RBAC and tenancy.</summary>
[Collection(ApiCollection.Name)]
public class OrchestrationMonitorTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private async Task<(Tenant Tenant, Guid JobId)> FinishedJobAsync()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        (await _client.IngestAsync(key, [.. Enumerable.Range(0, 20).Select(i => Event($"e-{i:D3}", "log", i, "run-1"))])).Expect(202);
        await _client.WaitForRunAsync(key, "run-1", r => r.GetProperty("run").GetProperty("event_count").GetInt32() == 20);
        var id = (await _client.Post("/api/v1/jobs", new { kind = "custom", payload = new { activity = "events.count_by_type" }, batch_size = 5, parallelism = 2 },
            tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
        await WaitAsync(tenant.AdminToken, id, "completed");
        return (tenant, id);
    }

    private async Task<JsonElement> WaitAsync(string bearer, Guid id, string status, int seconds = 60)
    {
        JsonElement last = default;
        for (var deadline = DateTime.UtcNow.AddSeconds(seconds); DateTime.UtcNow < deadline; await Task.Delay(150))
        {
            var reply = await _client.Get($"/api/v1/orchestrations/{id}", bearer);
            if ((int)reply.Status == 200 && (last = reply.Body).GetProperty("status").GetString() == status) return last;
        }
        throw new TimeoutException($"Orchestration {id} did not become {status}: {last}");
    }

    private async Task<List<string>> AuditActionsAsync(string bearer) =>
        [.. (await _client.Get("/api/v1/audit-logs?entity_type=orchestration", bearer)).Expect(200).Body.GetProperty("items").EnumerateArray()
            .Select(r => r.GetProperty("action").GetString()!)];

    [Fact]
    public async Task A_finished_jobs_orchestration_shows_its_progress_data_on_demand_and_a_timeline_of_every_activity()
    {
        var (tenant, id) = await FinishedJobAsync();
        var listed = (await _client.Get("/api/v1/orchestrations?status=completed", tenant.AdminToken)).Expect(200).Body.GetProperty("items");
        var item = Assert.Single(listed.EnumerateArray());
        Assert.Equal(id.ToString(), item.GetProperty("instance_id").GetString());
        Assert.Equal("JobOrchestrator", item.GetProperty("name").GetString());
        Assert.Equal("custom", item.GetProperty("job").GetProperty("kind").GetString());
        Assert.Equal("succeeded", item.GetProperty("job").GetProperty("status").GetString());
        var progress = item.GetProperty("progress");
        Assert.Equal(progress.GetProperty("shards").GetInt32(), progress.GetProperty("done").GetInt32());
        Assert.Equal(0, (await _client.Get("/api/v1/orchestrations?status=running,failed", tenant.AdminToken)).Expect(200).Body.GetProperty("items").GetArrayLength());
        Assert.Equal(0, (await _client.Get("/api/v1/orchestrations?kind=reindex", tenant.AdminToken)).Expect(200).Body.GetProperty("items").GetArrayLength());
        Assert.Single((await _client.Get($"/api/v1/orchestrations?instance={id.ToString()[..8]}", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray());

        var plain = (await _client.Get($"/api/v1/orchestrations/{id}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("input").ValueKind);
        var withData = (await _client.Get($"/api/v1/orchestrations/{id}?data=true", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal("succeeded", withData.GetProperty("output").GetString());
        Assert.Contains(id.ToString(), withData.GetProperty("input").GetRawText());

        var history = (await _client.Get($"/api/v1/orchestrations/{id}/history", tenant.AdminToken)).Expect(200).Body;
        var entries = history.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal("started", entries[0].GetProperty("kind").GetString());
        Assert.Equal("completed", entries[^1].GetProperty("kind").GetString());
        var completed = entries.Where(e => e.GetProperty("kind").GetString() == "activity_completed").ToList();
        var shards = progress.GetProperty("shards").GetInt32();
        Assert.Equal(["PlanJob", .. Enumerable.Repeat("RunShard", shards), "FinishJob"], completed.Select(e => e.GetProperty("name").GetString()));
        Assert.All(completed, e => Assert.True(e.GetProperty("duration_ms").GetDouble() >= 0));
        Assert.All(entries, e => Assert.Equal(JsonValueKind.Null, e.GetProperty("input").ValueKind));
    }

    [Fact]
    public async Task An_operator_suspends_resumes_signals_and_terminates_a_running_orchestration_and_every_step_is_audited()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        (await _client.IngestAsync(key, [.. Enumerable.Range(0, 10).Select(i => Event($"e-{i:D3}", "log", i, "run-1"))])).Expect(202);
        await _client.WaitForRunAsync(key, "run-1", r => r.GetProperty("run").GetProperty("event_count").GetInt32() == 10);
        // A shard another owner holds for a while keeps the orchestration running (waiting for the lease) while we operate.
        var id = (await _client.Post("/api/v1/jobs", new { kind = "custom", payload = new { activity = "events.count_by_type" }, batch_size = 5, parallelism = 1,
            scheduled_at = DateTimeOffset.UtcNow.AddMinutes(1) }, tenant.AdminToken)).Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
        await TestDatabase.ExecuteAsync(TestDatabase.AdminUrl, """
            WITH j AS (UPDATE jobs SET status = 'running', planned_at = now(), started_at = now() WHERE id = $1 RETURNING org_id, id)
            INSERT INTO job_shards (org_id, job_id, idx, source, status, lease_owner, lease_expires_at, rows, batches, data)
            SELECT org_id, id, 0, 'events', 'running', 'ghost-worker', now() + interval '5 minutes', 0, 0, '{}'::jsonb FROM j
            """, id);
        await WaitAsync(tenant.AdminToken, id, "running");
        (await _client.Post($"/api/v1/orchestrations/{id}/purge", new { }, tenant.AdminToken)).ExpectProblem(409, "orchestration_state");
        (await _client.Post($"/api/v1/orchestrations/{id}/resume", new { }, tenant.AdminToken)).ExpectProblem(409, "orchestration_state");

        (await _client.Post($"/api/v1/orchestrations/{id}/suspend", new { reason = "looking into it" }, tenant.AdminToken)).Expect(200);
        await WaitAsync(tenant.AdminToken, id, "suspended");
        (await _client.Post($"/api/v1/orchestrations/{id}/suspend", new { }, tenant.AdminToken)).ExpectProblem(409, "orchestration_state");
        (await _client.Post($"/api/v1/orchestrations/{id}/events", new { name = "bad name!" }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        (await _client.Post($"/api/v1/orchestrations/{id}/events", new { name = "note", payload = new { text = "hello" } }, tenant.AdminToken)).Expect(200);
        (await _client.Post($"/api/v1/orchestrations/{id}/resume", new { reason = "fine" }, tenant.AdminToken)).Expect(200);
        await WaitAsync(tenant.AdminToken, id, "running");
        for (var deadline = DateTime.UtcNow.AddSeconds(20); ; await Task.Delay(200))
        {
            var kinds = (await _client.Get($"/api/v1/orchestrations/{id}/history?data=true", tenant.AdminToken)).Expect(200).Body.GetProperty("entries").EnumerateArray()
                .Select(e => (Kind: e.GetProperty("kind").GetString(), Name: e.GetProperty("name").GetString())).ToList();
            if (kinds.Contains(("suspended", null)) && kinds.Contains(("resumed", null)) && kinds.Contains(("event_raised", "note"))) break;
            Assert.True(DateTime.UtcNow < deadline, $"history lacks the operations: {string.Join(", ", kinds)}");
        }

        // Terminate cancels and closes the job with it (the shard still held is cancelled; its run would stop at its next
        // batch boundary), and the dispatcher leaves the terminated instance alone rather than start one to close the books.
        (await _client.Post($"/api/v1/orchestrations/{id}/terminate", new { reason = "stop it" }, tenant.AdminToken)).Expect(200);
        var cancelled = (await _client.Get($"/api/v1/jobs/{id}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal("cancelled", cancelled.GetProperty("job").GetProperty("status").GetString());
        Assert.Equal(["cancelled"], cancelled.GetProperty("shards").EnumerateArray().Select(s => s.GetProperty("status").GetString()));
        await WaitAsync(tenant.AdminToken, id, "terminated");
        await Task.Delay(TimeSpan.FromSeconds(3)); // three dispatcher ticks
        Assert.Equal("terminated", (await _client.Get($"/api/v1/orchestrations/{id}", tenant.AdminToken)).Expect(200).Body.GetProperty("status").GetString());
        Assert.Equal(["orchestration.terminated", "orchestration.resumed", "orchestration.event_raised", "orchestration.suspended"], await AuditActionsAsync(tenant.AdminToken));
    }

    [Fact]
    public async Task Ended_instances_are_purged_one_by_one_or_by_filter_after_a_dry_run_count()
    {
        var (tenant, id) = await FinishedJobAsync();
        (await _client.Post("/api/v1/orchestrations/purge", new { statuses = new[] { "running" }, created_before = DateTimeOffset.UtcNow }, tenant.AdminToken))
            .ExpectProblem(422, "validation_failed");
        (await _client.Post("/api/v1/orchestrations/purge", new { dry_run = true }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        var dry = (await _client.Post("/api/v1/orchestrations/purge", new { created_before = DateTimeOffset.UtcNow.AddMinutes(1), dry_run = true }, tenant.AdminToken)).Expect(200).Body;
        Assert.Equal((1, 0), (dry.GetProperty("matched").GetInt32(), dry.GetProperty("purged").GetInt32()));
        (await _client.Get($"/api/v1/orchestrations/{id}", tenant.AdminToken)).Expect(200);

        (await _client.Post($"/api/v1/orchestrations/{id}/purge", new { }, tenant.AdminToken)).Expect(200);
        (await _client.Get($"/api/v1/orchestrations/{id}", tenant.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Post($"/api/v1/orchestrations/{id}/purge", new { }, tenant.AdminToken)).ExpectProblem(404, "not_found");
        // The job itself is kept: purging removes the engine's state and history only.
        Assert.Equal("succeeded", (await _client.Get($"/api/v1/jobs/{id}", tenant.AdminToken)).Expect(200).Body.GetProperty("job").GetProperty("status").GetString());

        var (_, second) = await FinishedJobAsync();
        _ = second;
        var (again, another) = await FinishedJobAsync();
        var real = (await _client.Post("/api/v1/orchestrations/purge", new { created_before = DateTimeOffset.UtcNow.AddMinutes(1) }, again.AdminToken)).Expect(200).Body;
        Assert.Equal((1, 1), (real.GetProperty("matched").GetInt32(), real.GetProperty("purged").GetInt32()));
        (await _client.Get($"/api/v1/orchestrations/{another}", again.AdminToken)).ExpectProblem(404, "not_found");
        Assert.Equal(["orchestration.purged"], await AuditActionsAsync(tenant.AdminToken));
        Assert.Equal(["orchestrations.purged"], await AuditActionsAsync(again.AdminToken));
    }

    [Fact]
    public async Task Another_organizations_instance_is_not_found_by_any_route_nor_listed()
    {
        var (tenant, id) = await FinishedJobAsync();
        var other = await _client.SignupAsync();
        (await _client.Get($"/api/v1/orchestrations/{id}", other.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Get($"/api/v1/orchestrations/{id}/history", other.AdminToken)).ExpectProblem(404, "not_found");
        foreach (var op in new[] { "terminate", "suspend", "resume", "purge" })
            (await _client.Post($"/api/v1/orchestrations/{id}/{op}", new { }, other.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Post($"/api/v1/orchestrations/{id}/events", new { name = "x" }, other.AdminToken)).ExpectProblem(404, "not_found");
        Assert.Equal(0, (await _client.Get("/api/v1/orchestrations", other.AdminToken)).Expect(200).Body.GetProperty("items").GetArrayLength());
        var purge = (await _client.Post("/api/v1/orchestrations/purge", new { created_before = DateTimeOffset.UtcNow.AddMinutes(1) }, other.AdminToken)).Expect(200).Body;
        Assert.Equal(0, purge.GetProperty("matched").GetInt32());
        (await _client.Get($"/api/v1/orchestrations/{id}", tenant.AdminToken)).Expect(200);
    }
}
