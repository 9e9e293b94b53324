using System.Globalization;
using AgentOps.Ingest;
using Azure.Messaging.ServiceBus;

namespace AgentOps.Functions.Ingest;

/// <summary>
/// One accepted batch as a Service Bus message: the Azure twin of a row of the self-host's ingest_batches table.
/// <list type="bullet">
/// <item>MessageId: the batch id, a new UUID per batch. The queue's duplicate detection drops a second send of the same
/// message (the client library retrying a send whose acknowledgement was lost).</item>
/// <item>Application properties <c>org_id</c> (UUID) and <c>accepted_at</c> (ISO 8601, UTC), as strings.</item>
/// <item>Body: the <see cref="BatchCodec"/> payload (application/json) when it is at most <see cref="MaxInlineBytes"/>.
/// Larger payloads (up to about 5 MiB: the ingest body limit) are a claim check: the payload is stored first as the blob
/// <see cref="BlobName"/> of the <see cref="IngestBatchBlobs.ContainerName"/> container, the body stays empty and the
/// property <c>payload_blob</c> names the blob.</item>
/// </list>
/// </summary>
public static class IngestBatchMessage
{
    public const string OrgIdProperty = "org_id";
    public const string AcceptedAtProperty = "accepted_at";
    public const string PayloadBlobProperty = "payload_blob";

    /// <summary>
    /// Payloads above this go to Blob Storage. A Standard-tier message holds at most 256 KB in all (body, properties and
    /// headers); this leaves the rest ample room.
    /// </summary>
    public const int MaxInlineBytes = 192 * 1024;

    public static string BlobName(Guid orgId, Guid batchId) => $"{orgId:N}/{batchId:N}.json";

    /// <summary>The message for a batch; <paramref name="payloadBlob"/> when the payload was stored as that blob.</summary>
    public static ServiceBusMessage Create(Guid batchId, Guid orgId, DateTimeOffset acceptedAt, byte[] payload, string? payloadBlob)
    {
        var message = payloadBlob is null ? new ServiceBusMessage(BinaryData.FromBytes(payload)) { ContentType = "application/json" } : new ServiceBusMessage();
        message.MessageId = batchId.ToString();
        message.ApplicationProperties[OrgIdProperty] = orgId.ToString();
        message.ApplicationProperties[AcceptedAtProperty] = acceptedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        if (payloadBlob is not null) message.ApplicationProperties[PayloadBlobProperty] = payloadBlob;
        return message;
    }

    public sealed record Header(Guid BatchId, Guid OrgId, DateTimeOffset AcceptedAt, string? PayloadBlob);

    /// <summary>The batch a received message describes, or why it is not one this sink sent (it is then dead-lettered).</summary>
    public static (Header? Header, string? Problem) Read(ServiceBusReceivedMessage message)
    {
        string? Text(string name) => message.ApplicationProperties.TryGetValue(name, out var value) ? value as string : null;
        if (!Guid.TryParse(message.MessageId, out var batchId)) return (null, "MessageId is not a UUID.");
        if (!Guid.TryParse(Text(OrgIdProperty), out var orgId)) return (null, $"Property {OrgIdProperty} is missing or not a UUID.");
        if (!DateTimeOffset.TryParse(Text(AcceptedAtProperty), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var acceptedAt))
            return (null, $"Property {AcceptedAtProperty} is missing or not an ISO 8601 time.");
        var blob = Text(PayloadBlobProperty);
        // A claim check only ever names the blob this sink writes for this batch of this organization.
        if (blob is not null && blob != BlobName(orgId, batchId)) return (null, $"Property {PayloadBlobProperty} does not name this batch's blob.");
        return (new Header(batchId, orgId, acceptedAt, blob), null);
    }

    /// <summary>
    /// Whether <see cref="BatchProcessor"/> can decode the payload; checked before the transaction, so that one broken
    /// message is dead-lettered alone instead of failing the transaction of every batch received with it.
    /// </summary>
    public static string? DecodeProblem(byte[] payload)
    {
        try { return BatchCodec.Decode(payload) is null ? "The payload is JSON null, not an array of events." : null; }
        catch (System.Text.Json.JsonException e) { return $"The payload is not a BatchCodec array of events: {e.Message}"; }
    }
}
