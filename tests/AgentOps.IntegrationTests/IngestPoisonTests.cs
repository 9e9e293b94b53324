using AgentOps.Controls;
using AgentOps.Ingest;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform;
using AgentOps.Platform.Database;
using AgentOps.SelfHost;
using AgentOps.SelfHost.Ingest;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentOps.IntegrationTests;

/// <summary>
/// A batch the database refuses, accepted among valid ones from several organizations and processed by several
/// concurrent workers: every valid acknowledged event is stored exactly once, and only the refused batch is set aside,
/// once. The door refuses what Postgres cannot store, so the poison here is put on the queue behind it, as a parser gap
/// would.
/// </summary>
[Collection(ApiCollection.Name)]
public class IngestPoisonTests(ApiFixture fx)
{
    private const int Rounds = 12, Orgs = 3, ValidBatchesPerOrg = 10, PoisonBatchesPerOrg = 2, EventsPerBatch = 4;

    [Fact]
    public async Task Poison_batches_among_valid_ones_cost_no_valid_event_and_are_set_aside_once()
    {
        using var client = fx.Client();
        var orgs = new List<(Guid Org, Guid Agent)>();
        for (var o = 0; o < Orgs; o++)
        {
            var (tenant, _) = await client.SdkTenantAsync();
            orgs.Add((tenant.OrgId, (await client.Post("/api/v1/agents", new { name = "poison-test" }, tenant.AdminToken)).Expect(201).Id()));
        }
        var orgIds = orgs.Select(o => o.Org).ToArray();
        var services = fx.Factory.Services;
        var sink = services.GetRequiredService<IAcceptedBatchSink>();
        // Four more worker loops beside the server's own two, taking a few batches per transaction: many groups, many
        // concurrent failures and isolations.
        var options = services.GetRequiredService<SelfHostOptions>() with { IngestWorkers = 4, IngestBatchesPerTransaction = 4 };
        var extra = new IngestWorker(services.GetRequiredService<Db>(), services.GetRequiredService<BatchProcessor>(), services.GetRequiredService<IngestSignal>(),
            options, services.GetRequiredService<ILogger<IngestWorker>>());
        await extra.StartAsync(CancellationToken.None);
        var report = new List<string>();
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                var valid = new HashSet<string>(StringComparer.Ordinal);
                var batches = new List<(Guid Org, IngestEvent[] Events)>();
                foreach (var (org, agent) in orgs)
                {
                    for (var b = 0; b < ValidBatchesPerOrg; b++)
                    {
                        var events = Enumerable.Range(0, EventsPerBatch).Select(i => Event($"r{round}-{org:N}-{b}-{i}", $"run-{round}-{b}", agent, null)).ToArray();
                        valid.UnionWith(events.Select(e => e.Id));
                        batches.Add((org, events));
                    }
                    for (var p = 0; p < PoisonBatchesPerOrg; p++)
                        // A lone surrogate escape: jsonb refuses it (22P02), like anything the door would miss.
                        batches.Add((org, [Event($"poison-r{round}-{org:N}-{p}", $"run-{round}-poison", agent, """{"a":"\ud800"}""")]));
                }
                var shuffled = batches.OrderBy(_ => Random.Shared.Next()).ToList();
                await Task.WhenAll(shuffled.Select(b => Task.Run(() => sink.AcceptAsync(b.Org, b.Events, CancellationToken.None))));

                await WaitForQueueToDrainAsync(orgIds);
                var stored = await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl,
                    "SELECT count(*) FROM events WHERE org_id = ANY($1) AND id LIKE $2", orgIds, $"r{round}-%");
                var storedIds = await ListAsync("SELECT id FROM events WHERE org_id = ANY($1) AND id LIKE $2", orgIds, $"r{round}-%");
                var folded = await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl,
                    "SELECT coalesce(sum(event_count), 0)::bigint FROM runs WHERE org_id = ANY($1) AND id LIKE $2 AND id NOT LIKE '%poison'", orgIds, $"run-{round}-%");
                var setAside = await ListAsync("SELECT id::text FROM ingest_dead_letters WHERE org_id = ANY($1) AND convert_from(payload, 'UTF8') LIKE $2",
                    orgIds, $"%\"r{round}-%");
                var poisonSetAside = await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl,
                    "SELECT count(*) FROM ingest_dead_letters WHERE org_id = ANY($1) AND convert_from(payload, 'UTF8') LIKE $2", orgIds, $"%\"poison-r{round}-%");
                report.Add($"ingest poison round {round + 1}: acknowledged valid events {valid.Count}, stored {stored}, folded into runs {folded}; " +
                           $"poison batches {Orgs * PoisonBatchesPerOrg}, set aside {poisonSetAside}; valid batches set aside {setAside.Count}");

                Assert.True(setAside.Count == 0, $"round {round}: valid batches were set aside: {string.Join(", ", setAside)}");
                Assert.Equal(valid.Count, stored);
                Assert.Empty(valid.Except(storedIds));
                Assert.Equal(valid.Count, folded);
                Assert.Equal(Orgs * PoisonBatchesPerOrg, poisonSetAside);
            }
            var moves = fx.Logs.Lines.Count(l => l.Contains("to ingest_dead_letters", StringComparison.Ordinal) && orgIds.Any(o => l.Contains(o.ToString(), StringComparison.Ordinal)));
            Assert.Equal(Rounds * Orgs * PoisonBatchesPerOrg, moves);
        }
        finally
        {
            await extra.StopAsync(CancellationToken.None);
            TestReport.Write("ingest-poison.txt", report);
        }
    }

    private static IngestEvent Event(string id, string runId, Guid agent, string? metadata) => new()
    {
        Id = id, Type = EventTypes.Log, Timestamp = DateTimeOffset.UtcNow.AddMinutes(-5), RunId = runId, AgentId = agent, Metadata = metadata,
    };

    private static async Task WaitForQueueToDrainAsync(Guid[] orgIds)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(50))
            if (await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM ingest_batches WHERE org_id = ANY($1)", orgIds) == 0) return;
        Assert.Fail("the accepted batches were not all processed or set aside within 60 s");
    }

    private static async Task<List<string>> ListAsync(string sql, params object[] args)
    {
        await using var connection = await TestDatabase.OpenAsync(TestDatabase.OwnerUrl);
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        foreach (var a in args) command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = a });
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        return rows;
    }
}
