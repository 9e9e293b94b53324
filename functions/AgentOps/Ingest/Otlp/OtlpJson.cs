using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace AgentOps.Ingest.Otlp;

/// <summary>
/// OTLP/JSON: the proto3 JSON mapping with OTLP's deviations. Field names are lowerCamelCase (the proto names are
/// accepted too), enums may be integers, 64-bit integers strings or numbers — all of which Google.Protobuf's parser
/// reads — but trace and span ids are hexadecimal where proto3 JSON has base64 for bytes. So the ids are rewritten to
/// base64 first (and integers too large for a double to strings), then the message is parsed, ignoring unknown
/// fields as OTLP requires of receivers.
/// </summary>
internal static class OtlpJson
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public static ExportTraceServiceRequest ParseRequest(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty) throw ApiProblem.BadRequest("body_required", "Send an ExportTraceServiceRequest as JSON (an empty export is {}).");
        // The input gate's rule, here too: a gzip body reaches the endpoint unread.
        if (JsonInput.Inspect(utf8) is { } fault) throw fault.ToProblem();
        var root = JsonNode.Parse(JsonInput.WithoutByteOrderMark(utf8), documentOptions: new JsonDocumentOptions { MaxDepth = JsonInput.MaxDepth });
        if (root is not JsonObject) throw ApiProblem.BadRequest("malformed_json", "The body must be a JSON object (an ExportTraceServiceRequest).");
        HexIdsToBase64(root);
        LargeIntegersToStrings(root);
        try { return Parser.Parse<ExportTraceServiceRequest>(root.ToJsonString()); }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            // The parser's messages name fields and values of the OTLP schema, nothing of ours: they help the sender.
            throw ApiProblem.BadRequest("malformed_otlp", $"The body is not an OTLP ExportTraceServiceRequest: {e.Message}");
        }
    }

    /// <summary>
    /// Rewrites the hex ids of every span and span link (traceId, spanId, parentSpanId) to base64, in place. A value that
    /// is not hex is left as it is: a sender that wrote base64 after all is still understood.
    /// </summary>
    public static void HexIdsToBase64(JsonNode root)
    {
        foreach (var resourceSpans in Objects(root, "resourceSpans", "resource_spans"))
            foreach (var scopeSpans in Objects(resourceSpans, "scopeSpans", "scope_spans"))
                foreach (var span in Objects(scopeSpans, "spans", "spans"))
                {
                    Rewrite(span, "traceId", "trace_id");
                    Rewrite(span, "spanId", "span_id");
                    Rewrite(span, "parentSpanId", "parent_span_id");
                    foreach (var link in Objects(span, "links", "links"))
                    {
                        Rewrite(link, "traceId", "trace_id");
                        Rewrite(link, "spanId", "span_id");
                    }
                }
    }

    /// <summary>
    /// Rewrites integer literals beyond double precision (2^53) to strings, in place. Google.Protobuf reads JSON numbers
    /// through a double, which would move nanosecond timestamps sent as numbers by up to a few hundred nanoseconds;
    /// a string is read exactly, and proto3 JSON accepts strings for every numeric field such numbers can belong to.
    /// </summary>
    public static void LargeIntegersToStrings(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o.ToList())
                    if (Exact(child) is { } text) o[key] = text; else LargeIntegersToStrings(child);
                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                    if (Exact(a[i]) is { } text) a[i] = text; else LargeIntegersToStrings(a[i]);
                break;
        }

        static string? Exact(JsonNode? n)
        {
            if (n is not JsonValue v || v.GetValueKind() != JsonValueKind.Number) return null;
            var text = v.ToJsonString();
            var digits = text.AsSpan(text.StartsWith('-') ? 1 : 0);
            return digits.Length > MaxExactDigits && !digits.ContainsAnyExceptInRange('0', '9') ? text : null;
        }
    }

    /// <summary>Integers of up to 15 digits are exact in a double (2^53 has 16).</summary>
    private const int MaxExactDigits = 15;

    private static IEnumerable<JsonObject> Objects(JsonNode parent, string jsonName, string protoName)
    {
        if (parent is not JsonObject o) yield break;
        foreach (var name in jsonName == protoName ? new[] { jsonName } : new[] { jsonName, protoName })
            if (o[name] is JsonArray array)
                foreach (var element in array)
                    if (element is JsonObject child) yield return child;
    }

    private static void Rewrite(JsonObject o, string jsonName, string protoName)
    {
        foreach (var name in new[] { jsonName, protoName })
            if (o[name] is JsonValue value && value.TryGetValue<string>(out var text) && IsHex(text))
                o[name] = Convert.ToBase64String(Convert.FromHexString(text));
    }

    private static bool IsHex(string text) => text.Length > 0 && text.Length % 2 == 0 && text.AsSpan().ContainsAnyExcept(HexDigits) is false;

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>The response as OTLP/JSON ({} when everything was accepted).</summary>
    public static string Format(ExportTraceServiceResponse response) => JsonFormatter.Default.Format(response);
}
