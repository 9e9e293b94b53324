using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentOps.Ingest.Contracts;

// The ingest wire contract: what SDKs send to POST /ingest and /ingest/run. These types document the shape and are
// what the OpenAPI document (sdk/spec/openapi.json) and the event schema (sdk/spec/events.schema.json) are generated
// from; nothing deserializes into them. EventParser reads the events by hand (benchmarked, with an error per item),
// and tests/AgentOps.Tests/Ingest/EventContractTests.cs holds the two to the same fields.

/// <summary>The type of an ingest event, as it is written on the wire (<see cref="EventTypes.All"/>).</summary>
public enum EventType
{
    [JsonStringEnumMemberName(EventTypes.RunStart)] RunStart,
    [JsonStringEnumMemberName(EventTypes.RunEnd)] RunEnd,
    [JsonStringEnumMemberName(EventTypes.LlmCall)] LlmCall,
    [JsonStringEnumMemberName(EventTypes.ToolCall)] ToolCall,
    [JsonStringEnumMemberName(EventTypes.ExternalAction)] ExternalAction,
    [JsonStringEnumMemberName(EventTypes.Log)] Log,
    [JsonStringEnumMemberName(EventTypes.Error)] Error,
    [JsonStringEnumMemberName(EventTypes.Score)] Score,
    [JsonStringEnumMemberName(EventTypes.Span)] Span,
}

/// <summary>
/// One event of a run, as an SDK sends it. Unknown fields are refused (unknown_field); a refused event is reported in
/// the 207 response with its index, code and JSON path, and the others are kept. Re-sending an event (same id) is safe.
/// </summary>
[Description("One event of a run (docs/api.md, Ingest). Unknown fields are refused; re-sending an id is safe.")]
public sealed record IngestEventInput
{
    [Description("Client-generated id, unique in the organization; re-sending it changes nothing.")]
    [MinLength(1), MaxLength(IngestLimits.MaxIdLength)]
    public required string Id { get; init; }

    [Description("What happened. llm.call needs model, tool.call needs tool_name (or name), score needs score. span (a unit of work: timestamp its start, ended_at its end, the parent_id of what happens in it) needs name and carries no model, provider, tokens or cost_usd.")]
    public required EventType Type { get; init; }

    [Description("When it started (ISO 8601; at most 24 h ahead of the server, not before 2000-01-01).")]
    public required DateTimeOffset Timestamp { get; init; }

    [Description("The run it belongs to (client-generated id).")]
    [MinLength(1), MaxLength(IngestLimits.MaxIdLength)]
    public required string RunId { get; init; }

    [Description("The agent: its id or its name (an unknown name is registered when the key may write agents).")]
    [MinLength(1), MaxLength(200)]
    public required string Agent { get; init; }

    [Description("The id of the enclosing span or event, for the span tree.")]
    [MaxLength(IngestLimits.MaxIdLength)]
    public string? ParentId { get; init; }

    [MaxLength(IngestLimits.MaxNameLength)]
    public string? Name { get; init; }

    [Description("For run.end: succeeded, failed or cancelled (ok, error, timeout, … are folded onto these).")]
    [MaxLength(32)]
    public string? Status { get; init; }

    [Description("The model called (llm.call); lower-cased. Priced from the organization's price list.")]
    [MaxLength(IngestLimits.MaxShortText)]
    public string? Model { get; init; }

    [MaxLength(64)]
    public string? Provider { get; init; }

    [Description("The tool called (tool.call).")]
    [MaxLength(IngestLimits.MaxShortText)]
    public string? ToolName { get; init; }

    [MaxLength(64)]
    public string? Environment { get; init; }

    [Description("When it ended; duration_ms is derived from it when not given.")]
    public DateTimeOffset? EndedAt { get; init; }

    [Description("All input tokens, cached ones included.")]
    [Range(0, IngestLimits.MaxTokens)]
    public long? TokensIn { get; init; }

    [Range(0, IngestLimits.MaxTokens)]
    public long? TokensOut { get; init; }

    [Description("The part of tokens_in read from the provider's cache (at most tokens_in).")]
    [Range(0, IngestLimits.MaxTokens)]
    public long? TokensCached { get; init; }

    [Description("Duration in milliseconds (an alias of duration_ms).")]
    [Range(0, MaxDurationMs)]
    public long? LatencyMs { get; init; }

    [Description("Duration in milliseconds.")]
    [Range(0, MaxDurationMs)]
    public long? DurationMs { get; init; }

    [Description("A cost computed by the client, in US dollars; it wins over the price list.")]
    [Range(0, 1_000_000)]
    public decimal? CostUsd { get; init; }

    [Description("The value of a score event.")]
    public double? Score { get; init; }

    [Description("Input: a string as it is, any other JSON as its JSON text (up to 2 MiB; above 16 KiB kept in the blob store).")]
    public JsonElement? Input { get; init; }

    [Description("An alias of input (tool.call arguments).")]
    public JsonElement? Arguments { get; init; }

    [Description("Output, as input.")]
    public JsonElement? Output { get; init; }

    [Description("An alias of output (tool.call result).")]
    public JsonElement? Result { get; init; }

    [Description("The error: a string, or an object whose message is kept (other JSON as its text; cut at 8 KiB).")]
    public JsonElement? Error { get; init; }

    [Description("Free-form attributes (an object of at most 16 KiB of JSON).")]
    public Dictionary<string, JsonElement>? Metadata { get; init; }

    [Description("At most 20 tags of 1 to 64 characters; duplicates are dropped.")]
    [MaxLength(IngestLimits.MaxTags)]
    public string[]? Tags { get; init; }

    /// <summary>A month: longer durations are a client's unit mistake.</summary>
    public const long MaxDurationMs = 31L * 24 * 3600 * 1000;
}

/// <summary>POST /ingest: up to 1,000 events and 5 MiB.</summary>
public sealed record IngestBatchRequest
{
    [MinLength(1), MaxLength(IngestLimits.MaxEventsPerBatch)]
    public required IngestEventInput[] Batch { get; init; }
}

/// <summary>The run of POST /ingest/run: becomes a run.start event, and a run.end when ended_at or status is given.</summary>
public sealed record IngestRunInput
{
    [Description("The run's id; its events are <id>:start and <id>:end.")]
    [MinLength(1), MaxLength(IngestLimits.MaxIdLength)]
    public required string Id { get; init; }

    [Description("The agent's id or name; the run's events default to it.")]
    [MinLength(1), MaxLength(200)]
    public required string Agent { get; init; }

    [Description("When the run started (ISO 8601).")]
    public required DateTimeOffset StartedAt { get; init; }

    [MaxLength(IngestLimits.MaxNameLength)]
    public string? Name { get; init; }

    [Description("When the run ended: with it (or status), a run.end event is recorded.")]
    public DateTimeOffset? EndedAt { get; init; }

    [MaxLength(32)]
    public string? Status { get; init; }

    public JsonElement? Input { get; init; }
    public JsonElement? Output { get; init; }
    public JsonElement? Error { get; init; }

    [MaxLength(IngestLimits.MaxTags)]
    public string[]? Tags { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }

    [MaxLength(64)]
    public string? Environment { get; init; }
}

/// <summary>POST /ingest/run: one run and its events in one call (run_id and agent of the events default to the run's).</summary>
public sealed record IngestRunRequest
{
    public required IngestRunInput Run { get; init; }

    [Description("The run's events; run_id and agent may be left out.")]
    public IngestEventInput[]? Events { get; init; }
}
