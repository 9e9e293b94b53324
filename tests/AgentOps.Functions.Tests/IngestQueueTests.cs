using System.Text.Json;
using AgentOps.Functions.Ingest;
using AgentOps.Functions.Tests.Infrastructure;
using AgentOps.IntegrationTests.Infrastructure;
using Azure.Storage.Blobs;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Functions.Tests;

/// <summary>
/// The ingest queue against Azurite with the real storage clients: the sink behind POST /api/v1/ingest writes the
/// message (inline, or a claim check above the message limit), the IngestBatches trigger stores it, and what cannot
/// be stored ends on the poison queue — at once when retrying cannot help, after host.json's maxDequeueCount
/// deliveries otherwise — unchanged, so it can be replayed. Its own host: no other test's messages reach its queue.
/// </summary>
public sealed class IngestQueueTests : IAsyncLifetime
{
    private AzureHost _host = null!;
    private HttpClient _client = null!;
    private QueueTriggerHost _trigger = null!;

    public async Task InitializeAsync()
    {
        await AzureHost.MigrateAsync();
        _host = await AzureHost.StartAsync();
        _client = _host.Client();
        _trigger = new QueueTriggerHost(TestStorage.ConnectionString, _host.IngestQueue);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task Run(QueueMessage message, IServiceProvider? services = null) =>
        ActivatorUtilities.CreateInstance<IngestBatchesFunction>(services ?? _host.Services).Run(message, CancellationToken.None);

    private static BlobContainerClient ClaimChecks => new(TestStorage.ConnectionString, IngestBatchBlobs.ContainerName);

    [Fact]
    public async Task A_small_batch_travels_inline_and_is_stored_once_delivered()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        (await _client.IngestAsync(key, Ingesting.Event("s-1", "run.start", 0, "run-inline"), Ingesting.Event("s-2", "run.end", 1, "run-inline", extra: new { status = "success" }))).Expect(202);

        var message = Assert.Single((await _trigger.Queue.PeekMessagesAsync(32)).Value);
        var envelope = JsonDocument.Parse(message.Body.ToString()).RootElement;
        Assert.Equal(tenant.OrgId, envelope.GetProperty("org_id").GetGuid());
        Assert.Equal(2, envelope.GetProperty("events").GetArrayLength());
        Assert.False(envelope.TryGetProperty("payload_blob", out _));

        Assert.Equal(Delivery.Completed, await _trigger.DeliverOnceAsync(m => Run(m)));
        await _client.WaitForRunAsync(key, "run-inline", seconds: 5);
        Assert.Equal(2L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM events WHERE org_id = $1", tenant.OrgId));
        Assert.Null(await _trigger.DeliverOnceAsync(m => Run(m)));
    }

    [Fact]
    public async Task A_batch_over_the_message_limit_is_a_claim_check_whose_blob_goes_once_stored()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        var events = Enumerable.Range(0, 400).Select(i => Ingesting.Event($"big-{i}", "tool.call", i, "run-big", extra: new { name = $"tool {i} {new string('t', 150)}" })).ToArray();
        (await _client.IngestAsync(key, events)).Expect(202);

        var peeked = Assert.Single((await _trigger.Queue.PeekMessagesAsync(32)).Value);
        var envelope = JsonDocument.Parse(peeked.Body.ToString()).RootElement;
        var blob = envelope.GetProperty("payload_blob").GetString()!;
        Assert.Equal(IngestBatchMessage.BlobName(tenant.OrgId, envelope.GetProperty("batch_id").GetGuid()), blob);
        Assert.False(envelope.TryGetProperty("events", out _));
        Assert.True((await ClaimChecks.GetBlobClient(blob).GetPropertiesAsync()).Value.ContentLength > IngestBatchMessage.MaxEnvelopeBytes);

        Assert.Equal(Delivery.Completed, await _trigger.DeliverOnceAsync(m => Run(m)));
        Assert.Equal(400L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM events WHERE org_id = $1", tenant.OrgId));
        Assert.False((await ClaimChecks.GetBlobClient(blob).ExistsAsync()).Value);
    }

    [Fact]
    public void The_inline_limit_leaves_room_for_base64_under_the_64_KiB_message_limit()
    {
        Assert.Equal(IngestBatchMessage.QueueMessageLimitBytes, Convert.ToBase64String(new byte[IngestBatchMessage.MaxEnvelopeBytes]).Length);
        Assert.True(Convert.ToBase64String(new byte[IngestBatchMessage.MaxEnvelopeBytes]).Length <= IngestBatchMessage.QueueMessageLimitBytes);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("[1, 2, 3]")]
    [InlineData("{\"batch_id\": \"nope\"}")]
    public async Task A_message_that_is_not_a_batch_is_set_aside_unchanged_at_the_first_delivery(string text)
    {
        await _trigger.Queue.SendMessageAsync(text);
        Assert.Equal(Delivery.Completed, await _trigger.DeliverOnceAsync(m => Run(m)));
        var poisoned = Assert.Single(await _trigger.ReceiveAllAsync(_trigger.Poison));
        Assert.Equal(text, poisoned.Body.ToString());
        Assert.Contains(_host.Logs.Lines, l => l.Contains("not_an_ingest_batch"));
    }

    [Fact]
    public async Task A_claim_check_whose_blob_is_gone_and_a_batch_that_fails_on_its_data_are_set_aside()
    {
        // A batch Postgres refuses on its data every time (a lone surrogate in jsonb, class 22): the door refuses such
        // input, so it is put on the queue behind it, as a parser gap would let it through.
        var tenant = await _client.SignupAsync();
        var agent = (await _client.Post("/api/v1/agents", new { name = "poison" }, tenant.AdminToken)).Expect(201).Id();
        var refused = new AgentOps.Ingest.IngestEvent
        {
            Id = "poison-1", Type = "run.start", Timestamp = DateTimeOffset.UtcNow, RunId = "run-poison", AgentId = agent, Metadata = """{"a":"\ud800"}""",
        };
        await _trigger.Queue.SendMessageAsync(BinaryData.FromBytes(IngestBatchMessage.Create(Guid.NewGuid(), tenant.OrgId, DateTimeOffset.UtcNow,
            AgentOps.Ingest.BatchCodec.Encode([refused]), null)));
        var org = Guid.NewGuid();
        // A blob name that is not its batch's: not one of ours, refused before any blob is read.
        var foreign = IngestBatchMessage.Create(Guid.NewGuid(), org, DateTimeOffset.UtcNow, [], IngestBatchMessage.BlobName(org, Guid.NewGuid()));
        await _trigger.Queue.SendMessageAsync(BinaryData.FromBytes(foreign));
        // Its own blob, gone (deleted by hand, or by the lifecycle rule).
        var batch = Guid.NewGuid();
        var gone = IngestBatchMessage.Create(batch, org, DateTimeOffset.UtcNow, [], IngestBatchMessage.BlobName(org, batch));
        await _trigger.Queue.SendMessageAsync(BinaryData.FromBytes(gone));

        for (var i = 0; i < 3; i++) Assert.Equal(Delivery.Completed, await _trigger.DeliverOnceAsync(m => Run(m)));
        var poisoned = (await _trigger.ReceiveAllAsync(_trigger.Poison)).Select(m => m.Body.ToString()).ToHashSet();
        Assert.Equal(3, poisoned.Count);
        foreach (var reason in new[] { "not_an_ingest_batch", "payload_missing", "unprocessable" })
            Assert.Contains(_host.Logs.Lines, l => l.Contains(reason));
    }

    [Fact]
    public async Task A_batch_that_keeps_failing_reaches_the_poison_queue_after_maxDequeueCount_and_replays_from_there()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        (await _client.IngestAsync(key, Ingesting.Event("p-1", "run.start", 0, "run-replay"))).Expect(202);
        var sent = Assert.Single((await _trigger.Queue.PeekMessagesAsync(32)).Value).Body.ToString();

        // The database does not answer: every delivery throws, so the host keeps the message and finally poisons it.
        await using (var down = await AzureHost.StartAsync(s => s["AGENTOPS_DATABASE_URL"] = "postgresql://agentops_app:x@127.0.0.1:9/agentops"))
        {
            var deadDb = down.Services.GetRequiredService<AgentOps.Platform.Database.Db>();
            Task Failing(QueueMessage m) => ActivatorUtilities.CreateInstance<IngestBatchesFunction>(_host.Services, deadDb).Run(m, CancellationToken.None);
            for (var delivery = 1; delivery < QueueTriggerHost.MaxDequeueCount; delivery++)
                Assert.Equal(Delivery.Failed, await _trigger.DeliverOnceAsync(Failing));
            Assert.Equal(Delivery.Poisoned, await _trigger.DeliverOnceAsync(Failing));
        }
        Assert.Null(await _trigger.DeliverOnceAsync(m => Run(m)));
        Assert.Equal(0L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM events WHERE org_id = $1", tenant.OrgId));

        // Nothing accepted is lost: the poison message is the message as sent, and sending it back stores the batch.
        var poisoned = Assert.Single(await _trigger.ReceiveAllAsync(_trigger.Poison));
        Assert.Equal(sent, poisoned.Body.ToString());
        await _trigger.Queue.SendMessageAsync(poisoned.Body);
        Assert.Equal(Delivery.Completed, await _trigger.DeliverOnceAsync(m => Run(m)));
        Assert.Equal(1L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM events WHERE org_id = $1", tenant.OrgId));
    }
}
