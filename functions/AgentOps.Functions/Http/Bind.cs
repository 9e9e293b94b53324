using System.Globalization;
using AgentOps.Platform.Auth;
using AgentOps.Platform.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AgentOps.Functions.Http;

/// <summary>
/// Parameter binding as minimal APIs do it in the self-host, for HTTP triggers: a JSON body with the API's
/// <see cref="Json.Options"/>, query values, the authenticated <see cref="Caller"/>, the <see cref="RequestInfo"/>.
/// Failures are thrown as the same exceptions minimal APIs throw (<see cref="BadHttpRequestException"/>, with a JSON
/// failure inside it), so <see cref="ErrorHandlingMiddleware.Translate"/> gives the same problem codes (body_required,
/// unsupported_media_type, unknown_field, type_mismatch, bad_request, ...); a bare JsonException would be the server's 500.
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
        try
        {
            return await request.ReadFromJsonAsync<T>(Json.Options, request.HttpContext.RequestAborted)
                ?? throw new BadHttpRequestException("Required parameter was not provided from body.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new BadHttpRequestException($"Failed to read parameter \"{typeof(T).Name} body\" from the request body as JSON.", e);
        }
    }

    /// <summary>An optional JSON body (minimal APIs bind a nullable body parameter to null when none is sent).</summary>
    public static async Task<T?> OptionalBodyAsync<T>(HttpRequest request) where T : class =>
        request.ContentLength is 0 || request.ContentLength is null && !request.Headers.ContainsKey("Transfer-Encoding")
            ? null
            : await BodyAsync<T>(request);

    // Optional query values, parsed as minimal APIs parse int?, decimal? and DateTimeOffset? (ParameterBindingMethodCache:
    // invariant culture; NumberStyles.Integer, NumberStyles.Number; AssumeUniversal | AllowWhiteSpaces). Only an absent
    // value is null: a present one that does not parse, even an empty one (?limit=), is a 400 bad_request, as in the self-host.

    public static int? QueryInt(HttpRequest request, string name) => QueryValue<int>(request, name, "int",
        static raw => int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null);

    public static bool? QueryBool(HttpRequest request, string name) => QueryValue<bool>(request, name, "bool",
        static raw => bool.TryParse(raw, out var value) ? value : null);

    public static decimal? QueryDecimal(HttpRequest request, string name) => QueryValue<decimal>(request, name, "decimal",
        static raw => decimal.TryParse(raw, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : null);

    public static DateTimeOffset? QueryDateTimeOffset(HttpRequest request, string name) => QueryValue<DateTimeOffset>(request, name, "DateTimeOffset",
        static raw => DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var value) ? value : null);

    /// <summary>A calendar date, yyyy-MM-dd.</summary>
    public static DateOnly? QueryDate(HttpRequest request, string name) => QueryValue<DateOnly>(request, name, "DateOnly",
        static raw => DateOnly.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var value) ? value : null);

    private static T? QueryValue<T>(HttpRequest request, string name, string type, Func<string, T?> parse) where T : struct
    {
        var values = request.Query[name];
        if (values.Count == 0) return null;
        var raw = values.ToString(); // several values are joined with commas, as minimal APIs see them
        return parse(raw) ?? throw new BadHttpRequestException($"Failed to bind parameter \"Nullable<{type}> {name}\" from \"{raw}\".");
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
