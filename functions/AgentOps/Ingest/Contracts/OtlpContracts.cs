using System.ComponentModel;
using System.Text.Json.Serialization;

namespace AgentOps.Ingest.Contracts;

// OTLP/JSON trace export as POST /otlp/v1/traces reads it with Content-Type application/json (the protobuf encoding is
// the same message, opentelemetry-proto v1.7.0). Documentation only: OtlpJson parses the body with Google.Protobuf's
// proto3 JSON parser, which also takes the proto field names (resource_spans, …) and ignores unknown fields, as OTLP
// asks of receivers. Names are lowerCamelCase, as OTLP/JSON writes them, not the API's snake_case. 64-bit integers
// are strings in proto3 JSON (numbers are read as well); trace and span ids are hexadecimal.

[Description("An OTLP ExportTraceServiceRequest (OTLP/JSON). A trace is a run; GenAI spans become llm.call and tool.call events, other spans external.action (docs/otlp.md).")]
public sealed record OtlpExportTraceRequest([property: JsonPropertyName("resourceSpans")] OtlpResourceSpans[]? ResourceSpans);

public sealed record OtlpResourceSpans(
    [property: JsonPropertyName("resource")] OtlpResource? Resource,
    [property: JsonPropertyName("scopeSpans")] OtlpScopeSpans[]? ScopeSpans,
    [property: JsonPropertyName("schemaUrl")] string? SchemaUrl);

[Description("service.name (or gen_ai.agent.name anywhere in the trace) names the agent.")]
public sealed record OtlpResource(
    [property: JsonPropertyName("attributes")] OtlpKeyValue[]? Attributes,
    [property: JsonPropertyName("droppedAttributesCount")] long? DroppedAttributesCount);

public sealed record OtlpScopeSpans(
    [property: JsonPropertyName("scope")] OtlpInstrumentationScope? Scope,
    [property: JsonPropertyName("spans")] OtlpSpan[]? Spans,
    [property: JsonPropertyName("schemaUrl")] string? SchemaUrl);

public sealed record OtlpInstrumentationScope(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("attributes")] OtlpKeyValue[]? Attributes);

public sealed record OtlpSpan(
    [property: JsonPropertyName("traceId"), Description("32 hexadecimal digits.")] string? TraceId,
    [property: JsonPropertyName("spanId"), Description("16 hexadecimal digits.")] string? SpanId,
    [property: JsonPropertyName("traceState")] string? TraceState,
    [property: JsonPropertyName("parentSpanId"), Description("16 hexadecimal digits; empty or absent for a root span.")] string? ParentSpanId,
    [property: JsonPropertyName("flags")] long? Flags,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("kind"), Description("SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer.")] int? Kind,
    [property: JsonPropertyName("startTimeUnixNano"), Description("Nanoseconds since the epoch: a decimal string (a number is read too).")] string? StartTimeUnixNano,
    [property: JsonPropertyName("endTimeUnixNano"), Description("Nanoseconds since the epoch: a decimal string (a number is read too).")] string? EndTimeUnixNano,
    [property: JsonPropertyName("attributes"), Description("gen_ai.* attributes make llm.call and tool.call events (docs/otlp.md).")] OtlpKeyValue[]? Attributes,
    [property: JsonPropertyName("droppedAttributesCount")] long? DroppedAttributesCount,
    [property: JsonPropertyName("events")] OtlpSpanEvent[]? Events,
    [property: JsonPropertyName("droppedEventsCount")] long? DroppedEventsCount,
    [property: JsonPropertyName("links")] OtlpSpanLink[]? Links,
    [property: JsonPropertyName("droppedLinksCount")] long? DroppedLinksCount,
    [property: JsonPropertyName("status")] OtlpStatus? Status);

public sealed record OtlpSpanEvent(
    [property: JsonPropertyName("timeUnixNano")] string? TimeUnixNano,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("attributes")] OtlpKeyValue[]? Attributes,
    [property: JsonPropertyName("droppedAttributesCount")] long? DroppedAttributesCount);

public sealed record OtlpSpanLink(
    [property: JsonPropertyName("traceId")] string? TraceId,
    [property: JsonPropertyName("spanId")] string? SpanId,
    [property: JsonPropertyName("traceState")] string? TraceState,
    [property: JsonPropertyName("attributes")] OtlpKeyValue[]? Attributes,
    [property: JsonPropertyName("droppedAttributesCount")] long? DroppedAttributesCount,
    [property: JsonPropertyName("flags")] long? Flags);

[Description("Code 2 (error) marks the span, and its run when it is the root, failed.")]
public sealed record OtlpStatus(
    [property: JsonPropertyName("message")] string? Message,
    [property: JsonPropertyName("code"), Description("0 unset, 1 ok, 2 error.")] int? Code);

public sealed record OtlpKeyValue([property: JsonPropertyName("key")] string? Key, [property: JsonPropertyName("value")] OtlpAnyValue? Value);

[Description("Exactly one of the fields is set.")]
public sealed record OtlpAnyValue(
    [property: JsonPropertyName("stringValue")] string? StringValue,
    [property: JsonPropertyName("boolValue")] bool? BoolValue,
    [property: JsonPropertyName("intValue"), Description("A 64-bit integer as a decimal string (a number is read too).")] string? IntValue,
    [property: JsonPropertyName("doubleValue")] double? DoubleValue,
    [property: JsonPropertyName("arrayValue")] OtlpArrayValue? ArrayValue,
    [property: JsonPropertyName("kvlistValue")] OtlpKeyValueList? KvlistValue,
    [property: JsonPropertyName("bytesValue"), Description("Base64.")] string? BytesValue);

public sealed record OtlpArrayValue([property: JsonPropertyName("values")] OtlpAnyValue[]? Values);

public sealed record OtlpKeyValueList([property: JsonPropertyName("values")] OtlpKeyValue[]? Values);

[Description("An OTLP ExportTraceServiceResponse: {} when every span was accepted.")]
public sealed record OtlpExportTraceResponse([property: JsonPropertyName("partialSuccess")] OtlpExportTracePartialSuccess? PartialSuccess);

public sealed record OtlpExportTracePartialSuccess(
    [property: JsonPropertyName("rejectedSpans"), Description("The spans refused, as a decimal string (proto3 JSON int64).")] string? RejectedSpans,
    [property: JsonPropertyName("errorMessage"), Description("Why, for the first refused spans.")] string? ErrorMessage);
