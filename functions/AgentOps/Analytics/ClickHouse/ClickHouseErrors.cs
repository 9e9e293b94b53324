using System.Globalization;
using System.Text.RegularExpressions;

namespace AgentOps.Analytics.ClickHouse;

/// <summary>
/// A ClickHouse request that failed: the server's error code (0 when the server gave none, e.g. a connection that
/// failed) and its message. Messages never carry credentials, the URL's user info, or a stack trace.
/// </summary>
public class ClickHouseException(int code, string message, int? httpStatus = null, Exception? inner = null)
    : Exception(code > 0 ? $"ClickHouse error {code}: {message}" : $"ClickHouse: {message}", inner), IHasProblem
{
    public int Code { get; } = code;
    public int? HttpStatus { get; } = httpStatus;
    public string ServerMessage { get; } = message;

    /// <summary>What a client sees: overloaded or unreachable is a 503 to retry; any other error is internal.</summary>
    public ApiProblem? Problem => this is ClickHouseBackpressureException
        ? new ApiProblem(StatusCodes.Status503ServiceUnavailable, "analytics_busy", "Service unavailable", "The analytics store is overloaded. Retry shortly.") { RetryAfterSeconds = 5 }
        : Code == 0
            ? new ApiProblem(StatusCodes.Status503ServiceUnavailable, "analytics_unavailable", "Service unavailable", "The analytics store did not answer. Retry shortly.") { RetryAfterSeconds = 5 }
            : null;
}

/// <summary>
/// The server is overloaded rather than the request wrong: too many parts (inserts outrun merges), a memory limit,
/// too many simultaneous queries, or 503. Callers should slow down (e.g. a job reschedules the shard later).
/// </summary>
public sealed class ClickHouseBackpressureException(int code, string message, int? httpStatus = null, Exception? inner = null)
    : ClickHouseException(code, message, httpStatus, inner);

/// <summary>How a failed attempt is treated: retried (and how), or given up at once.</summary>
public enum FailureKind
{
    /// <summary>Connection refused or reset, DNS, a broken pipe: the request may not have reached the server.</summary>
    Network,
    /// <summary>No answer within the per-request timeout.</summary>
    Timeout,
    /// <summary>A 5xx without a ClickHouse error code (a proxy, a restarting server) or a transient server-side network code.</summary>
    Transient,
    /// <summary>The server sheds load: retried with backoff, then <see cref="ClickHouseBackpressureException"/>.</summary>
    Backpressure,
    /// <summary>The request itself is wrong (syntax, unknown table, bad data, auth): never retried.</summary>
    Query,
}

/// <summary>The server's error format and what each failure means for retrying. Pure functions.</summary>
public static partial class ClickHouseErrors
{
    // Codes from ClickHouse's ErrorCodes.cpp (stable across versions).
    public const int TooManySimultaneousQueries = 202;
    public const int NetworkError = 210;
    public const int SocketTimeout = 209;
    public const int MemoryLimitExceeded = 241;
    public const int TooManyParts = 252;

    private static readonly HashSet<int> BackpressureCodes = [TooManyParts, MemoryLimitExceeded, TooManySimultaneousQueries];
    private static readonly HashSet<int> TransientCodes = [NetworkError, SocketTimeout];

    /// <summary>Longest server message kept (18.16's syntax errors list every expected token).</summary>
    public const int MaxMessageLength = 1000;

    // 18.x: "Code: 62, e.displayText() = DB::Exception: Syntax error: ..., e.what() = DB::Exception"
    // 19.x+: "Code: 62. DB::Exception: Syntax error: ... (SYNTAX_ERROR) (version 22.3.1)"
    [GeneratedRegex(@"Code:\s*(\d+)\s*[,.]\s*(?:e\.displayText\(\)\s*=\s*)?(?:DB::Exception:\s*)?(.*)", RegexOptions.Singleline)]
    private static partial Regex ErrorPattern();

    [GeneratedRegex(@",\s*e\.what\(\)\s*=\s*DB::Exception\s*$|\s*\(version [^)]*\)\s*$", RegexOptions.Singleline)]
    private static partial Regex Trailer();

    /// <summary>The code and message of an error body, or null when the text is not a ClickHouse error.</summary>
    public static (int Code, string Message)? Parse(string? body)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        var match = ErrorPattern().Match(body);
        if (!match.Success || !int.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var code)) return null;
        var message = Trailer().Replace(match.Groups[2].Value.Trim(), "").Trim();
        if (message.Length > MaxMessageLength) message = message[..MaxMessageLength] + "…";
        return (code, message);
    }

    /// <summary>What an HTTP answer with this status and (parsed) error code means.</summary>
    public static FailureKind Classify(int httpStatus, int? code)
    {
        if (httpStatus == 503 || code is { } c && BackpressureCodes.Contains(c)) return FailureKind.Backpressure;
        if (code is { } t && TransientCodes.Contains(t)) return FailureKind.Transient;
        // A 5xx that ClickHouse itself did not explain came from something in between (or a server going away).
        if (httpStatus >= 500 && code is null) return FailureKind.Transient;
        return FailureKind.Query;
    }

    /// <summary>The exception callers see for a server answer.</summary>
    public static ClickHouseException ToException(int httpStatus, string body)
    {
        var parsed = Parse(body);
        var kind = Classify(httpStatus, parsed?.Code);
        var message = parsed?.Message ?? $"HTTP {httpStatus}" + (string.IsNullOrWhiteSpace(body) ? "" : ": " + Truncate(body.Trim()));
        return kind == FailureKind.Backpressure
            ? new ClickHouseBackpressureException(parsed?.Code ?? 0, message, httpStatus)
            : new ClickHouseException(parsed?.Code ?? 0, message, httpStatus);
    }

    private static string Truncate(string text) => text.Length <= MaxMessageLength ? text : text[..MaxMessageLength] + "…";
}

/// <summary>
/// Retry policy: network failures, timeouts, transient 5xx and backpressure are retried with exponential backoff and
/// full jitter, up to the attempt budget; query errors never are. Inserts may be retried only because every table
/// deduplicates (ReplacingMergeTree by key and version), so an insert that succeeded but whose answer was lost is
/// harmless when repeated.
/// </summary>
public static class ClickHouseRetry
{
    public static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);
    /// <summary>Backpressure waits longer: merges need seconds to catch up, not milliseconds.</summary>
    public static readonly TimeSpan BackpressureBaseDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan BackpressureMaxDelay = TimeSpan.FromSeconds(15);

    /// <summary>Whether attempt number <paramref name="attempt"/> (1-based) that failed so should be followed by another.</summary>
    public static bool ShouldRetry(FailureKind kind, int attempt, int maxAttempts) => kind != FailureKind.Query && attempt < maxAttempts;

    /// <summary>The wait before the next attempt: base·2^(attempt-1), capped, scaled by jitter in [0, 1) to half..full.</summary>
    public static TimeSpan Delay(FailureKind kind, int attempt, double jitter)
    {
        var (baseDelay, max) = kind == FailureKind.Backpressure ? (BackpressureBaseDelay, BackpressureMaxDelay) : (BaseDelay, MaxDelay);
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt - 1, 0, 16));
        var capped = Math.Min(exponential, max.TotalMilliseconds);
        // Half fixed, half random: spreads retries of many callers without ever retrying at once.
        return TimeSpan.FromMilliseconds(capped * (0.5 + 0.5 * Math.Clamp(jitter, 0, 1)));
    }
}
