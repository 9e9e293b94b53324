using System.Globalization;
using System.Text.Json;
using AgentOps.Ingest;

namespace AgentOps.Functions.Ingest;

/// <summary>
/// One accepted batch as an Azure Storage queue message: the Azure twin of a row of the self-host's ingest_batches
/// table. The message text is a UTF-8 JSON envelope, base64-encoded on the wire (the queue trigger's default
/// messageEncoding, and the client's: <see cref="AzureServices"/>):
/// <code>{"batch_id": uuid, "org_id": uuid, "accepted_at": ISO 8601 UTC, "events": [ BatchCodec events ]}</code>
/// or, when that envelope would exceed <see cref="MaxEnvelopeBytes"/>, a claim check: the payload is stored first as
/// the blob <see cref="BlobName"/> of the <see cref="IngestBatchBlobs.ContainerName"/> container and the envelope
/// carries <c>"payload_blob": name</c> instead of <c>events</c>. Storage queues have no message properties and no
/// duplicate detection: a batch sent twice (a send retried after a lost acknowledgement) is processed twice, which
/// stores nothing twice (event ids are unique).
/// </summary>
public static class IngestBatchMessage
{
    /// <summary>The queue service's limit on one message as sent (base64 text included): 64 KiB.</summary>
    public const int QueueMessageLimitBytes = 64 * 1024;

    /// <summary>
    /// The largest envelope sent inline: base64 turns every 3 bytes into 4 characters, so 48 KiB of JSON is 64 KiB on
    /// the wire. Larger envelopes (ingest bodies go up to AGENTOPS_INGEST_MAX_REQUEST_BYTES) travel as claim checks.
    /// </summary>
    public const int MaxEnvelopeBytes = QueueMessageLimitBytes / 4 * 3;

    public static string BlobName(Guid orgId, Guid batchId) => $"{orgId:N}/{batchId:N}.json";

    /// <summary>The envelope of a batch: <paramref name="payload"/> inline, or the name of the blob that holds it.</summary>
    public static byte[] Create(Guid batchId, Guid orgId, DateTimeOffset acceptedAt, byte[] payload, string? payloadBlob)
    {
        using var buffer = new MemoryStream(payloadBlob is null ? payload.Length + 160 : 256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("batch_id", batchId);
            json.WriteString("org_id", orgId);
            json.WriteString("accepted_at", acceptedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            if (payloadBlob is null)
            {
                json.WritePropertyName("events");
                json.WriteRawValue(payload, skipInputValidation: true); // BatchCodec wrote it
            }
            else json.WriteString("payload_blob", payloadBlob);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>What an envelope says: the batch, and its payload inline (<see cref="Inline"/>) or as a blob.</summary>
    public sealed record Header(Guid BatchId, Guid OrgId, DateTimeOffset AcceptedAt, byte[]? Inline, string? PayloadBlob);

    /// <summary>The batch a message describes, or why it is not one this sink sent (it is then set aside).</summary>
    public static (Header? Header, string? Problem) Read(BinaryData body)
    {
        try
        {
            using var document = JsonDocument.Parse(body.ToMemory());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, "The message is not a JSON object.");
            string? Text(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            if (!Guid.TryParse(Text("batch_id"), out var batchId)) return (null, "batch_id is missing or not a UUID.");
            if (!Guid.TryParse(Text("org_id"), out var orgId)) return (null, "org_id is missing or not a UUID.");
            if (!DateTimeOffset.TryParse(Text("accepted_at"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var acceptedAt))
                return (null, "accepted_at is missing or not an ISO 8601 time.");
            var blob = Text("payload_blob");
            var inline = root.TryGetProperty("events", out var events) ? System.Text.Encoding.UTF8.GetBytes(events.GetRawText()) : null;
            if ((blob is null) == (inline is null)) return (null, "The message must carry exactly one of events and payload_blob.");
            // A claim check only ever names the blob the sink writes for this batch of this organization.
            if (blob is not null && blob != BlobName(orgId, batchId)) return (null, "payload_blob does not name this batch's blob.");
            return (new Header(batchId, orgId, acceptedAt, inline, blob), null);
        }
        catch (JsonException) { return (null, "The message is not JSON."); }
    }

    /// <summary>Whether <see cref="BatchProcessor"/> can decode the payload (<see cref="BatchCodec.Decode"/> decides); null when it can.</summary>
    public static string? DecodeProblem(byte[] payload)
    {
        try
        {
            BatchCodec.Decode(payload);
            return null;
        }
        catch (JsonException e) { return $"The payload is not a BatchCodec array of events: {e.Message}"; }
    }
}
