using System.Globalization;
using AgentOps.Platform.Auth;
using AgentOps.Platform.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AgentOps.Functions.Http;

/// <summary>
/// Parameter binding as minimal APIs do it in the self-host, for HTTP triggers: a JSON body with the API's
/// <see cref="Json.Options"/>, query values, the authenticated <see cref="Caller"/>, the <see cref="RequestInfo"/>.
/// Failures are thrown as the same exceptions minimal APIs throw (<see cref="BadHttpRequestException"/>,
/// <see cref="System.Text.Json.JsonException"/>), so <see cref="ErrorHandlingMiddleware.Translate"/> gives the same
/// problem codes (body_required, unsupported_media_type, malformed_json, unknown_field, bad_request, ...).
/// </summary>
public static class Bind
{
    public static async Task<T> BodyAsync<T>(HttpRequest request) where T : class
    {
        // Same order as minimal APIs: no body at all, then the content type, then the JSON itself.
        if (request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
            throw new BadHttpRequestException("Required parameter was not provided from body.");
        if (!request.HasJsonContentType())
            throw new BadHttpRequestException("Expected a JSON request body.", StatusCodes.Status415UnsupportedMediaType);
        return await request.ReadFromJsonAsync<T>(Json.Options, request.HttpContext.RequestAborted)
            ?? throw new BadHttpRequestException("Required parameter was not provided from body.");
    }

    /// <summary>An optional integer query value; absent or empty is null, anything else that is not an integer is a 400.</summary>
    public static int? QueryInt(HttpRequest request, string name)
    {
        var raw = request.Query[name].ToString();
        if (raw.Length == 0) return null;
        return int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new BadHttpRequestException($"Failed to bind parameter \"int? {name}\" from \"{raw}\".");
    }

    /// <summary>An optional decimal query value, parsed as minimal APIs parse <c>decimal?</c> (NumberStyles.Number, invariant culture).</summary>
    public static decimal? QueryDecimal(HttpRequest request, string name)
    {
        var raw = request.Query[name].ToString();
        if (raw.Length == 0) return null;
        return decimal.TryParse(raw, NumberStyles.Number, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new BadHttpRequestException($"Failed to bind parameter \"decimal? {name}\" from \"{raw}\".");
    }

    /// <summary>
    /// An optional time query value, parsed as minimal APIs parse <c>DateTimeOffset?</c> (invariant culture; a value
    /// without an offset is UTC).
    /// </summary>
    public static DateTimeOffset? QueryDateTimeOffset(HttpRequest request, string name)
    {
        var raw = request.Query[name].ToString();
        if (raw.Length == 0) return null;
        return DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var value)
            ? value
            : throw new BadHttpRequestException($"Failed to bind parameter \"DateTimeOffset? {name}\" from \"{raw}\".");
    }

    /// <summary>An optional string query value; absent is null.</summary>
    public static string? Query(HttpRequest request, string name)
    {
        var values = request.Query[name];
        return values.Count == 0 ? null : values.ToString();
    }

    /// <summary>The caller <see cref="Access.AuthorizeAsync"/> established for this request (the middleware ran it).</summary>
    public static Caller CallerOf(HttpRequest request) =>
        request.HttpContext.Items[typeof(Caller)] as Caller
        ?? throw new InvalidOperationException("Function takes a Caller but is not behind the access check.");

    public static RequestInfo Info(HttpRequest request) => RequestInfo.From(request.HttpContext);

    /// <summary>The request's cancellation, as the self-host passes it to endpoints.</summary>
    public static CancellationToken Aborted(HttpRequest request) => request.HttpContext.RequestAborted;
}
