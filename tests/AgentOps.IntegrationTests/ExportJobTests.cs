using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
using static AgentOps.IntegrationTests.Infrastructure.Ingesting;

namespace AgentOps.IntegrationTests;

/// <summary>clickhouse_export jobs against the real ClickHouse, run by real server processes.</summary>
[Collection(ApiCollection.Name)]
public class ExportJobTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    /// <summary>A server with ClickHouse, a short job lease (a killed worker's shards are taken over within seconds) and no ingest workers of its own.</summary>
    private static ServerProcess StartServer() => ServerProcess.Start(TestDatabase.AppUrl, new()
    {
        ["AGENTOPS_CLICKHOUSE_URL"] = TestClickHouse.Url, ["AGENTOPS_JOBS_DISPATCH_SECONDS"] = "1", ["AGENTOPS_JOB_LEASE_SECONDS"] = "3",
        ["AGENTOPS_JOB_WORKERS"] = "2",
        // A task hub of their own: the in-process server has no ClickHouse, and every worker on a hub may be handed any
        // activity (servers on one hub run the same job kinds). A stable worker id across the kill and restart.
        ["AGENTOPS_TASK_HUB_NAME"] = TestStorage.TaskHubName + "export", ["AGENTOPS_TASK_HUB_WORKER_ID"] = "export-test",
    });

    private async Task<(Tenant Tenant, string Key)> TenantWithEventsAsync(int events, int runs)
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        (await _client.Patch("/api/v1/orgs/profile", new { ingest_events_per_second = 100_000, ingest_burst = 100_000 }, tenant.AdminToken)).Expect(200);
        var batch = Enumerable.Range(0, events).Select(i => Event($"x-{i:D6}", i % 10 == 0 ? "llm.call" : "log", i, $"run-{i % runs}",
            extra: i % 10 == 0 ? new { model = "gpt-4o", tokens_in = 100, tokens_out = 10 } : null)).ToArray();
        foreach (var chunk in batch.Chunk(500)) (await _client.IngestAsync(key, chunk)).Expect(202);
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(200))
            if (await TestDatabase.ScalarAsync<long>(TestDatabase.AdminUrl, "SELECT count(*) FROM events WHERE org_id = $1", tenant.OrgId) == events) break;
        return (tenant, key);
    }

    private static async Task<JsonElement> WaitAsync(HttpClient http, string bearer, Guid id, Func<JsonElement, bool>? until = null, int seconds = 60)
    {
        Reply last = null!;
        for (var deadline = DateTime.UtcNow.AddSeconds(seconds); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            last = (await http.Get($"/api/v1/jobs/{id}", bearer)).Expect(200);
            if (until?.Invoke(last.Body) ?? last.Body.GetProperty("job").GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled") return last.Body;
        }
        throw new TimeoutException($"Job {id}: {last}");
    }

    private static async Task<long> ClickHouseCountAsync(string table, Guid org, bool final)
    {
        var client = await TestClickHouse.ClientAsync();
        return await client.ScalarAsync($"SELECT count() AS n FROM {table}{(final ? " FINAL" : "")} WHERE org_id = toUUID('{org}')");
    }

    [Fact]
    public async Task Incremental_exports_copy_only_what_changed_since_the_last_success()
    {
        await using var server = StartServer();
        var http = await server.WaitReadyAsync();
        var (tenant, key) = await TenantWithEventsAsync(300, 30);
        var first = await WaitAsync(http, tenant.AdminToken, (await http.Post("/api/v1/jobs", new { kind = "clickhouse_export", batch_size = 50, parallelism = 2 }, tenant.AdminToken))
            .Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid());
        Assert.Equal("succeeded", first.GetProperty("job").GetProperty("status").GetString());
        Assert.Equal(300, await ClickHouseCountAsync("events", tenant.OrgId, final: true));
        Assert.Equal(30, await ClickHouseCountAsync("runs", tenant.OrgId, final: true));

        // New events (and the runs they change) only: the second export copies those.
        (await _client.IngestAsync(key, [.. Enumerable.Range(0, 20).Select(i => Event($"y-{i}", "log", 400 + i, "run-new"))])).Expect(202);
        await _client.WaitForRunAsync(key, "run-new", r => r.GetProperty("run").GetProperty("event_count").GetInt32() == 20);
        var second = await WaitAsync(http, tenant.AdminToken, (await http.Post("/api/v1/jobs", new { kind = "clickhouse_export" }, tenant.AdminToken))
            .Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid());
        var bySource = second.GetProperty("job").GetProperty("result").GetProperty("by_source");
        Assert.Equal(20, bySource.GetProperty("events").GetProperty("rows").GetInt64());
        Assert.Equal(1, bySource.GetProperty("runs").GetProperty("rows").GetInt64());
        Assert.Equal(320, await ClickHouseCountAsync("events", tenant.OrgId, final: true));
        Assert.Equal(31, await ClickHouseCountAsync("runs", tenant.OrgId, final: true));

        // A dry run counts and writes nothing; a host without ClickHouse refuses the kind.
        var dry = await WaitAsync(http, tenant.AdminToken, (await http.Post("/api/v1/jobs", new { kind = "clickhouse_export", dry_run = true, payload = new { mode = "full" } }, tenant.AdminToken))
            .Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid());
        Assert.Equal(351, dry.GetProperty("job").GetProperty("result").GetProperty("rows").GetInt64());
        (await _client.Post("/api/v1/jobs", new { kind = "clickhouse_export" }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
    }

    [Fact]
    public async Task Killed_mid_export_the_job_completes_after_restart_with_every_row_once_and_at_most_one_batch_redone_per_shard()
    {
        const int events = 6000, batch = 100;
        var (tenant, _) = await TenantWithEventsAsync(events, 200);
        Guid id;
        await using (var first = StartServer())
        {
            var http = await first.WaitReadyAsync();
            id = (await http.Post("/api/v1/jobs", new { kind = "clickhouse_export", batch_size = batch, parallelism = 2 }, tenant.AdminToken))
                .Expect(201).Body.GetProperty("job").GetProperty("id").GetGuid();
            // Some events exported, not all: kill -9.
            await WaitAsync(http, tenant.AdminToken, id, d => d.GetProperty("progress").GetProperty("rows").GetInt64() > 1000, seconds: 60);
            first.KillHard();
        }
        var atKill = await TestDatabase.ScalarAsync<long>(TestDatabase.AdminUrl, "SELECT coalesce(sum(rows), 0)::bigint FROM job_shards WHERE job_id = $1", id);
        Assert.True(atKill < events + 200, $"the job finished before the kill ({atKill} rows): make it bigger");

        await using var second = StartServer();
        var again = await second.WaitReadyAsync();
        var done = await WaitAsync(again, tenant.AdminToken, id, seconds: 90);
        Assert.Equal("succeeded", done.GetProperty("job").GetProperty("status").GetString());
        Assert.Contains(done.GetProperty("events").EnumerateArray(), e => e.GetProperty("message").GetString()!.StartsWith("Shard resumed at its checkpoint", StringComparison.Ordinal));

        // Every source row once (FINAL collapses re-inserted rows) ...
        Assert.Equal(events, await ClickHouseCountAsync("events", tenant.OrgId, final: true));
        Assert.Equal(200, await ClickHouseCountAsync("runs", tenant.OrgId, final: true));
        // ... and the rows inserted twice are at most the batch in flight of each shard the kill interrupted.
        var shards = done.GetProperty("shards").GetArrayLength();
        var inserted = await ClickHouseCountAsync("events", tenant.OrgId, final: false) + await ClickHouseCountAsync("runs", tenant.OrgId, final: false);
        Assert.InRange(inserted - events - 200, 0, shards * batch);
        Assert.Equal(events + 200, done.GetProperty("job").GetProperty("result").GetProperty("rows").GetInt64());
    }
}
