using System.Diagnostics;
using AgentOps.Platform;
using AgentOps.Platform.Auth;
using AgentOps.Platform.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace AgentOps.Functions.Http;

/// <summary>
/// What the self-host's pipeline (<c>AgentOpsApplication.UseAgentOps</c>) does around an endpoint, for HTTP triggers:
/// client address from forwarded headers when configured, the request size limit (<see cref="RequestSizeMiddleware"/>,
/// with the function's [RequestBodyLimit] when it declares one), access (<see cref="Access.AuthorizeAsync"/> with the
/// permission the function declares; anonymous functions skip it), the input gate (<see cref="InputGate"/>) and error translation
/// (<see cref="ErrorHandlingMiddleware.Translate"/>, written by <see cref="ErrorHandlingMiddleware.WriteAsync"/>).
/// It runs inside the ASP.NET Core integration's own middleware, which executes the <see cref="IResult"/> a function
/// returns or that this middleware puts in its place. Other triggers (timers, queues) pass straight through.
/// </summary>
public sealed class AgentOpsHttpMiddleware(FunctionAccess functions, Access access, AgentOpsOptions options,
    ILoggerFactory loggers, ILogger<AgentOpsHttpMiddleware> logger) : IFunctionsWorkerMiddleware
{
    private readonly RequestSizeMiddleware _size = new(static _ => Task.CompletedTask, options);
    // The self-host reads a route's own limit from its BodyLimit endpoint metadata; a function has no such endpoint, so
    // the same check runs with the declared limit in place of the default one.
    private readonly Dictionary<long, RequestSizeMiddleware> _sizeByLimit = functions.BodyLimits.ToDictionary(
        limit => limit, limit => new RequestSizeMiddleware(static _ => Task.CompletedTask, options with { MaxRequestBytes = limit }));
    private readonly ForwardedHeadersMiddleware? _forwarded = options.TrustForwardedHeaders
        ? new(static _ => Task.CompletedTask, loggers, Options.Create(AgentOpsApplication.ForwardedHeadersFromAnyProxy()))
        : null;

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is not { } http)
        {
            await next(context);
            return;
        }
        var name = context.FunctionDefinition.Name;
        try
        {
            _forwarded?.ApplyForwarders(http);
            await (functions.BodyLimit(name) is { } limit ? _sizeByLimit[limit] : _size).InvokeAsync(http);
            if (!functions.TryGet(name, out var permission))
                throw new InvalidOperationException($"HTTP function {name} declares neither [Requires(...)] nor [AnonymousRoute].");
            if (permission is { } required)
                await access.AuthorizeAsync(http, required, http.RequestAborted);
            // Functions carry no endpoint metadata: what the self-host's ingest and OTLP routes declare (BatchItems,
            // DecodesContentEncoding) is named here until the routes are derived from the application (issue 12).
            await InputGate.CheckAsync(http, functions.BodyLimit(name) ?? options.MaxRequestBytes, name == "Ingest" ? "batch" : null,
                decodesContentEncoding: name == "OtlpTraces");
            await next(context);
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            if (e is OperationCanceledException && http.RequestAborted.IsCancellationRequested) return;
            var problem = ErrorHandlingMiddleware.Translate(e);
            if (problem.Status >= 500)
                logger.LogError("Unhandled {ExceptionType} in function {Function}: {Message} (trace {TraceId})",
                    e.GetType().Name, name, ErrorHandlingMiddleware.SafeMessage(e), Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier);
            context.GetInvocationResult().Value = new ProblemResult(problem);
        }
    }

    /// <summary>The problem as the function's result, so the integration writes it like any other result.</summary>
    private sealed class ProblemResult(ApiProblem problem) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => ErrorHandlingMiddleware.WriteAsync(httpContext, problem);
    }
}
