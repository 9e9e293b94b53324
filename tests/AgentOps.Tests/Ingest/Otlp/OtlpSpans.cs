using System.Text.Json;
using System.Text.Json.Nodes;
using AgentOps.Ingest;
using AgentOps.Ingest.Otlp;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace AgentOps.Tests.Ingest.Otlp;

/// <summary>Builds OTLP messages for the tests, and reads mapped items back through the real event parser.</summary>
internal static class OtlpSpans
{
    public const string TraceHex = "0af7651916cd43dd8448eb211c80319c";
    public const string RootHex = "b7ad6b7169203331";
    public const string ChildHex = "00f067aa0ba902b7";
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static ulong Nanos(DateTimeOffset t) => (ulong)(t - DateTimeOffset.UnixEpoch).Ticks * 100;

    public static Span NewSpan(string name, string spanHex = ChildHex, string? parentHex = RootHex, double startSeconds = 0, double durationMs = 1500,
        params (string Key, object Value)[] attributes)
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(Convert.FromHexString(TraceHex)),
            SpanId = ByteString.CopyFrom(Convert.FromHexString(spanHex)),
            Name = name,
            StartTimeUnixNano = Nanos(Start.AddSeconds(startSeconds)),
            EndTimeUnixNano = Nanos(Start.AddSeconds(startSeconds).AddMilliseconds(durationMs)),
        };
        if (parentHex is not null) span.ParentSpanId = ByteString.CopyFrom(Convert.FromHexString(parentHex));
        span.Attributes.AddRange(attributes.Select(a => Attribute(a.Key, a.Value)));
        return span;
    }

    public static KeyValue Attribute(string key, object value) => new() { Key = key, Value = Value(value) };

    public static AnyValue Value(object value) => value switch
    {
        string s => new AnyValue { StringValue = s },
        bool b => new AnyValue { BoolValue = b },
        int i => new AnyValue { IntValue = i },
        long l => new AnyValue { IntValue = l },
        double d => new AnyValue { DoubleValue = d },
        _ => throw new ArgumentException(value.GetType().Name),
    };

    public static ExportTraceServiceRequest Request(IEnumerable<Span> spans, params (string Key, object Value)[] resource)
    {
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "tests" } };
        scope.Spans.AddRange(spans);
        var resourceSpans = new ResourceSpans { Resource = new Resource() };
        resourceSpans.Resource.Attributes.AddRange(resource.Select(a => Attribute(a.Key, a.Value)));
        resourceSpans.ScopeSpans.Add(scope);
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(resourceSpans);
        return request;
    }

    public static IReadOnlyList<MappedSpan> Map(Span span, params (string Key, object Value)[] resource) => OtlpMapper.Map(Request([span], resource));

    /// <summary>The items as the endpoint sends them: serialized once, parsed by the same parser as /ingest.</summary>
    public static IngestEvent[] Parse(IEnumerable<JsonObject> items)
    {
        var array = new JsonArray([.. items.Select(i => i.DeepClone())]);
        using var document = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(array, OtlpMapper.Serialization));
        return [.. document.RootElement.EnumerateArray().Select(e =>
        {
            var parsed = EventParser.Parse(e, Start.AddDays(1));
            Assert.True(parsed.Error is null, $"{parsed.Error} in {e}");
            return parsed.Event!;
        })];
    }

    public static string AgentOf(JsonObject item) => item["agent"]!.GetValue<string>();
}
