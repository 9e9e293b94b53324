using System.Globalization;
using AgentOps.Platform.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentOps.FaultInjection;

/// <summary>
/// The fault hook over HTTP, for SDK conformance tests (sdk/conformance): arm, list and clear an organization's faults,
/// and the request step that makes an armed fault strike. It exists only with AGENTOPS_FAULT_INJECTION=true
/// (<see cref="FaultInjectionModule"/>); otherwise neither the routes nor the step are there.
/// </summary>
public static class FaultInjectionApi
{
    /// <summary>The longest path a fault may name (routes are far shorter).</summary>
    public const int MaxPathLength = 200;

    /// <summary>How often one fault may strike.</summary>
    public const int MaxTimes = 100;

    /// <summary>The longest Retry-After a fault may carry: SDK tests wait it out.</summary>
    public const int MaxRetryAfterSeconds = 60;

    /// <summary>The routes' own path: no fault may name it.</summary>
    public const string RoutePath = "/api/v1/test/faults";

    public static void MapFaultInjectionApi(this RouteGroupBuilder api)
    {
        var faults = api.MapGroup("/test/faults").WithTags("Fault injection (tests only)");
        faults.MapPost("/", ArmAsync).Requires(Permission.OrgWrite).WithName("armFault").Problems(409)
            .WithSummary("Arm a fault: requests of this organization to a path answer an error status (only with AGENTOPS_FAULT_INJECTION=true)");
        faults.MapGet("/", List).Requires(Permission.OrgWrite).WithName("listFaults")
            .WithSummary("The organization's faults in the order armed, used-up ones included (only with AGENTOPS_FAULT_INJECTION=true)");
        faults.MapDelete("/", Clear).Requires(Permission.OrgWrite).WithName("clearFaults")
            .WithSummary("Remove every fault of the organization (only with AGENTOPS_FAULT_INJECTION=true)");
    }

    public sealed record ArmFaultRequest(string? Path, int? Status, string? When, int? Times, int? RetryAfterS);

    public sealed record FaultList(IReadOnlyList<FaultView> Items);

    public static Task<Created<FaultView>> ArmAsync(ArmFaultRequest body, Caller caller, FaultBoard board) =>
        Task.FromResult(TypedResults.Created((string?)null, board.Arm(caller.OrgId, Check(body))
            ?? throw ApiProblem.Conflict("fault_limit", $"The organization holds {FaultBoard.MaxFaultsPerOrganization} faults; clear them first (DELETE /api/v1/test/faults).")));

    public static Ok<FaultList> List(Caller caller, FaultBoard board) => TypedResults.Ok(new FaultList(board.List(caller.OrgId)));

    public static NoContent Clear(Caller caller, FaultBoard board)
    {
        board.Clear(caller.OrgId);
        return TypedResults.NoContent();
    }

    /// <summary>The request's shape: a path of the API, an error status a client retries or gives up on, a timing, a count.</summary>
    public static FaultSpec Check(ArmFaultRequest body)
    {
        var v = new Validation();
        var path = v.RequiredText("$.path", body.Path, MaxPathLength);
        if (path is not null && !path.StartsWith('/')) v.Add("$.path", "must be a path starting with / (e.g. /api/v1/ingest).");
        // Faults match the request's decoded path alone: a query, a fragment or a percent-escape would never match.
        else if (path is not null && path.IndexOfAny(['?', '#', '%']) >= 0) v.Add("$.path", "must be a plain path: no query (?), fragment (#) or percent-escape (%).");
        // A test must always be able to list and clear its faults (a trailing slash reaches the same routes).
        else if (path is not null && FaultBoard.NormalizePath(path).Equals(RoutePath, StringComparison.OrdinalIgnoreCase)) v.Add("$.path", $"must not be {RoutePath} itself.");
        if (body.Status is not ({ } status and (>= 500 and <= 599 or 429 or 408)))
            v.Add("$.status", body.Status is null ? "is required." : "must be 408, 429 or from 500 to 599.");
        FaultTiming? when = body.When switch { "before" => FaultTiming.Before, "after" => FaultTiming.After, _ => null };
        if (when is null) v.Add("$.when", body.When is null ? "is required." : "must be before or after.");
        if (body.Times is < 1 or > MaxTimes) v.Add("$.times", $"must be from 1 to {MaxTimes}.");
        if (body.RetryAfterS is < 0 or > MaxRetryAfterSeconds) v.Add("$.retry_after_s", $"must be from 0 to {MaxRetryAfterSeconds}.");
        v.ThrowIfInvalid();
        return new FaultSpec(FaultBoard.NormalizePath(path!), body.Status!.Value, when!.Value, body.Times ?? 1, body.RetryAfterS);
    }

    /// <summary>
    /// The request step, after access (it needs the caller's organization) and before the input gate: a request whose
    /// path an armed fault of its organization names is answered with the fault's status as a problem, either at once
    /// ("before": the endpoint never runs) or after the endpoint ran ("after": its writes are committed; what it
    /// answered is buffered and thrown away, so none of it reaches the client). The buffer holds at most
    /// <see cref="FaultBoard.AfterBufferLimitBytes"/>: past it the endpoint is stopped (its RequestAborted fires and its
    /// writes fail) and the fault answers at once. An endpoint's failure (a 5xx) under an "after" fault is replaced like
    /// its success, and logged as a warning (type, route and the safe message: never a stack trace or a row's values).
    /// </summary>
    public static Func<RequestDelegate, RequestDelegate> Middleware(FaultBoard board, ILogger logger) => next => async http =>
    {
        if (http.Features.Get<Caller>() is not { } caller || board.Strike(caller.OrgId, http.Request.PathBase.Add(http.Request.Path).Value ?? "") is not { } strike)
        {
            await next(http);
            return;
        }
        if (strike.When == FaultTiming.Before) throw Problem(strike, Outcome.NotRun, 0);

        var limit = board.AfterBufferLimitBytes;
        // Read first: it also creates the lifetime feature where the host has none yet (replaced below).
        var clientGone = http.RequestAborted;
        var answer = http.Features.Get<IHttpResponseBodyFeature>()!;
        var lifetime = http.Features.Get<IHttpRequestLifetimeFeature>()!;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(clientGone);
        await using var buffer = new CappedBuffer(limit, stop);
        http.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(buffer));
        http.Features.Set<IHttpRequestLifetimeFeature>(new StoppableLifetime(lifetime, stop.Token));
        var outcome = Outcome.Ran;
        try { await next(http); }
        catch (Exception e) when (!clientGone.IsCancellationRequested)
        {
            if (buffer.Full) outcome = Outcome.Stopped;
            // A refusal (a 4xx problem) is the endpoint's answer, thrown away like any other.
            else if (ErrorHandlingMiddleware.Translate(e).Status < 500) outcome = Outcome.Ran;
            else
            {
                // Replaced by the fault like a success, but not hidden: the endpoint really failed.
                outcome = Outcome.Failed;
                logger.LogWarning("The endpoint {Method} {Route} failed with {ExceptionType} under fault {FaultId}, which answered instead: {Message}",
                    http.Request.Method, http.GetEndpoint()?.DisplayName ?? http.Request.Path.ToString(), e.GetType().Name, strike.Id, SafeErrors.Message(e));
            }
        }
        finally
        {
            http.Features.Set(answer);
            http.Features.Set(lifetime);
        }
        // An endpoint that caught the failed write and ended quietly was stopped all the same.
        if (buffer.Full) outcome = Outcome.Stopped;
        http.Response.Clear();
        throw Problem(strike, outcome, limit);
    };

    /// <summary>What became of the endpoint under a fault.</summary>
    private enum Outcome { NotRun, Ran, Failed, Stopped }

    private static ApiProblem Problem(FaultStrike strike, Outcome outcome, int limit) =>
        new(strike.Status, "fault_injected", "Injected fault", string.Create(CultureInfo.InvariantCulture, $"Fault {strike.Id} (armed with POST /api/v1/test/faults) answered this request ") + outcome switch
        {
            Outcome.NotRun => "before its endpoint ran (it did not run).",
            Outcome.Ran => "after its endpoint ran to its end (its answer was thrown away).",
            Outcome.Failed => "after its endpoint failed (the failure is logged).",
            _ => string.Create(CultureInfo.InvariantCulture, $"while its endpoint was still answering: its answer passed the {limit} bytes a fault buffers, so the endpoint was stopped."),
        })
        {
            RetryAfterSeconds = strike.RetryAfterSeconds,
        };

    /// <summary>
    /// The response body under an "after" fault: kept in memory up to the limit (only to be thrown away); the write past
    /// it stops the endpoint and fails.
    /// </summary>
    private sealed class CappedBuffer(int limit, CancellationTokenSource stop) : Stream
    {
        private readonly MemoryStream _kept = new();

        public bool Full { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _kept.Length;
        public override long Position { get => _kept.Length; set => throw new NotSupportedException(); }

        public override void Flush() { }
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Full || _kept.Length + buffer.Length > limit)
            {
                Full = true;
                stop.Cancel();
                throw new IOException($"The answer passed the {limit} bytes an injected fault buffers.");
            }
            _kept.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _kept.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>The request's lifetime as the endpoint sees it under an "after" fault: aborted when the client leaves or the buffer is full.</summary>
    private sealed class StoppableLifetime(IHttpRequestLifetimeFeature inner, CancellationToken aborted) : IHttpRequestLifetimeFeature
    {
        public CancellationToken RequestAborted { get; set; } = aborted;

        public void Abort() => inner.Abort();
    }

    /// <summary>The board when the hook is on, else null (then neither the routes nor the request step exist).</summary>
    public static FaultBoard? BoardOf(IServiceProvider services) => services.GetService<FaultBoard>();
}
