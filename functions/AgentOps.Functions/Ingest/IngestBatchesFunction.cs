using AgentOps.Ingest;
using AgentOps.Platform;
using AgentOps.Platform.Database;
using AgentOps.Platform.Http;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace AgentOps.Functions.Ingest;

/// <summary>The ingest queue and its poison queue ("&lt;queue&gt;-poison", the name the Functions host uses too).</summary>
public sealed record IngestQueues(QueueClient Batches, QueueClient Poison)
{
    public static string PoisonName(string queue) => queue + "-poison";
}

/// <summary>
/// The Azure host's ingest worker (the self-host's is IngestWorker): each message of the ingest queue is one accepted
/// batch, processed by the same <see cref="BatchProcessor"/> in its own transaction. The Functions host deletes the
/// message only when this returns, so an accepted batch is never lost; processing is idempotent (a re-sent event id
/// changes nothing), so a redelivery after a crash or a failed delete stores nothing twice.
/// <list type="bullet">
/// <item>A message that is not a batch, whose claim-check blob is missing, whose payload does not decode, or whose
/// batch fails because of its data (<see cref="PoisonBatches"/>: the application's policy, which the self-host's workers
/// apply too) is set aside at once on the poison queue, unchanged, with the reason in the log: retrying it could never
/// succeed.</item>
/// <item>Any other failure (Postgres or Blob Storage unavailable) throws: the message becomes visible again after
/// host.json's queues.visibilityTimeout and, after queues.maxDequeueCount deliveries, the host moves it to the same
/// poison queue.</item>
/// </list>
/// A message on the poison queue can be replayed by sending its text to the ingest queue again.
/// </summary>
public sealed class IngestBatchesFunction(Db db, BatchProcessor processor, IngestBatchBlobs blobs, IngestQueues queues,
    ILogger<IngestBatchesFunction> logger)
{
    [Function("IngestBatches")]
    public async Task Run([QueueTrigger("%" + AzureServices.IngestQueueSetting + "%", Connection = AzureServices.StorageConnection)] QueueMessage message,
        CancellationToken ct)
    {
        var (header, problem) = IngestBatchMessage.Read(message.Body);
        if (header is null)
        {
            await SetAsideAsync(message, "not_an_ingest_batch", problem!, ct);
            return;
        }
        var payload = header.PayloadBlob is { } name ? await blobs.GetAsync(name, ct) : header.Inline;
        if (payload is null)
        {
            await SetAsideAsync(message, "payload_missing", $"Blob {header.PayloadBlob} of container {IngestBatchBlobs.ContainerName} does not exist.", ct);
            return;
        }
        if (IngestBatchMessage.DecodeProblem(payload) is { } undecodable)
        {
            await SetAsideAsync(message, "payload_undecodable", undecodable, ct);
            return;
        }
        AloneOutcome outcome;
        try
        {
            outcome = await db.AcrossOrgsAsync(orgs => PoisonBatches.ProcessAloneAsync(processor, orgs,
                new AcceptedBatch(header.BatchId, header.OrgId, header.AcceptedAt, payload), ct), ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Ingest batch {BatchId} failed (delivery {Delivery}), it will be delivered again: {Error}",
                header.BatchId, message.DequeueCount, SafeErrors.Message(e));
            throw;
        }
        if (outcome.Processed is null)
        {
            await SetAsideAsync(message, "unprocessable", outcome.PoisonReason!, ct);
            return;
        }
        if (header.PayloadBlob is { } processed) await DeleteClaimCheckAsync(processed, ct);
    }

    /// <summary>
    /// Copies the message to the poison queue as it is (its claim-check blob stays) and returns, so the host deletes
    /// the original. A copy that fails throws, and the host delivers the message again.
    /// </summary>
    private async Task SetAsideAsync(QueueMessage message, string reason, string description, CancellationToken ct)
    {
        logger.LogError("Setting ingest message {MessageId} aside on {PoisonQueue}: {Reason}: {Description}", message.MessageId, queues.Poison.Name, reason, description);
        await queues.Poison.SendMessageAsync(message.Body, visibilityTimeout: null, timeToLive: StorageQueueBatchSink.NeverExpires, ct);
    }

    private async Task DeleteClaimCheckAsync(string name, CancellationToken ct)
    {
        try { await blobs.DeleteAsync(name, ct); }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Could not delete processed payload blob {Blob}; the container's lifecycle rule will: {Error}", name, e.Message);
        }
    }
}
