using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace AgentOps.Approvals;

/// <summary>
/// What a step's approval request answers: the SHA-256 of the canonical JSON of the check's action and context
/// (object keys sorted by ordinal, no whitespace, strings and numbers as sent), so the same action re-serialized in
/// another key order is the same question and any other action or context is not. With the agent and the policy it
/// is compared when a check names a step that already has a request (ApprovalRequests.RequestAsync).
/// </summary>
public static class StepFingerprint
{
    /// <summary>The fingerprint's length in bytes (SHA-256).</summary>
    public const int Length = 32;

    /// <summary>The fingerprint of {"action": action, "context": context}; a null or absent context is JSON null.</summary>
    public static byte[] Of(JsonElement action, JsonElement? context)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = false }))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("action");
            WriteCanonical(writer, action);
            writer.WritePropertyName("context");
            if (context is { } c) WriteCanonical(writer, c);
            else writer.WriteNullValue();
            writer.WriteEndObject();
        }
        return SHA256.HashData(buffer.WrittenSpan);
    }

    /// <summary>The canonical JSON of one value, as UTF-8 (for tests and the fingerprint).</summary>
    public static string Canonical(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) WriteCanonical(writer, value);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                // The input gate refuses duplicate keys, so sorting by name is a total order.
                foreach (var property in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray()) WriteCanonical(writer, item);
                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(value.GetString());
                break;
            default:
                // Numbers as sent (1.0 and 1 are different questions), true, false, null.
                value.WriteTo(writer);
                break;
        }
    }
}
