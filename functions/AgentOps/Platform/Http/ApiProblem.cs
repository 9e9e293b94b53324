namespace AgentOps.Platform.Http;

/// <summary>
/// An error the API answers with an RFC 9457 problem: HTTP status, a stable machine-readable <see cref="Code"/>, a
/// short human title and detail. Thrown from application code; the error middleware writes it. Never carries
/// secrets or internals: the text is written for the API's users.
/// </summary>
public sealed class ApiProblem(int status, string code, string title, string? detail = null,
    IReadOnlyDictionary<string, string[]>? errors = null) : Exception(title)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    public string Title { get; } = title;
    public string? Detail { get; } = detail;
    public IReadOnlyDictionary<string, string[]>? Errors { get; } = errors;

    /// <summary>Seconds a client should wait (429); written as the Retry-After header.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static ApiProblem BadRequest(string code, string detail) => new(StatusCodes.Status400BadRequest, code, "Bad request", detail);
    public static ApiProblem Unauthorized(string code, string detail) => new(StatusCodes.Status401Unauthorized, code, "Unauthorized", detail);
    public static ApiProblem Forbidden(string code, string detail) => new(StatusCodes.Status403Forbidden, code, "Forbidden", detail);
    /// <summary>Also the answer for another organization's resources: existence never leaks.</summary>
    public static ApiProblem NotFound(string what) => new(StatusCodes.Status404NotFound, "not_found", "Not found", $"No {what} with that id in this organization.");
    public static ApiProblem Conflict(string code, string detail) => new(StatusCodes.Status409Conflict, code, "Conflict", detail);
    public static ApiProblem Gone(string code, string detail) => new(StatusCodes.Status410Gone, code, "Gone", detail);
    public static ApiProblem Unprocessable(string code, string detail, IReadOnlyDictionary<string, string[]>? errors = null) =>
        new(StatusCodes.Status422UnprocessableEntity, code, "Unprocessable request", detail, errors);
    public static ApiProblem Validation(IReadOnlyDictionary<string, string[]> errors) =>
        new(StatusCodes.Status422UnprocessableEntity, "validation_failed", "Validation failed",
            "One or more fields are invalid; see errors, keyed by JSON path.", errors);
    public static ApiProblem TooManyRequests(string detail, int retryAfterSeconds) =>
        new(StatusCodes.Status429TooManyRequests, "rate_limited", "Too many requests", detail) { RetryAfterSeconds = retryAfterSeconds };
}

/// <summary>
/// An exception of a dependency a feature owns (the analytics store, say) that knows how a client should see it —
/// overloaded, unreachable — so the error mapping turns it into that problem without Platform knowing the feature.
/// Null: an internal error like any other.
/// </summary>
public interface IHasProblem
{
    ApiProblem? Problem { get; }
}
