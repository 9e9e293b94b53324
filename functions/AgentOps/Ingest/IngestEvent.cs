using System.Text.Json.Serialization;

namespace AgentOps.Ingest;

/// <summary>
/// One event as the platform stores it: validated, its agent resolved to an id, large payloads moved to the blob
/// store. This is the unit that accepted batches carry from the front door to the workers (self-host: the
/// ingest_batches table; Azure: a storage queue), so it holds inputs only — cost is computed when the batch is processed.
/// </summary>
public sealed record IngestEvent
{
    public required string Id { get; init; }
    public required string Type { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required string RunId { get; init; }
    public required Guid AgentId { get; init; }
    public string? ParentId { get; init; }
    public string? Name { get; init; }
    public string? Status { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public long? DurationMs { get; init; }
    public string? Model { get; init; }
    public string? Provider { get; init; }
    public long? TokensIn { get; init; }
    public long? TokensOut { get; init; }
    public long? TokensCached { get; init; }
    /// <summary>A cost the client computed itself (it wins over the price table), in micro-dollars.</summary>
    public long? ClientCostMicros { get; init; }
    public string? ToolName { get; init; }
    public string? Input { get; init; }
    public string? Output { get; init; }
    public string? InputRef { get; init; }
    public string? OutputRef { get; init; }
    public string? Error { get; init; }
    public double? Score { get; init; }
    public string[]? Tags { get; init; }
    public string? Environment { get; init; }
    /// <summary>The metadata object as JSON text.</summary>
    public string? Metadata { get; init; }
}

/// <summary>The event types, as they appear on the wire.</summary>
public static class EventTypes
{
    public const string RunStart = "run.start";
    public const string RunEnd = "run.end";
    public const string LlmCall = "llm.call";
    public const string ToolCall = "tool.call";
    public const string ExternalAction = "external.action";
    public const string Log = "log";
    public const string Error = "error";
    public const string Score = "score";
    /// <summary>
    /// A unit of work in a run (a plan, a retrieval step): timestamp is its start, ended_at its end, and it is the
    /// parent_id of what happens inside it. Counted as an event, shown on the timeline tree, never priced and never an
    /// LLM or tool call: a span carries no model, tokens or cost (those belong on its llm.call children).
    /// </summary>
    public const string Span = "span";

    public static readonly IReadOnlySet<string> All = new HashSet<string>([RunStart, RunEnd, LlmCall, ToolCall, ExternalAction, Log, Error, Score, Span], StringComparer.Ordinal);

    // Recorded by the platform itself, straight into the accepted-batch sink: not in All, so a client cannot send
    // (forge) them through ingest. Processing and the timeline take any type.

    /// <summary>A policy check's answer (allow, block, require_approval), on the run it was asked for.</summary>
    public const string PolicyDecision = "policy.decision";
    /// <summary>How an approval request ended: approved, rejected (by a person, or by pausing / the kill switch) or expired.</summary>
    public const string ApprovalDecision = "approval.decision";
}

/// <summary>Run statuses: a run is running until a run.end says otherwise.</summary>
public static class RunStatuses
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    /// <summary>The many words SDKs and exporters use, folded onto ours (null: none given).</summary>
    public static string? Normalize(string? status, bool hasError) => status?.Trim().ToLowerInvariant() switch
    {
        null or "" => hasError ? Failed : null,
        "success" or "succeeded" or "ok" or "completed" or "complete" or "done" => hasError ? Failed : Succeeded,
        "error" or "failed" or "failure" or "timeout" or "timed_out" => Failed,
        "cancelled" or "canceled" or "aborted" => Cancelled,
        _ => hasError ? Failed : Succeeded,
    };
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IngestEvent[]))]
internal sealed partial class IngestJsonContext : JsonSerializerContext;

/// <summary>The accepted-batch payload: the events as compact UTF-8 JSON (source-generated, no reflection).</summary>
public static class BatchCodec
{
    public static byte[] Encode(IngestEvent[] events) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(events, IngestJsonContext.Default.IngestEventArray);
    /// <summary>The events of a payload; a JsonException when it is not an array of events (so it is poison, <see cref="PoisonBatches.IsPoison"/>).</summary>
    public static IngestEvent[] Decode(ReadOnlySpan<byte> payload) => System.Text.Json.JsonSerializer.Deserialize(payload, IngestJsonContext.Default.IngestEventArray)
        ?? throw new System.Text.Json.JsonException("The payload is JSON null, not an array of events.");
}
