using System.IO.Compression;

namespace AgentOps.Platform.Http;

/// <summary>
/// Endpoint metadata: the endpoint takes a gzip-compressed JSON body (Content-Encoding: gzip), as SDKs send ingest
/// batches. The input gate decompresses it, never past the route's body limit, and applies the same JSON rules
/// (<see cref="JsonInput"/>) to what it decompressed; the endpoint reads plain JSON.
/// </summary>
public sealed record AcceptsGzip;

/// <summary>
/// A request body's Content-Encoding, one rule for every reader (the input gate for JSON routes, OTLP for its own
/// protobuf or JSON): absent or identity is plain; gzip is decompressed where the route takes it, as a stream, so the
/// reader's size cap applies to the decompressed bytes and a small bomb stops at the cap (413) instead of being
/// inflated whole; a broken gzip stream is 400 malformed_gzip; any other encoding is 415.
/// </summary>
public static class RequestEncoding
{
    /// <summary>Whether a Content-Encoding other than identity is given.</summary>
    public static bool IsEncoded(HttpRequest request) =>
        request.Headers.ContentEncoding.ToString().Trim() is { Length: > 0 } encoding && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase);

    public static bool IsGzip(HttpRequest request) =>
        request.Headers.ContentEncoding.ToString().Trim().Equals("gzip", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A decompressing reader over the body when it is gzip (dispose it; the body stays open), null when it is plain;
    /// refused (415) when it has any other encoding.
    /// </summary>
    public static GZipStream? GzipReader(HttpRequest request)
    {
        if (IsGzip(request)) return new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true);
        if (IsEncoded(request)) throw Unsupported("Content-Encoding must be gzip or absent.");
        return null;
    }

    public static ApiProblem Unsupported(string detail) =>
        new(StatusCodes.Status415UnsupportedMediaType, "unsupported_content_encoding", "Unsupported media type", detail);

    /// <summary>What a reader answers when decompressing failed (<see cref="InvalidDataException"/> from the gzip stream).</summary>
    public static ApiProblem MalformedGzip() => ApiProblem.BadRequest("malformed_gzip", "The body is not valid gzip (Content-Encoding: gzip).");

    /// <summary>What a reader answers when the decompressed body passes the limit.</summary>
    public static ApiProblem TooLargeDecompressed(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, "payload_too_large", "Payload too large",
            $"The request body is larger than this endpoint's limit of {limit} bytes after decompression.");
}
