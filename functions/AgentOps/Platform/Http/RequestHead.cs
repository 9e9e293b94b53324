using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace AgentOps.Platform.Http;

/// <summary>
/// The limits of a request's head — its target (path and query string) and its headers — that the application answers
/// itself, as problems. A host lets twice as much through (<see cref="ServerRequestLineBytes"/>,
/// <see cref="ServerHeaderBytes"/>, <see cref="ServerHeaderCount"/>) and header values in any encoding, so that the
/// application decides rather than the web server's empty-bodied answer. What only the web server can refuse is listed
/// in docs/api.md ("Errors only the web server gives").
/// </summary>
public static class RequestHead
{
    /// <summary>The longest request target (path and query string, as sent) the API reads: 8 KiB.</summary>
    public const int MaxTargetBytes = 8 * 1024;

    /// <summary>At most this many characters of header names and values in all: 32 KiB.</summary>
    public const int MaxHeaderChars = 32 * 1024;

    /// <summary>At most this many header fields.</summary>
    public const int MaxHeaderCount = 100;

    /// <summary>What a host lets through as a request line (method, target, version); beyond it the server answers 414 with no body.</summary>
    public const int ServerRequestLineBytes = 2 * MaxTargetBytes;

    /// <summary>What a host lets through as a header block; beyond it the server answers 431 with no body.</summary>
    public const int ServerHeaderBytes = 2 * MaxHeaderChars;

    /// <summary>How many header fields a host lets through; beyond it the server answers 431 with no body.</summary>
    public const int ServerHeaderCount = 2 * MaxHeaderCount;

    /// <summary>
    /// How a host decodes request header values: UTF-8, with U+FFFD in place of bytes that are not UTF-8, instead of
    /// refusing the request. A mangled Authorization header is then the application's 401 (invalid_token), not an
    /// empty 400. (NUL, CR and LF in a header are still refused by the server.)
    /// </summary>
    public static readonly Encoding HeaderEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>The target as the client sent it (RawTarget), else as the server decoded it.</summary>
    public static int TargetLength(HttpContext context) =>
        context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } raw
            ? raw.Length
            : (context.Request.PathBase.Value?.Length ?? 0) + (context.Request.Path.Value?.Length ?? 0) + (context.Request.QueryString.Value?.Length ?? 0);

    /// <summary>The problem for a head over a limit, or null. Pure over its inputs.</summary>
    public static ApiProblem? Check(int targetLength, IHeaderDictionary headers)
    {
        if (targetLength > MaxTargetBytes)
            return new ApiProblem(StatusCodes.Status414RequestUriTooLong, "uri_too_long", "URI too long",
                $"The request target (path and query string) is longer than {MaxTargetBytes} bytes.");
        var fields = 0;
        long chars = 0;
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                fields++;
                chars += name.Length + (value?.Length ?? 0);
            }
        }
        return fields > MaxHeaderCount || chars > MaxHeaderChars
            ? new ApiProblem(StatusCodes.Status431RequestHeaderFieldsTooLarge, "headers_too_large", "Request header fields too large",
                $"The request has more than {MaxHeaderCount} header fields or more than {MaxHeaderChars} characters of header names and values.")
            : null;
    }

    public static void ThrowIfTooLarge(HttpContext context)
    {
        if (Check(TargetLength(context), context.Request.Headers) is { } problem) throw problem;
    }

    /// <summary>Middleware, first after the error handler, for the self-host.</summary>
    public static Task Middleware(HttpContext context, RequestDelegate next)
    {
        ThrowIfTooLarge(context);
        return next(context);
    }
}
