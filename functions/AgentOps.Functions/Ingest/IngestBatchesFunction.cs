using AgentOps.Ingest;
using AgentOps.Platform;
using AgentOps.Platform.Database;
using AgentOps.Platform.Http;
using Azure.Messaging.ServiceBus;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace AgentOps.Functions.Ingest;

/// <summary>
/// The Azure host's ingest worker (the self-host's is IngestWorker): accepted batches from the Service Bus queue go
/// through the same <see cref="BatchProcessor"/>, AGENTOPS_INGEST_BATCHES_PER_TRANSACTION batches per transaction, and
/// their messages are completed only after the commit. Processing is idempotent (a re-sent event id changes nothing),
/// so every failure can simply let Service Bus deliver the message again:
/// <list type="bullet">
/// <item>a message that is not a batch, or whose payload is missing or does not decode, is dead-lettered at once with
/// the reason (<c>not_an_ingest_batch</c>, <c>payload_missing</c>, <c>payload_undecodable</c>);</item>
/// <item>a transaction that fails is retried one batch per transaction, so a batch that cannot be processed holds back
/// only itself; a batch that still fails because of its data (<see cref="BatchProcessor.IsPoison"/>, the self-host's
/// rule too) is dead-lettered as <c>unprocessable</c>; any other failure is abandoned, and Service Bus dead-letters it
/// after the queue's maxDeliveryCount (MaxDeliveryCountExceeded);</item>
/// <item>settlement or a crash after the commit means a redelivery that stores nothing twice.</item>
/// </list>
/// Batch triggers do not renew message locks: batches whose lock would end before they are processed are abandoned
/// (redelivered at once) rather than processed for nothing.
/// </summary>
public sealed class IngestBatchesFunction(Db db, BatchProcessor processor, Controls.ControlEffects effects, IngestBatchBlobs blobs, AgentOpsOptions options, TimeProvider time,
    ILogger<IngestBatchesFunction> logger)
{
    private static readonly TimeSpan LockMargin = TimeSpan.FromSeconds(20);

    private sealed record Received(ServiceBusReceivedMessage Message, AcceptedBatch Batch, string? PayloadBlob);

    [Function("IngestBatches")]
    public async Task Run(
        [ServiceBusTrigger("%IngestQueueName%", Connection = "ServiceBusConnection", IsBatched = true, AutoCompleteMessages = false)] ServiceBusReceivedMessage[] messages,
        ServiceBusMessageActions actions, CancellationToken ct)
    {
        var received = new List<Received>(messages.Length);
        foreach (var message in messages)
            if (await ReadAsync(message, actions, ct) is { } batch) received.Add(batch);

        var chunks = received.Chunk(options.IngestBatchesPerTransaction).ToList();
        for (var i = 0; i < chunks.Count; i++)
        {
            if (chunks[i].Min(r => r.Message.LockedUntil) - time.GetUtcNow() < LockMargin)
            {
                foreach (var r in chunks.Skip(i).SelectMany(c => c)) await actions.AbandonMessageAsync(r.Message, cancellationToken: ct);
                return;
            }
            await ProcessAsync(chunks[i], actions, ct);
        }
    }

    /// <summary>The batch a message carries; null when the message was dead-lettered or abandoned instead.</summary>
    private async Task<Received?> ReadAsync(ServiceBusReceivedMessage message, ServiceBusMessageActions actions, CancellationToken ct)
    {
        var (header, problem) = IngestBatchMessage.Read(message);
        if (header is null)
        {
            await DeadLetterAsync(message, actions, "not_an_ingest_batch", problem!, ct);
            return null;
        }
        byte[]? payload;
        try
        {
            payload = header.PayloadBlob is { } name ? await blobs.GetAsync(name, ct) : message.Body.ToArray();
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Storage did not answer: nothing is wrong with the message.
            logger.LogWarning("Could not read the payload of ingest batch {BatchId}, it will be delivered again: {Error}", header.BatchId, e.Message);
            await actions.AbandonMessageAsync(message, cancellationToken: ct);
            return null;
        }
        if (payload is null)
        {
            await DeadLetterAsync(message, actions, "payload_missing", $"Blob {header.PayloadBlob} of container {IngestBatchBlobs.ContainerName} does not exist.", ct);
            return null;
        }
        if (IngestBatchMessage.DecodeProblem(payload) is { } undecodable)
        {
            await DeadLetterAsync(message, actions, "payload_undecodable", undecodable, ct);
            return null;
        }
        return new Received(message, new AcceptedBatch(header.BatchId, header.OrgId, header.AcceptedAt, payload), header.PayloadBlob);
    }

    /// <summary>One transaction for the batches (BatchProcessor sets each organization itself), then settle them.</summary>
    private async Task ProcessAsync(Received[] batches, ServiceBusMessageActions actions, CancellationToken ct)
    {
        try
        {
            var result = await db.InOrgAsync(Guid.Empty, tx => processor.ProcessAsync(tx, [.. batches.Select(r => r.Batch)], ct), ct);
            foreach (var (org, rejected) in result.Paused) effects.Committed(org, rejected);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            if (batches.Length > 1)
            {
                logger.LogWarning("Processing {Batches} ingest batches failed, retrying them one per transaction: {Error}", batches.Length, ErrorHandlingMiddleware.SafeMessage(e));
                foreach (var one in batches) await ProcessAsync([one], actions, ct);
                return;
            }
            if (BatchProcessor.IsPoison(e))
            {
                await DeadLetterAsync(batches[0].Message, actions, "unprocessable", ErrorHandlingMiddleware.SafeMessage(e), ct);
                return;
            }
            logger.LogWarning("Ingest batch {BatchId} failed (delivery {Delivery}), it will be delivered again: {Error}",
                batches[0].Batch.Id, batches[0].Message.DeliveryCount, ErrorHandlingMiddleware.SafeMessage(e));
            await actions.AbandonMessageAsync(batches[0].Message, cancellationToken: ct);
            return;
        }
        foreach (var r in batches)
        {
            await actions.CompleteMessageAsync(r.Message, ct);
            if (r.PayloadBlob is { } name) await DeleteClaimCheckAsync(name, ct);
        }
    }

    private async Task DeadLetterAsync(ServiceBusReceivedMessage message, ServiceBusMessageActions actions, string reason, string description, CancellationToken ct)
    {
        logger.LogError("Dead-lettering message {MessageId}: {Reason}: {Description}", message.MessageId, reason, description);
        await actions.DeadLetterMessageAsync(message, deadLetterReason: reason, deadLetterErrorDescription: description, cancellationToken: ct);
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
