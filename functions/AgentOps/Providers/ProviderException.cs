using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace AgentOps.Providers;

/// <summary>How a provider call failed.</summary>
public enum ProviderErrorKind
{
    /// <summary>429: too many requests or tokens (or quota; <see cref="ProviderException.ProviderErrorType"/> tells).</summary>
    RateLimited,
    /// <summary>5xx, Anthropic's 529 overloaded, or an overload reported inside a stream.</summary>
    Overloaded,
    /// <summary>No answer in time (the adapter's timeout or idle limit, or a 408).</summary>
    Timeout,
    /// <summary>The request was refused as malformed (4xx), or found invalid before it was sent (no status).</summary>
    BadRequest,
    /// <summary>401/403: the credential is wrong or lacks permission.</summary>
    Unauthorized,
    /// <summary>The provider's content filter refused the prompt.</summary>
    ContentBlocked,
    /// <summary>A stream broke off before the model finished.</summary>
    StreamCut,
    /// <summary>The answer is not what the provider's wire format says it is (not JSON, fields missing).</summary>
    InvalidResponse,
    /// <summary>No connection could be made or it broke before an answer came.</summary>
    ConnectionFailed,
}

/// <summary>
/// Rate-limit headers of a response: OpenAI's x-ratelimit-{limit,remaining,reset}-{requests,tokens} (resets as
/// durations: "1s", "6m0s", "20ms") and Anthropic's anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}
/// (resets as RFC 3339 times, turned into the time left from now).
/// </summary>
public sealed partial record RateLimitInfo(
    long? LimitRequests, long? RemainingRequests, TimeSpan? ResetRequests,
    long? LimitTokens, long? RemainingTokens, TimeSpan? ResetTokens)
{
    /// <summary>The headers' values, or null when the response has none.</summary>
    public static RateLimitInfo? FromHeaders(HttpResponseHeaders headers, DateTimeOffset now)
    {
        long? Number(string openAi, string anthropic) =>
            (Header(headers, openAi) ?? Header(headers, anthropic)) is { } v && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;
        TimeSpan? Reset(string openAi, string anthropic) =>
            Header(headers, openAi) is { } d ? ParseDuration(d)
            : Header(headers, anthropic) is { } t && DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? Max0(at - now)
            : null;
        var info = new RateLimitInfo(
            Number("x-ratelimit-limit-requests", "anthropic-ratelimit-requests-limit"),
            Number("x-ratelimit-remaining-requests", "anthropic-ratelimit-requests-remaining"),
            Reset("x-ratelimit-reset-requests", "anthropic-ratelimit-requests-reset"),
            Number("x-ratelimit-limit-tokens", "anthropic-ratelimit-tokens-limit"),
            Number("x-ratelimit-remaining-tokens", "anthropic-ratelimit-tokens-remaining"),
            Reset("x-ratelimit-reset-tokens", "anthropic-ratelimit-tokens-reset"));
        return info == Empty ? null : info;
    }

    private static readonly RateLimitInfo Empty = new(null, null, null, null, null, null);

    /// <summary>Longest wait a provider's header may ask for; beyond it (or NaN, infinity) the value is not believed.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromDays(1);

    /// <summary>Milliseconds as a wait, or null when not a number from 0 to <see cref="MaxWait"/> (headers are untrusted: no overflow).</summary>
    public static TimeSpan? Wait(double milliseconds) =>
        double.IsFinite(milliseconds) && milliseconds >= 0 && milliseconds <= MaxWait.TotalMilliseconds ? TimeSpan.FromMilliseconds(milliseconds) : null;

    /// <summary>A Go-style duration as OpenAI writes it ("1s", "6m0s", "1h2m3.5s", "20ms"); null when it is not one.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim();
        if (text.Length == 0) return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare)) return Wait(bare * 1000);
        var total = 0.0;
        var at = 0;
        foreach (Match m in DurationPart().Matches(text))
        {
            if (m.Index != at) return null;
            at += m.Length;
            if (!double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n)) return null;
            total += m.Groups[2].Value switch
            {
                "h" => n * 3600_000, "m" => n * 60_000, "s" => n * 1000, "ms" => n, "us" or "µs" => n / 1000, _ => n / 1_000_000,
            };
        }
        return at == text.Length ? Wait(total) : null;
    }

    internal static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    internal static TimeSpan Max0(TimeSpan t) => t < TimeSpan.Zero ? TimeSpan.Zero : t;

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)")]
    private static partial Regex DurationPart();
}

/// <summary>
/// A provider call that failed, by <see cref="Kind"/>. Adapters do not retry: <see cref="RetryAfter"/> (from
/// retry-after-ms, or retry-after in seconds or as an HTTP date) and <see cref="RateLimits"/> are for the layer that
/// does. The message never holds the credential.
/// </summary>
public sealed class ProviderException : Exception
{
    public ProviderException(ProviderErrorKind kind, string message, int? statusCode = null, TimeSpan? retryAfter = null,
        RateLimitInfo? rateLimits = null, string? requestId = null, string? providerErrorType = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
        RateLimits = rateLimits;
        RequestId = requestId;
        ProviderErrorType = providerErrorType;
    }

    public ProviderErrorKind Kind { get; }

    /// <summary>The HTTP status, when the provider answered with one.</summary>
    public int? StatusCode { get; }

    public TimeSpan? RetryAfter { get; }

    public RateLimitInfo? RateLimits { get; }

    /// <summary>The provider's request id (x-request-id / request-id), for its support.</summary>
    public string? RequestId { get; }

    /// <summary>The provider's own error type or code (rate_limit_error, insufficient_quota, content_filter, …).</summary>
    public string? ProviderErrorType { get; }

    /// <summary>Whether the same call may succeed later unchanged.</summary>
    public bool IsTransient => Kind is ProviderErrorKind.RateLimited or ProviderErrorKind.Overloaded or ProviderErrorKind.Timeout
        or ProviderErrorKind.StreamCut or ProviderErrorKind.ConnectionFailed;

    /// <summary>
    /// How long to wait, from a response's headers: retry-after-ms (OpenAI), else retry-after in seconds or as an HTTP
    /// date (RFC 9110); null when neither is there or readable.
    /// </summary>
    public static TimeSpan? RetryAfterFrom(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (RateLimitInfo.Header(headers, "retry-after-ms") is { } ms
            && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis) && RateLimitInfo.Wait(millis) is { } wait)
            return wait;
        if (RateLimitInfo.Header(headers, "retry-after") is not { } value) return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)) return RateLimitInfo.Wait(seconds * 1000);
        return DateTimeOffset.TryParseExact(value.Trim(), "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? RateLimitInfo.Max0(at - now) : null;
    }
}
