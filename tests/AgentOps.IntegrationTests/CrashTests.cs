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
                    var events = ids.Select((id, i) => Event(id, i == 0 ? "run.start" : "log", i, $"crash-run-{c}-{b}", agent: "crash-agent")).ToArray();
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
            while (await reader.ReadAsync()) Assert.True(stored.Add(reader.GetString(0)), "an event is stored twice");
        var lost = acked.Where(id => !stored.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged events were lost, e.g. {string.Join(", ", lost.Take(5))}");
        // Run counters saw each stored event once.
        Assert.Equal((long)stored.Count, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT sum(event_count)::bigint FROM runs WHERE org_id = $1", orgId));
        Assert.Equal((long)stored.Count, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT sum(events)::bigint FROM agent_stats_hourly WHERE org_id = $1", orgId));
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
