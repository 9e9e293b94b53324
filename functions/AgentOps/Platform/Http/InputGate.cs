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
/// Endpoint metadata: the endpoint decodes a Content-Encoding itself (OTLP: gzip) and then applies
/// <see cref="JsonInput"/> to what it decoded. Every other endpoint refuses an encoded body (415), which the gate could not read.
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
                metadata.GetMetadata<DecodesContentEncoding>() is not null);
        await next(context);
    }
}

public static class InputGate
{
    public static async Task CheckAsync(HttpContext context, long bodyLimit, string? batchItems, bool decodesContentEncoding)
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

        if (IsEncoded(request))
        {
            if (decodesContentEncoding) return;
            throw new ApiProblem(StatusCodes.Status415UnsupportedMediaType, "unsupported_content_encoding", "Unsupported media type",
                "This endpoint takes an uncompressed body (no Content-Encoding).");
        }
        if (request.ContentLength == 0 || !request.HasJsonContentType()) return;
        var (buffer, length) = await ReadAsync(request, bodyLimit, context.RequestAborted);
        context.Response.RegisterForDispose(new Returned(buffer));
        if (length > 0 && JsonInput.Inspect(buffer.AsSpan(0, length), batchItems) is { } fault)
            throw fault.ToProblem();
        request.Body = new MemoryStream(buffer, 0, length, writable: false);
    }

    /// <summary>A Content-Encoding other than identity: only an endpoint that decodes it can read the body.</summary>
    private static bool IsEncoded(HttpRequest request) =>
        request.Headers.ContentEncoding.ToString().Trim() is { Length: > 0 } encoding && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase);

    /// <summary>The whole body into a pooled buffer (returned when the response is done), never more than the limit.</summary>
    private static async Task<(byte[] Buffer, int Length)> ReadAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? 16 * 1024, limit) + 1);
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
                var read = await request.Body.ReadAsync(buffer.AsMemory(length), ct);
                if (read == 0) return (buffer, length);
                length += read;
                if (length > limit)
                    throw new ApiProblem(StatusCodes.Status413PayloadTooLarge, "payload_too_large", "Payload too large", $"The request body is larger than this endpoint's limit of {limit} bytes.");
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
