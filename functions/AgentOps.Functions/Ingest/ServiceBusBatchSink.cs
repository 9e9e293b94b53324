using AgentOps.Ingest;
using Azure.Messaging.ServiceBus;

namespace AgentOps.Functions.Ingest;

/// <summary>
/// The Azure host's <see cref="IAcceptedBatchSink"/> (the self-host's is PostgresBatchQueue): each accepted batch
/// becomes one message on the IngestQueueName queue (<see cref="IngestBatchMessage"/>). It returns once Service Bus has
/// acknowledged the message, so the 202 still means "durable"; large payloads are stored in Blob Storage first, so a
/// message never names a blob that does not exist. <see cref="IngestBatchesFunction"/> processes the messages.
/// </summary>
public sealed class ServiceBusBatchSink(ServiceBusSender sender, IngestBatchBlobs blobs, TimeProvider time) : IAcceptedBatchSink
{
    public async Task AcceptAsync(Guid orgId, IngestEvent[] events, CancellationToken ct)
    {
        var batchId = Guid.CreateVersion7();
        var payload = BatchCodec.Encode(events);
        string? blob = null;
        if (payload.Length > IngestBatchMessage.MaxInlineBytes)
        {
            blob = IngestBatchMessage.BlobName(orgId, batchId);
            await blobs.PutAsync(blob, payload, ct);
        }
        await sender.SendMessageAsync(IngestBatchMessage.Create(batchId, orgId, time.GetUtcNow(), payload, blob), ct);
    }
}
