using System.Collections.Concurrent;
using AgentOps.IntegrationTests.Infrastructure;
using static AgentOps.IntegrationTests.Infrastructure.Ingesting;

namespace AgentOps.IntegrationTests;

/// <summary>kill -9 under load, restart: every acknowledged event is stored exactly once.</summary>
[Collection(ApiCollection.Name)]
public class CrashTests(ApiFixture fx)
{
    [Fact]
    public async Task No_batch_is_acknowledged_before_it_is_committed()
    {
        using var client = fx.Client();
        var (_, key) = await client.SdkTenantAsync();
        // Hold the accepted-batches table: the batch can be queued but not committed.
        await using var blocker = await TestDatabase.OpenAsync(TestDatabase.OwnerUrl);
        await using var hold = await blocker.BeginTransactionAsync();
        await using (var l = new Npgsql.NpgsqlCommand("LOCK TABLE ingest_batches IN EXCLUSIVE MODE", blocker, hold)) await l.ExecuteNonQueryAsync();
        var pending = client.IngestAsync(key, Event("held-1", "log", 0, "held"));
        var finished = await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(2)));
        Assert.True(finished != pending, $"answered while the batch could not be committed: {(finished == pending ? await pending : null)}");
        await hold.RollbackAsync();
        (await pending).Expect(202);
        await client.WaitForRunAsync(key, "held");
    }

    [Fact]
    public async Task A_server_killed_under_load_loses_and_duplicates_nothing_it_acknowledged()
    {
        var acked = new ConcurrentBag<string>();
        Guid orgId;
        string key;
        await using (var first = ServerProcess.Start(TestDatabase.AppUrl))
        {
            using var http = await first.WaitReadyAsync();
            var (tenant, sdkKey) = await http.SdkTenantAsync();
            (orgId, key) = (tenant.OrgId, sdkKey);
            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, 6).Select(c => Task.Run(async () =>
            {
                using var client = new HttpClient { BaseAddress = first.Url, Timeout = TimeSpan.FromSeconds(10) };
                for (var b = 0; !stop.IsCancellationRequested; b++)
                {
                    var ids = Enumerable.Range(0, 50).Select(i => $"crash-{c}-{b}-{i}").ToArray();
                    // Each batch is one run of 50 events, one of them an LLM call with the client's cost ($0.001): every rollup has
                    // something that would show a batch folded twice.
                    var events = ids.Select((id, i) => i switch
                    {
                        0 => Event(id, "run.start", i, $"crash-run-{c}-{b}", agent: "crash-agent"),
                        1 => Event(id, "llm.call", i, $"crash-run-{c}-{b}", agent: "crash-agent", extra: new { model = "gpt-4o", tokens_in = 10, cost_usd = 0.001 }),
                        _ => Event(id, "log", i, $"crash-run-{c}-{b}", agent: "crash-agent"),
                    }).ToArray();
                    try
                    {
                        var reply = await client.IngestAsync(key, events);
                        if (reply.Code == 202) foreach (var id in ids) acked.Add(id);
                    }
                    catch (HttpRequestException) { return; } // the server is gone
                    catch (TaskCanceledException) { return; }
                }
            })).ToArray();
            // Let acknowledged batches pile up in every stage (accepted, being processed, stored), then crash.
            for (var deadline = DateTime.UtcNow.AddSeconds(20); acked.Count < 5000 && DateTime.UtcNow < deadline;) await Task.Delay(50);
            first.KillHard();
            await stop.CancelAsync();
            await Task.WhenAll(clients);
        }
        Assert.True(acked.Count >= 1000, $"only {acked.Count} events were acknowledged before the crash");

        await using var second = ServerProcess.Start(TestDatabase.AppUrl);
        using var restarted = await second.WaitReadyAsync();
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(100))
            if (await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM ingest_batches WHERE org_id = $1", orgId) == 0) break;

        await using var db = await TestDatabase.OpenAsync(TestDatabase.OwnerUrl);
        var stored = new HashSet<string>();
        await using (var cmd = new Npgsql.NpgsqlCommand("SELECT id FROM events WHERE org_id = $1", db) { Parameters = { new() { Value = orgId } } })
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) stored.Add(reader.GetString(0)); // events' primary key: an id is there once at most
        var lost = acked.Where(id => !stored.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged events were lost, e.g. {string.Join(", ", lost.Take(5))}");
        Assert.Equal(0, stored.Count % 50); // batches are stored whole or not at all

        // Nothing was folded twice: a batch processed again after the crash would double what ingest derives from it,
        // even though its events (by their key) are stored once. Every run is one batch of 50 events with one $0.001 call.
        Task<long> Scalar(string sql) => TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, sql, orgId);
        long runs = stored.Count / 50;
        Assert.Equal(runs, await Scalar("SELECT count(*) FROM runs WHERE org_id = $1"));
        Assert.Equal(0L, await Scalar("SELECT count(*) FROM runs WHERE org_id = $1 AND (event_count <> 50 OR llm_calls <> 1 OR tokens_in <> 10 OR cost_micros <> 1000)"));
        Assert.Equal(0L, await Scalar("""
            SELECT count(*) FROM runs r WHERE r.org_id = $1 AND r.event_count <> (SELECT count(*) FROM events e WHERE e.org_id = r.org_id AND e.run_id = r.id)
            """));
        Assert.Equal((long)stored.Count, await Scalar("SELECT sum(events)::bigint FROM agent_stats_hourly WHERE org_id = $1"));
        Assert.Equal(runs, await Scalar("SELECT sum(llm_calls)::bigint FROM agent_stats_hourly WHERE org_id = $1"));
        foreach (var (what, sql) in new[]
                 {
                     ("events", "SELECT sum(cost_micros)::bigint FROM events WHERE org_id = $1"),
                     ("runs", "SELECT sum(cost_micros)::bigint FROM runs WHERE org_id = $1"),
                     ("agent_stats_hourly", "SELECT sum(cost_micros)::bigint FROM agent_stats_hourly WHERE org_id = $1"),
                     ("cost_daily", "SELECT sum(cost_micros)::bigint FROM cost_daily WHERE org_id = $1"),
                     ("cost_daily calls", "SELECT sum(calls * 1000)::bigint FROM cost_daily WHERE org_id = $1"),
                 })
        {
            var total = await Scalar(sql);
            Assert.True(runs * 1000L == total, $"{what}: {total} µ$ for {runs} runs of one $0.001 call");
        }
    }

    [Fact]
    public async Task A_batch_that_cannot_be_stored_is_set_aside_and_the_queue_moves_on()
    {
        using var client = fx.Client();
        var (tenant, key) = await client.SdkTenantAsync();
        // A batch the database holds but no worker can decode, ahead of good ones in the queue.
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl,
            "INSERT INTO ingest_batches (id, org_id, event_count, payload) VALUES ($1, $2, 1, convert_to('not a batch', 'UTF8'))", Guid.NewGuid(), tenant.OrgId);
        (await client.IngestAsync(key, Event("after-poison", "log", 0, "after-poison"))).Expect(202);
        await client.WaitForRunAsync(key, "after-poison");
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline; await Task.Delay(100))
            if (await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM ingest_dead_letters WHERE org_id = $1", tenant.OrgId) == 1) return;
        Assert.Fail("the undecodable batch was not set aside");
    }
}
