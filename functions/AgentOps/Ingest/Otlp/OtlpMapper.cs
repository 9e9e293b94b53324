using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace AgentOps.Ingest.Otlp;

/// <summary>What one span became: its events in the ingest wire format, or why it could not become any.</summary>
internal sealed record MappedSpan(string? Id, IReadOnlyList<JsonObject> Items, ItemError? Error);

/// <summary>
/// The attribute and event names we read, from the OpenTelemetry semantic conventions (GenAI conventions are still
/// "development": the deprecated spellings that instrumentations still send are read as fallbacks).
/// </summary>
internal static class SemConv
{
    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    /// <summary>Deprecated, renamed to gen_ai.provider.name.</summary>
    public const string System = "gen_ai.system";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseModel = "gen_ai.response.model";
    /// <summary>Counts every input token, cached ones included (the convention says cache reads SHOULD be included).</summary>
    public const string InputTokens = "gen_ai.usage.input_tokens";
    public const string OutputTokens = "gen_ai.usage.output_tokens";
    public const string CacheReadInputTokens = "gen_ai.usage.cache_read.input_tokens";
    /// <summary>Deprecated, renamed to gen_ai.usage.input_tokens / output_tokens.</summary>
    public const string PromptTokens = "gen_ai.usage.prompt_tokens";
    public const string CompletionTokens = "gen_ai.usage.completion_tokens";
    public const string AgentName = "gen_ai.agent.name";
    public const string ToolName = "gen_ai.tool.name";
    public const string ToolCallArguments = "gen_ai.tool.call.arguments";
    public const string ToolCallResult = "gen_ai.tool.call.result";
    public const string InputMessages = "gen_ai.input.messages";
    public const string OutputMessages = "gen_ai.output.messages";
    public const string ServiceName = "service.name";
    public const string DeploymentEnvironmentName = "deployment.environment.name";
    /// <summary>Deprecated, renamed to deployment.environment.name.</summary>
    public const string DeploymentEnvironment = "deployment.environment";

    /// <summary>Span events: the older GenAI content events (deprecated, still emitted) and recorded exceptions.</summary>
    public const string PromptEvent = "gen_ai.content.prompt";
    public const string PromptAttribute = "gen_ai.prompt";
    public const string CompletionEvent = "gen_ai.content.completion";
    public const string CompletionAttribute = "gen_ai.completion";
    public const string ExceptionEvent = "exception";
    public const string ExceptionType = "exception.type";
    public const string ExceptionMessage = "exception.message";

    /// <summary>gen_ai.operation.name values that are one call to a model.</summary>
    public static readonly IReadOnlySet<string> ModelOperations = new HashSet<string>(["chat", "text_completion", "generate_content", "embeddings"], StringComparer.Ordinal);
    public const string ExecuteTool = "execute_tool";
    /// <summary>Agent operations wrap model and tool calls (and may repeat their usage totals): never priced themselves.</summary>
    public static readonly IReadOnlySet<string> AgentOperations = new HashSet<string>(["invoke_agent", "create_agent"], StringComparer.Ordinal);
}

/// <summary>
/// OTLP spans to ingest events, pure. A trace is a run (run_id = the trace id in lower-case hex); every span is one
/// event with id "&lt;trace&gt;-&lt;span&gt;" and parent_id "&lt;trace&gt;-&lt;parent span&gt;", so re-exported spans are
/// deduplicated by the same rule as every other event. The event's type follows the GenAI conventions: model
/// operations are llm.call (model, provider, tokens; cost comes from the price table), tool executions are tool.call,
/// everything else (agent invocations included) is external.action. A root span, or a span whose parent is in another
/// process (a local root), also yields the run's run.start and run.end. Unknown attributes are kept, bounded, as
/// metadata.
/// </summary>
internal static class OtlpMapper
{
    public const string DefaultAgent = "otel";
    /// <summary>The event parser's bounds for these fields: longer values are cut here rather than refused there.</summary>
    public const int MaxAgentLength = 200;
    public const int MaxEnvironmentLength = 64;
    public const long MaxLatencyMs = 31L * 24 * 3600 * 1000;
    /// <summary>Metadata values longer than this are cut: more attributes fit, and the value's start is what helps.</summary>
    public const int MaxMetadataStringChars = 1024;
    /// <summary>Nested attribute values (arrays, maps) deeper than this are summarized, not copied.</summary>
    public const int MaxAttributeDepth = 8;
    /// <summary>Room kept in the metadata budget for the count of dropped attributes.</summary>
    private const int MetadataReserve = 64;
    public const string DroppedAttributesKey = "otel.dropped_attributes";

    /// <summary>The serializer the endpoint writes the items with: metadata sizes are measured with it, so they are exact.</summary>
    public static JsonSerializerOptions Serialization { get; } = JsonSerializerOptions.Default;

    /// <summary>Metadata key on every event from OTLP: where its agent came from (<see cref="AgentSource"/>).</summary>
    public const string AgentFromKey = "otel.agent_from";

    /// <summary>
    /// The one attribution rule: a trace belongs to the agent named by <c>gen_ai.agent.name</c> anywhere in it (span or
    /// resource attributes; the earliest span naming one, by start time and span id, when several do), else to
    /// <c>service.name</c>, else to "otel". A span that names its own agent keeps it. Within one export this is settled
    /// here; spans of the trace that arrive in another export are settled at the merge (BatchProcessor moves the events,
    /// stats and costs that came from service.name to the trace's named agent).
    /// </summary>
    public enum AgentSource { GenAiAgentName, ServiceName, Default }

    public static string Wire(AgentSource source) => source switch
    {
        AgentSource.GenAiAgentName => SemConv.AgentName, AgentSource.ServiceName => SemConv.ServiceName, _ => "default",
    };

    public static IReadOnlyList<MappedSpan> Map(ExportTraceServiceRequest request)
    {
        // First pass: the gen_ai.agent.name of each trace in this export, from its earliest span that names one.
        var named = new Dictionary<string, (ulong Start, string SpanId, string Agent)>(StringComparer.Ordinal);
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resourceAgent = StringOf(Attributes(resourceSpans.Resource?.Attributes), SemConv.AgentName);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
                foreach (var span in scopeSpans.Spans)
                {
                    if (!IsValidId(span.TraceId, 16)) continue;
                    var agent = span.Attributes.FirstOrDefault(a => a.Key == SemConv.AgentName) is { Value: { ValueCase: AnyValue.ValueOneofCase.StringValue, StringValue.Length: > 0 } v }
                        ? v.StringValue : resourceAgent;
                    if (agent is null) continue;
                    var trace = Convert.ToHexStringLower(span.TraceId.Span);
                    var spanId = Convert.ToHexStringLower(span.SpanId.Span);
                    if (!named.TryGetValue(trace, out var known) || span.StartTimeUnixNano < known.Start
                        || span.StartTimeUnixNano == known.Start && string.CompareOrdinal(spanId, known.SpanId) < 0)
                        named[trace] = (span.StartTimeUnixNano, spanId, agent);
                }
        }
        var result = new List<MappedSpan>();
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var resource = Attributes(resourceSpans.Resource?.Attributes);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
                foreach (var span in scopeSpans.Spans)
                    result.Add(MapSpan(span, scopeSpans.Scope?.Name, resource,
                        IsValidId(span.TraceId, 16) && named.TryGetValue(Convert.ToHexStringLower(span.TraceId.Span), out var n) ? n.Agent : null));
        }
        return result;
    }

    public static MappedSpan MapSpan(Span span, string? scopeName, IReadOnlyDictionary<string, AnyValue> resource, string? traceAgent = null)
    {
        if (!IsValidId(span.TraceId, 16)) return Invalid(null, "trace_id must be 16 bytes and not all zero.", "$.trace_id");
        var traceId = Convert.ToHexStringLower(span.TraceId.Span);
        if (!IsValidId(span.SpanId, 8)) return Invalid(null, "span_id must be 8 bytes and not all zero.", "$.span_id");
        var id = traceId + "-" + Convert.ToHexStringLower(span.SpanId.Span);
        // Some producers write an all-zero parent for a root span: that is no parent.
        var hasParent = !span.ParentSpanId.IsEmpty && span.ParentSpanId.Span.ContainsAnyExcept((byte)0);
        if (hasParent && span.ParentSpanId.Length != 8) return Invalid(id, "parent_span_id must be 8 bytes (or empty for a root span).", "$.parent_span_id");
        if (span.StartTimeUnixNano == 0) return Invalid(id, "start_time_unix_nano is required.", "$.start_time_unix_nano");
        // An end before the start (clock steps, buggy producers) is read as a span of no length rather than refused.
        var endNanos = Math.Max(span.StartTimeUnixNano, span.EndTimeUnixNano);
        var start = Iso(span.StartTimeUnixNano);
        var end = Iso(endNanos);

        var attributes = Attributes(span.Attributes);
        var used = new HashSet<string>(StringComparer.Ordinal);
        string? Str(string key)
        {
            if (!attributes.TryGetValue(key, out var v) || v.ValueCase != AnyValue.ValueOneofCase.StringValue || v.StringValue.Length == 0) return null;
            used.Add(key);
            return v.StringValue;
        }
        long? Count(string key)
        {
            if (!attributes.TryGetValue(key, out var v) || WholeNumber(v) is not { } n) return null;
            used.Add(key);
            return n;
        }
        JsonNode? Payload(string key)
        {
            if (!attributes.TryGetValue(key, out var v)) return null;
            used.Add(key);
            return ToJson(v, 0, truncate: false);
        }

        var (agent, agentSource) = (Str(SemConv.AgentName) ?? StringOf(resource, SemConv.AgentName) ?? traceAgent) is { } namedAgent
            ? (namedAgent, AgentSource.GenAiAgentName)
            : StringOf(resource, SemConv.ServiceName) is { } service ? (service, AgentSource.ServiceName) : (DefaultAgent, AgentSource.Default);
        // A JSON node has one parent: each event gets its own.
        KeyValuePair<string, JsonNode?> AgentFrom() => new(AgentFromKey, JsonValue.Create(Wire(agentSource)));
        var operation = attributes.TryGetValue(SemConv.OperationName, out var op) && op.ValueCase == AnyValue.ValueOneofCase.StringValue ? op.StringValue : null;
        var model = Str(SemConv.ResponseModel) ?? Str(SemConv.RequestModel);
        var type = operation switch
        {
            not null when SemConv.ModelOperations.Contains(operation) => EventTypes.LlmCall,
            SemConv.ExecuteTool => EventTypes.ToolCall,
            not null when SemConv.AgentOperations.Contains(operation) => EventTypes.ExternalAction,
            _ when attributes.ContainsKey(SemConv.ToolName) => EventTypes.ToolCall,
            _ when model is not null => EventTypes.LlmCall,
            _ => EventTypes.ExternalAction,
        };
        // llm.call needs a model; a model operation that names none is kept as an action (its attributes stay in metadata).
        if (type == EventTypes.LlmCall && model is null) type = EventTypes.ExternalAction;
        if (type != EventTypes.LlmCall && model is not null)
        {
            // Read for classification only: an agent span's model and usage stay in metadata so they are not priced twice.
            used.Remove(SemConv.ResponseModel);
            used.Remove(SemConv.RequestModel);
            model = null;
        }

        var latencyMs = (long)((endNanos - span.StartTimeUnixNano) / 1_000_000);
        var item = new JsonObject
        {
            ["id"] = id, ["type"] = type, ["timestamp"] = start, ["ended_at"] = end,
            // Beyond the parser's bound the duration is still derived from ended_at; the span is not refused for it.
            ["latency_ms"] = latencyMs <= MaxLatencyMs ? latencyMs : null, ["run_id"] = traceId, ["agent"] = Cut(agent, MaxAgentLength),
        };
        if (hasParent) item["parent_id"] = traceId + "-" + Convert.ToHexStringLower(span.ParentSpanId.Span);
        if (span.Name.Length > 0) item["name"] = Cut(span.Name, IngestLimits.MaxNameLength);

        JsonNode? input = null, output = null;
        if (type == EventTypes.LlmCall)
        {
            item["model"] = model;
            item["provider"] = Str(SemConv.ProviderName) ?? Str(SemConv.System);
            var tokensIn = Count(SemConv.InputTokens) ?? Count(SemConv.PromptTokens);
            var cached = Count(SemConv.CacheReadInputTokens);
            // The convention counts cache reads inside input_tokens; some instrumentations (following Anthropic's API)
            // report them beside it. More cached than input can only mean the latter.
            if (cached > tokensIn) tokensIn += cached;
            item["tokens_in"] = tokensIn;
            item["tokens_out"] = Count(SemConv.OutputTokens) ?? Count(SemConv.CompletionTokens);
            item["tokens_cached"] = cached;
            input = Payload(SemConv.InputMessages);
            output = Payload(SemConv.OutputMessages);
        }
        else if (type == EventTypes.ToolCall)
        {
            item["tool_name"] = Cut(Str(SemConv.ToolName) ?? (span.Name.Length > 0 ? span.Name : "tool"), IngestLimits.MaxShortText);
            input = Payload(SemConv.ToolCallArguments);
            output = Payload(SemConv.ToolCallResult);
        }
        else
        {
            input = Payload(SemConv.InputMessages);
            output = Payload(SemConv.OutputMessages);
        }
        used.Add(SemConv.AgentName);

        string? exception = null;
        foreach (var e in span.Events)
        {
            var eventAttributes = Attributes(e.Attributes);
            switch (e.Name)
            {
                case SemConv.PromptEvent when input is null && eventAttributes.TryGetValue(SemConv.PromptAttribute, out var prompt):
                    input = ToJson(prompt, 0, truncate: false);
                    break;
                case SemConv.CompletionEvent when output is null && eventAttributes.TryGetValue(SemConv.CompletionAttribute, out var completion):
                    output = ToJson(completion, 0, truncate: false);
                    break;
                case SemConv.ExceptionEvent when exception is null:
                    var kind = StringOf(eventAttributes, SemConv.ExceptionType);
                    var message = StringOf(eventAttributes, SemConv.ExceptionMessage);
                    exception = kind is not null && message is not null ? $"{kind}: {message}" : kind ?? message;
                    break;
            }
        }
        item["input"] = input;
        item["output"] = output;

        var failed = span.Status?.Code == Status.Types.StatusCode.Error;
        string? error = null;
        if (failed)
        {
            error = span.Status!.Message is { Length: > 0 } m ? m : exception ?? "error";
            item["status"] = "error";
            item["error"] = error;
        }
        else if (span.Status?.Code == Status.Types.StatusCode.Ok) item["status"] = "ok";

        var environment = StringOf(resource, SemConv.DeploymentEnvironmentName) ?? StringOf(resource, SemConv.DeploymentEnvironment);
        if (environment is not null) item["environment"] = Cut(environment, MaxEnvironmentLength);
        item["metadata"] = Metadata(SpanContext(span, scopeName).Prepend(AgentFrom()).Concat(attributes.Where(a => !used.Contains(a.Key)).Select(a => Entry(a.Key, a.Value))));
        var items = new List<JsonObject> { WithoutNulls(item) };

        // The run: a trace's root span starts and ends it. A span whose parent lives in another process is the root of
        // this process's part of the trace, so it does too (the run keeps the earliest start and the latest end).
        var remoteParent = (span.Flags & (uint)(SpanFlags.ContextHasIsRemoteMask | SpanFlags.ContextIsRemoteMask))
                           == (uint)(SpanFlags.ContextHasIsRemoteMask | SpanFlags.ContextIsRemoteMask);
        if (!hasParent || remoteParent)
        {
            items.Add(WithoutNulls(new JsonObject
            {
                ["id"] = id + ":start", ["type"] = EventTypes.RunStart, ["timestamp"] = start, ["run_id"] = traceId, ["agent"] = Cut(agent, MaxAgentLength),
                ["name"] = span.Name.Length > 0 ? Cut(span.Name, IngestLimits.MaxNameLength) : null, ["input"] = input?.DeepClone(),
                ["environment"] = environment is null ? null : Cut(environment, MaxEnvironmentLength),
                ["metadata"] = Metadata(resource.Select(a => Entry(a.Key, a.Value)).Prepend(AgentFrom())),
            }));
            items.Add(WithoutNulls(new JsonObject
            {
                ["id"] = id + ":end", ["type"] = EventTypes.RunEnd, ["timestamp"] = end, ["run_id"] = traceId, ["agent"] = Cut(agent, MaxAgentLength),
                ["status"] = failed ? RunStatuses.Failed : RunStatuses.Succeeded, ["error"] = error, ["output"] = output?.DeepClone(),
                ["environment"] = environment is null ? null : Cut(environment, MaxEnvironmentLength), ["metadata"] = Metadata([AgentFrom()]),
            }));
        }
        return new MappedSpan(id, items, null);
    }

    private static MappedSpan Invalid(string? id, string message, string path) => new(id, [], new ItemError("invalid_span", message, path));

    private static bool IsValidId(ByteString id, int length) => id.Length == length && id.Span.ContainsAnyExcept((byte)0);

    /// <summary>Unix nanoseconds as ISO 8601 (UTC); .NET keeps 100 ns, which is finer than any clock that produced them.</summary>
    public static string Iso(ulong unixNanos) =>
        DateTimeOffset.UnixEpoch.AddTicks((long)(unixNanos / 100)).ToString("O", CultureInfo.InvariantCulture);

    /// <summary>Attributes by key; keys must be unique, and when they are not the first one wins.</summary>
    public static Dictionary<string, AnyValue> Attributes(IEnumerable<KeyValue>? attributes)
    {
        var result = new Dictionary<string, AnyValue>(StringComparer.Ordinal);
        foreach (var kv in attributes ?? []) result.TryAdd(kv.Key, kv.Value ?? new AnyValue());
        return result;
    }

    private static string? StringOf(IReadOnlyDictionary<string, AnyValue> attributes, string key) =>
        attributes.TryGetValue(key, out var v) && v.ValueCase == AnyValue.ValueOneofCase.StringValue && v.StringValue.Length > 0 ? v.StringValue : null;

    /// <summary>A count sent as an int, a whole double or a decimal string (instrumentations do all three).</summary>
    public static long? WholeNumber(AnyValue v) => v.ValueCase switch
    {
        AnyValue.ValueOneofCase.IntValue => v.IntValue,
        AnyValue.ValueOneofCase.DoubleValue when double.IsFinite(v.DoubleValue) && Math.Floor(v.DoubleValue) == v.DoubleValue
                                                 && Math.Abs(v.DoubleValue) < 9e15 => (long)v.DoubleValue,
        AnyValue.ValueOneofCase.StringValue when long.TryParse(v.StringValue, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };

    /// <summary>An attribute value as JSON: scalars as themselves, bytes as base64, arrays and maps recursively.</summary>
    public static JsonNode? ToJson(AnyValue? v, int depth, bool truncate) => v?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => JsonValue.Create(truncate ? Cut(v.StringValue, MaxMetadataStringChars) : v.StringValue),
        AnyValue.ValueOneofCase.BoolValue => JsonValue.Create(v.BoolValue),
        AnyValue.ValueOneofCase.IntValue => JsonValue.Create(v.IntValue),
        AnyValue.ValueOneofCase.DoubleValue => double.IsFinite(v.DoubleValue)
            ? JsonValue.Create(v.DoubleValue)
            : JsonValue.Create(v.DoubleValue.ToString(CultureInfo.InvariantCulture)),
        AnyValue.ValueOneofCase.BytesValue => JsonValue.Create(truncate ? Cut(v.BytesValue.ToBase64(), MaxMetadataStringChars) : v.BytesValue.ToBase64()),
        AnyValue.ValueOneofCase.ArrayValue or AnyValue.ValueOneofCase.KvlistValue when depth >= MaxAttributeDepth => JsonValue.Create("(nested too deep)"),
        AnyValue.ValueOneofCase.ArrayValue => new JsonArray([.. v.ArrayValue.Values.Select(x => ToJson(x, depth + 1, truncate))]),
        AnyValue.ValueOneofCase.KvlistValue => KeyValues(v.KvlistValue.Values, depth + 1, truncate),
        _ => null,
    };

    private static JsonObject KeyValues(IEnumerable<KeyValue> values, int depth, bool truncate)
    {
        var o = new JsonObject();
        foreach (var kv in values)
            if (!o.ContainsKey(kv.Key)) o[kv.Key] = ToJson(kv.Value, depth, truncate);
        return o;
    }

    private static KeyValuePair<string, JsonNode?> Entry(string key, AnyValue value) => new(key, ToJson(value, 0, truncate: true));

    private static IEnumerable<KeyValuePair<string, JsonNode?>> SpanContext(Span span, string? scopeName)
    {
        if (span.Kind is not (Span.Types.SpanKind.Unspecified or Span.Types.SpanKind.Internal))
            yield return new("otel.span_kind", JsonValue.Create(span.Kind.ToString().ToLowerInvariant()));
        if (scopeName is { Length: > 0 }) yield return new("otel.scope.name", JsonValue.Create(Cut(scopeName, MaxMetadataStringChars)));
    }

    /// <summary>
    /// As many entries as fit in the event metadata limit, in order (an entry that does not fit is skipped and counted,
    /// smaller ones after it may still fit). Sizes are those of the final serialization, so the parser never refuses it.
    /// </summary>
    public static JsonObject? Metadata(IEnumerable<KeyValuePair<string, JsonNode?>> entries)
    {
        var result = new JsonObject();
        var size = 2;
        var dropped = 0;
        foreach (var (key, value) in entries)
        {
            if (result.ContainsKey(key)) continue;
            var entrySize = JsonSerializer.SerializeToUtf8Bytes(key, Serialization).Length + 1
                            + (value is null ? 4 : Encoding.UTF8.GetByteCount(value.ToJsonString(Serialization))) + (result.Count > 0 ? 1 : 0);
            if (size + entrySize > IngestLimits.MaxMetadataBytes - MetadataReserve)
            {
                dropped++;
                continue;
            }
            result[key] = value;
            size += entrySize;
        }
        if (dropped > 0) result[DroppedAttributesKey] = dropped;
        return result.Count == 0 ? null : result;
    }

    /// <summary>At most <paramref name="max"/> characters, marked as cut; never splits a surrogate pair.</summary>
    public static string Cut(string text, int max)
    {
        if (text.Length <= max) return text;
        var keep = max - 1;
        if (char.IsHighSurrogate(text[keep - 1])) keep--;
        return text[..keep] + "…";
    }

    private static JsonObject WithoutNulls(JsonObject o)
    {
        foreach (var key in o.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList()) o.Remove(key);
        return o;
    }
}
