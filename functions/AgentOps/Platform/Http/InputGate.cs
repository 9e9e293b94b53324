using System.Buffers;

namespace AgentOps.Platform.Http;

/// <summary>
/// Endpoint metadata: the body is a batch whose items, in the named top-level array, are accepted or refused one by
/// one (ingest answers 207 with a result per item). The gate still refuses a body that is not UTF-8, too deep, has a
/// duplicate key or a number out of range, but leaves the text rule inside the items to the endpoint, so one bad item
/// does not cost its neighbours.
/// </summary>
public sealed record BatchItems(string Property);

/// <summary>
/// Endpoint metadata: the endpoint decodes a Content-Encoding itself (OTLP: gzip, with <see cref="RequestEncoding"/>)
/// and then applies <see cref="JsonInput"/> to what it decoded. The gate decodes gzip for endpoints marked
/// <see cref="AcceptsGzip"/>; every other endpoint refuses an encoded body (415), which the gate could not read.
/// </summary>
public sealed record DecodesContentEncoding;

/// <summary>
/// The one input gate, before any endpoint reads its request: query and route values and JSON bodies must hold text
/// that Postgres can store and .NET can read (<see cref="JsonInput"/>), or the request is refused with a 400 problem
/// naming where. A JSON body is read once, up to the route's size limit, and handed on from memory.
/// </summary>
public sealed class InputGateMiddleware(RequestDelegate next, AgentOpsOptions options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // Mapped routes only, like access: an unknown route or method is a 404/405 and is not read.
        if (context.GetEndpoint() is RouteEndpoint { Metadata: var metadata })
            await InputGate.CheckAsync(context, RequestSizeMiddleware.LimitFor(context, options), metadata.GetMetadata<BatchItems>()?.Property,
                metadata.GetMetadata<DecodesContentEncoding>() is not null, metadata.GetMetadata<AcceptsGzip>() is not null);
        await next(context);
    }
}

public static class InputGate
{
    public static async Task CheckAsync(HttpContext context, long bodyLimit, string? batchItems, bool decodesContentEncoding, bool acceptsGzip = false)
    {
        var request = context.Request;
        foreach (var (name, values) in request.Query)
        {
            if (JsonInput.TextProblem(name) is { } keyProblem) throw new InputFault("invalid_text", "A query parameter's name " + keyProblem, "query").ToProblem();
            foreach (var value in values)
                if (value is not null && JsonInput.TextProblem(value) is { } problem)
                    throw new InputFault("invalid_text", $"The query parameter '{name}' " + problem, name).ToProblem();
        }
        foreach (var (name, value) in request.RouteValues)
            if (value is string text && JsonInput.TextProblem(text) is { } problem)
                throw new InputFault("invalid_text", $"The path segment '{name}' " + problem, name).ToProblem();

        var gzip = false;
        if (RequestEncoding.IsEncoded(request))
        {
            if (decodesContentEncoding) return;
            if (!acceptsGzip || !RequestEncoding.IsGzip(request))
                throw RequestEncoding.Unsupported(acceptsGzip
                    ? "This endpoint takes an uncompressed or a gzip-compressed body (Content-Encoding: gzip)."
                    : "This endpoint takes an uncompressed body (no Content-Encoding).");
            // A compressed body is only read as JSON: anything else would reach binding still compressed.
            if (!request.HasJsonContentType())
                throw new ApiProblem(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Unsupported media type", "Send the body as application/json.");
            gzip = true;
        }
        else if (request.ContentLength == 0 || !request.HasJsonContentType()) return;
        var (buffer, length) = gzip ? await ReadGzipAsync(request, bodyLimit, context.RequestAborted) : await ReadAsync(request.Body, request.ContentLength, bodyLimit, context.RequestAborted);
        context.Response.RegisterForDispose(new Returned(buffer));
        if (length > 0 && JsonInput.Inspect(buffer.AsSpan(0, length), batchItems) is { } fault)
            throw fault.ToProblem();
        request.Body = new MemoryStream(buffer, 0, length, writable: false);
        if (gzip)
        {
            // From here on the body is the decompressed JSON, and says so.
            request.Headers.ContentEncoding = default;
            request.ContentLength = length;
        }
    }

    /// <summary>
    /// The decompressed body, capped at the route's limit like a plain one: reading stops one chunk past the limit, so
    /// a zip bomb is refused (413) after at most that much output, never inflated whole.
    /// </summary>
    private static async Task<(byte[] Buffer, int Length)> ReadGzipAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        await using var decoded = RequestEncoding.GzipReader(request)!;
        try { return await ReadAsync(decoded, null, limit, ct, RequestEncoding.TooLargeDecompressed); }
        catch (InvalidDataException) { throw RequestEncoding.MalformedGzip(); }
    }

    private static ApiProblem TooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, "payload_too_large", "Payload too large", $"The request body is larger than this endpoint's limit of {limit} bytes.");

    /// <summary>The whole body into a pooled buffer (returned when the response is done), never more than the limit.</summary>
    private static async Task<(byte[] Buffer, int Length)> ReadAsync(Stream body, long? sizeHint, long limit, CancellationToken ct, Func<long, ApiProblem>? tooLarge = null)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(sizeHint ?? 16 * 1024, limit) + 1);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await body.ReadAsync(buffer.AsMemory(length), ct);
                if (read == 0) return (buffer, length);
                length += read;
                if (length > limit) throw (tooLarge ?? TooLarge)(limit);
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private sealed class Returned(byte[] buffer) : IDisposable
    {
        public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
    }
}
