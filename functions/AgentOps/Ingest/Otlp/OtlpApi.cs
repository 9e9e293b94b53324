using System.Text.Json;
using System.Text.Json.Nodes;
using AgentOps.Ingest.Contracts;
using Google.Protobuf;
using Microsoft.Net.Http.Headers;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace AgentOps.Ingest.Otlp;

/// <summary>The OTLP endpoint's limits, in one place.</summary>
public static class OtlpLimits
{
    /// <summary>The body as sent (compressed or not), and again once decompressed: a small gzip body cannot expand without bound.</summary>
    public const int MaxBodyBytes = IngestLimits.MaxBodyBytes;
    /// <summary>
    /// Events one export may become (a span is one event, a root span three). It is the default ingest burst: the
    /// export is accepted in batches, and one larger than the burst could never pass the rate limit, however often it
    /// were retried. SDKs export 512 spans at a time by default; a collector must cap its batches (send_batch_max_size).
    /// </summary>
    public const int MaxEventsPerExport = 5000;
    /// <summary>partial_success.error_message is cut to this length.</summary>
    public const int MaxErrorMessageLength = 2048;
}

/// <summary>
/// POST /api/v1/otlp/v1/traces: OTLP/HTTP trace export, as protobuf (application/x-protobuf, what exporters send by
/// default) or JSON (application/json), optionally gzip-compressed. Authenticated like every ingest call (Bearer API
/// key with the ingest scope, e.g. OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer aok_…"). Spans become events
/// (<see cref="OtlpMapper"/>) and go through the same <see cref="IngestAcceptor"/> as /ingest: validation, agents,
/// pause, rate limits and durable accept are shared. 200 with an ExportTraceServiceResponse in the request's format,
/// whose partial_success counts the spans refused and says why; 400 unreadable body; 415 other content types or
/// encodings; 429 (with Retry-After, which OTLP exporters honour) above the organization's rate.
/// </summary>
public static class OtlpApi
{
    public const string ProtobufContentType = "application/x-protobuf";
    public const string JsonContentType = "application/json";

    public static void MapOtlpApi(this RouteGroupBuilder api)
    {
        api.MapPost("/otlp/v1/traces", ExportTracesAsync).Requires(Permission.Ingest).WithName("exportTraces").WithMetadata(new BodyLimit(OtlpLimits.MaxBodyBytes), new DecodesContentEncoding())
            .WithTags("Ingest")
            .WithMetadata(new ReadsBody(typeof(OtlpExportTraceRequest), JsonContentType, ProtobufContentType))
            .Produces<OtlpExportTraceResponse>(StatusCodes.Status200OK, JsonContentType, ProtobufContentType)
            .WithSummary("Receive an OpenTelemetry trace export (OTLP/HTTP: protobuf or JSON, optionally gzip)")
            .WithDescription("Point an OTLP exporter at this URL (traces signal) with the header Authorization: Bearer <API key with the ingest scope>. " +
                             "A trace is a run; GenAI spans become llm.call and tool.call events, other spans external.action.");
    }

    public static async Task<Results<ContentHttpResult, FileContentHttpResult>> ExportTracesAsync(HttpRequest request, Caller caller, IngestAcceptor acceptor, CancellationToken ct)
    {
        var json = IsJson(request);
        var body = await ReadBodyAsync(request, ct);
        var export = json ? OtlpJson.ParseRequest(body) : ParseProtobuf(body);
        // Every span makes at least one event: refuse an export that is too large before mapping it (a small gzip
        // body can hold a very large number of spans).
        var spanCount = export.ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => (long)s.Spans.Count));
        if (spanCount > OtlpLimits.MaxEventsPerExport)
            throw new ApiProblem(StatusCodes.Status413PayloadTooLarge, "too_many_spans", "Payload too large",
                $"This export has {spanCount} spans; one export may make at most {OtlpLimits.MaxEventsPerExport} events. " +
                "Lower the exporter's batch size (OTEL_BSP_MAX_EXPORT_BATCH_SIZE; a collector's send_batch_max_size).");
        var response = await AcceptAsync(caller, acceptor, OtlpMapper.Map(export), ct);
        return json
            ? TypedResults.Text(OtlpJson.Format(response), JsonContentType, System.Text.Encoding.UTF8)
            : TypedResults.Bytes(response.ToByteArray(), ProtobufContentType);
    }

    /// <summary>The two OTLP/HTTP encodings; anything else is 415 before the body is read.</summary>
    private static bool IsJson(HttpRequest request)
    {
        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var type))
        {
            if (type.MediaType.Equals(ProtobufContentType, StringComparison.OrdinalIgnoreCase)
                || type.MediaType.Equals("application/protobuf", StringComparison.OrdinalIgnoreCase)) return false;
            if (type.MediaType.Equals(JsonContentType, StringComparison.OrdinalIgnoreCase)) return true;
        }
        throw new ApiProblem(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Unsupported media type",
            $"Send OTLP as {ProtobufContentType} or {JsonContentType}.");
    }

    /// <summary>The whole body, gunzipped when Content-Encoding says gzip, never more than the limit either way (<see cref="RequestEncoding"/>).</summary>
    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        await using var gzip = RequestEncoding.GzipReader(request);
        try { return await ReadCappedAsync((Stream?)gzip ?? request.Body, OtlpLimits.MaxBodyBytes, ct); }
        catch (InvalidDataException) { throw RequestEncoding.MalformedGzip(); }
    }

    private static async Task<byte[]> ReadCappedAsync(Stream stream, int limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
                throw new ApiProblem(StatusCodes.Status413PayloadTooLarge, "payload_too_large", "Payload too large",
                    $"The export is larger than {limit / 1024 / 1024} MiB (after decompression). Export smaller batches.");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static ExportTraceServiceRequest ParseProtobuf(byte[] body)
    {
        try { return ExportTraceServiceRequest.Parser.ParseFrom(body); }
        catch (InvalidProtocolBufferException)
        {
            throw ApiProblem.BadRequest("malformed_protobuf", "The body is not a protobuf-encoded OTLP ExportTraceServiceRequest.");
        }
    }

    /// <summary>
    /// Hands the spans' events to the acceptor, at most <see cref="IngestLimits.MaxEventsPerBatch"/> per call. Should a
    /// later batch meet the rate limit, the 429 goes back and the exporter retries the export: the batches accepted before
    /// it are then duplicates by event id, and change nothing.
    /// </summary>
    internal static async Task<ExportTraceServiceResponse> AcceptAsync(Caller caller, IngestAcceptor acceptor, IReadOnlyList<MappedSpan> spans, CancellationToken ct)
    {
        var items = new JsonArray();
        var owner = new List<int>();
        var failures = new List<(int Span, ItemError Error)>();
        for (var i = 0; i < spans.Count; i++)
        {
            if (spans[i].Error is { } error) failures.Add((i, error));
            foreach (var item in spans[i].Items)
            {
                items.Add(item);
                owner.Add(i);
            }
        }
        if (items.Count > OtlpLimits.MaxEventsPerExport)
            throw new ApiProblem(StatusCodes.Status413PayloadTooLarge, "too_many_spans", "Payload too large",
                $"This export of {spans.Count} spans makes {items.Count} events; one export may make at most {OtlpLimits.MaxEventsPerExport}. " +
                "Lower the exporter's batch size (OTEL_BSP_MAX_EXPORT_BATCH_SIZE; a collector's send_batch_max_size).");

        // Serialized once and read back: the acceptor takes the same JSON elements as /ingest.
        using var document = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(items, OtlpMapper.Serialization),
            new JsonDocumentOptions { MaxDepth = Json.MaxOutputDepth });
        var elements = document.RootElement.EnumerateArray().ToArray();
        for (var offset = 0; offset < elements.Length; offset += IngestLimits.MaxEventsPerBatch)
        {
            var batch = elements[offset..Math.Min(elements.Length, offset + IngestLimits.MaxEventsPerBatch)];
            var accepted = await acceptor.AcceptAsync(caller, batch, ct);
            foreach (var result in accepted.Results ?? [])
                if (result.Status != "accepted")
                    failures.Add((owner[offset + result.Index], new ItemError(result.Code ?? "rejected", result.Message ?? "rejected", result.Path)));
        }
        return Response(spans.Count, failures);
    }

    /// <summary>
    /// The export's answer, pure: a span counts as rejected when any of its events was, and the message says how many
    /// spans each problem cost, with the first explanation of each (the sender's logs are where it will be read).
    /// </summary>
    internal static ExportTraceServiceResponse Response(int spanCount, IReadOnlyCollection<(int Span, ItemError Error)> failures)
    {
        var rejected = failures.Select(f => f.Span).Distinct().Count();
        if (rejected == 0) return new ExportTraceServiceResponse();
        var reasons = failures.GroupBy(f => f.Error.Code, StringComparer.Ordinal)
            .Select(g => (Code: g.Key, Spans: g.Select(f => f.Span).Distinct().Count(), g.First().Error.Message))
            .OrderByDescending(r => r.Spans).ThenBy(r => r.Code, StringComparer.Ordinal)
            .Select(r => $"{r.Code} ({r.Spans} {(r.Spans == 1 ? "span" : "spans")}): {r.Message}");
        var message = $"{rejected} of {spanCount} spans rejected. " + string.Join(" ", reasons);
        if (message.Length > OtlpLimits.MaxErrorMessageLength) message = OtlpMapper.Cut(message, OtlpLimits.MaxErrorMessageLength);
        return new ExportTraceServiceResponse { PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = rejected, ErrorMessage = message } };
    }
}
