using AgentOps.Ingest;
using Azure.Storage.Queues;

namespace AgentOps.Functions.Ingest;

/// <summary>
/// The Azure host's <see cref="IAcceptedBatchSink"/> (the self-host's is PostgresBatchQueue): each accepted batch
/// becomes one message on the IngestQueueName storage queue (<see cref="IngestBatchMessage"/>). It returns once the
/// queue service has stored the message, so the 202 still means "durable"; a payload too large for a message is
/// stored in Blob Storage first, so a message never names a blob that does not exist. Messages never expire (a
/// time-to-live of -1): an outage of the trigger must not silently drop accepted batches after the default 7 days.
/// <see cref="IngestBatchesFunction"/> processes the messages.
/// </summary>
public sealed class StorageQueueBatchSink(QueueClient queue, IngestBatchBlobs blobs, TimeProvider time) : IAcceptedBatchSink
{
    public static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    public async Task AcceptAsync(Guid orgId, IngestEvent[] events, CancellationToken ct)
    {
        var batchId = Guid.CreateVersion7();
        var acceptedAt = time.GetUtcNow();
        var payload = BatchCodec.Encode(events);
        var envelope = IngestBatchMessage.Create(batchId, orgId, acceptedAt, payload, payloadBlob: null);
        if (envelope.Length > IngestBatchMessage.MaxEnvelopeBytes)
        {
            var blob = IngestBatchMessage.BlobName(orgId, batchId);
            await blobs.PutAsync(blob, payload, ct);
            envelope = IngestBatchMessage.Create(batchId, orgId, acceptedAt, payload, blob);
        }
        await queue.SendMessageAsync(BinaryData.FromBytes(envelope), visibilityTimeout: null, timeToLive: NeverExpires, ct);
    }
}
