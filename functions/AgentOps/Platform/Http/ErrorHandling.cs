using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace AgentOps.Platform.Http;

/// <summary>
/// Turns every failure into an RFC 9457 problem with a stable code: thrown <see cref="ApiProblem"/>s, framework
/// binding errors (malformed JSON, wrong content type, body too large), bare status codes (unknown route, wrong
/// method) and unexpected exceptions (500, logged with a trace id, never the stack trace or a message in the response).
/// </summary>
public sealed class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
            if (context.Response is { HasStarted: false, StatusCode: >= 400, ContentLength: null } && context.Response.ContentType is null)
                await WriteAsync(context, FromStatus(context.Response.StatusCode));
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            if (e is OperationCanceledException && context.RequestAborted.IsCancellationRequested) return;
            var problem = Translate(e);
            if (problem.Status >= 500)
                logger.LogError("Unhandled {ExceptionType} on {Method} {Route}: {Message} (trace {TraceId})",
                    e.GetType().Name, context.Request.Method, context.GetEndpoint()?.DisplayName ?? context.Request.Path.ToString(),
                    SafeErrors.Message(e), Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier);
            await WriteAsync(context, problem);
        }
    }

    /// <summary>Maps any exception to the problem the client sees. Pure.</summary>
    public static ApiProblem Translate(Exception e) => e switch
    {
        ApiProblem p => p,
        DomainError d => d.Kind switch
        {
            DomainErrorKind.Invalid => d.Code == "validation_failed" ? ApiProblem.Validation(d.Errors)
                : ApiProblem.Unprocessable(d.Code, d.Detail, d.Errors.Count == 0 ? null : d.Errors),
            DomainErrorKind.NotFound => new ApiProblem(StatusCodes.Status404NotFound, d.Code, "Not found", d.Detail),
            DomainErrorKind.Unauthenticated => ApiProblem.Unauthorized(d.Code, d.Detail),
            DomainErrorKind.Forbidden => ApiProblem.Forbidden(d.Code, d.Detail),
            DomainErrorKind.Gone => ApiProblem.Gone(d.Code, d.Detail),
            _ => new ApiProblem(StatusCodes.Status409Conflict, d.Code, "Conflict", d.Detail, d.Errors.Count == 0 ? null : d.Errors),
        },
        BadHttpRequestException b => FromBadRequest(b),
        // Request bodies are read by binding (a BadHttpRequestException around the JsonException) after the input gate;
        // a bare JsonException is the server's own (writing a response, reading what it stored): a 500, never the
        // client's "malformed JSON".
        PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected } =>
            new ApiProblem(StatusCodes.Status503ServiceUnavailable, "retry", "Try again", "A concurrent change conflicted with this request; it changed nothing. Retry it."),
        NpgsqlException { IsTransient: true } =>
            new ApiProblem(StatusCodes.Status503ServiceUnavailable, "database_unavailable", "Service unavailable", "The database did not answer; nothing was changed. Retry shortly.") { RetryAfterSeconds = 1 },
        IHasProblem { Problem: { } problem } => problem,
        _ => new ApiProblem(StatusCodes.Status500InternalServerError, "internal_error", "Internal error", "Something failed on our side; nothing was changed. Quote the trace id when reporting it."),
    };

    private static ApiProblem FromBadRequest(BadHttpRequestException b)
    {
        if (b.InnerException is JsonException j) return FromJson(j);
        return b.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => new ApiProblem(413, "payload_too_large", "Payload too large", "The request body is larger than this endpoint accepts."),
            StatusCodes.Status415UnsupportedMediaType => new ApiProblem(415, "unsupported_media_type", "Unsupported media type", "Send the body as application/json."),
            _ when InvalidParameter(b.Message) is { } name => new ApiProblem(400, "invalid_parameter", "Bad request", $"The value of '{name}' is not valid.",
                new Dictionary<string, string[]> { [name] = ["is not valid."] }),
            _ when b.Message.Contains("body", StringComparison.OrdinalIgnoreCase) => ApiProblem.BadRequest("body_required", "This endpoint needs a JSON body."),
            _ => ApiProblem.BadRequest("bad_request", "The request could not be read: check the route parameters and query string."),
        };
    }

    /// <summary>The parameter named by minimal APIs' binding failure: Failed to bind parameter "DateTimeOffset? from" from "x".</summary>
    private static string? InvalidParameter(string message)
    {
        const string prefix = "Failed to bind parameter \"";
        if (!message.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var end = message.IndexOf('"', prefix.Length);
        return end < 0 ? null : message[prefix.Length..end].Split(' ')[^1];
    }

    private static ApiProblem FromJson(JsonException j)
    {
        var path = j.Path ?? "$";
        // The framework's message names .NET types; ours names only the JSON path.
        if (j.Message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
            return new ApiProblem(400, "unknown_field", "Bad request", $"Unknown field at {path}. Unknown fields are rejected; see docs/api.md.",
                new Dictionary<string, string[]> { [path] = ["is not a field of this request."] });
        if (j.Message.Contains("could not be converted", StringComparison.Ordinal))
            return new ApiProblem(400, "type_mismatch", "Bad request", $"The value at {path} has the wrong type.",
                new Dictionary<string, string[]> { [path] = ["has the wrong type."] });
        return new ApiProblem(400, "malformed_json", "Bad request", $"The body is not valid JSON (near {path}, line {j.LineNumber + 1}).");
    }

    private static ApiProblem FromStatus(int status) => status switch
    {
        400 => ApiProblem.BadRequest("bad_request", "The request could not be read (e.g. a malformed chunked body)."),
        404 => new ApiProblem(404, "route_not_found", "Not found", "No such route. The API lives under /api/v1; see /api/openapi.json."),
        405 => new ApiProblem(405, "method_not_allowed", "Method not allowed", "This route does not accept that method."),
        413 => new ApiProblem(413, "payload_too_large", "Payload too large", "The request body is larger than this endpoint accepts."),
        415 => new ApiProblem(415, "unsupported_media_type", "Unsupported media type", "Send the body as application/json."),
        _ => new ApiProblem(status, "http_" + status.ToString(CultureInfo.InvariantCulture), "Error", null),
    };

    public static ProblemDetails ToProblemDetails(ApiProblem p, HttpContext context)
    {
        var details = new ProblemDetails
        {
            Status = p.Status,
            Type = "https://agentops.dev/problems/" + p.Code.Replace('_', '-'),
            Title = p.Title,
            Detail = p.Detail,
            Instance = context.Request.Path,
        };
        details.Extensions["code"] = p.Code;
        details.Extensions["trace_id"] = Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier;
        if (p.Errors is not null) details.Extensions["errors"] = p.Errors;
        return details;
    }

    public static async Task WriteAsync(HttpContext context, ApiProblem p)
    {
        context.Response.Clear();
        context.Response.StatusCode = p.Status;
        if (p.RetryAfterSeconds is { } retry) context.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        if (p.Status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer";
        await context.Response.WriteAsJsonAsync(ToProblemDetails(p, context), Json.Options, "application/problem+json", context.RequestAborted);
    }
}
