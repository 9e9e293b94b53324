using System.Globalization;
using AgentOps.Platform.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

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
        // A test must always be able to list and clear its faults.
        else if (path is not null && path.Equals(RoutePath, StringComparison.OrdinalIgnoreCase)) v.Add("$.path", $"must not be {RoutePath} itself.");
        if (body.Status is not ({ } status and (>= 500 and <= 599 or 429 or 408)))
            v.Add("$.status", body.Status is null ? "is required." : "must be 408, 429 or from 500 to 599.");
        FaultTiming? when = body.When switch { "before" => FaultTiming.Before, "after" => FaultTiming.After, _ => null };
        if (when is null) v.Add("$.when", body.When is null ? "is required." : "must be before or after.");
        if (body.Times is < 1 or > MaxTimes) v.Add("$.times", $"must be from 1 to {MaxTimes}.");
        if (body.RetryAfterS is < 0 or > MaxRetryAfterSeconds) v.Add("$.retry_after_s", $"must be from 0 to {MaxRetryAfterSeconds}.");
        v.ThrowIfInvalid();
        return new FaultSpec(path!, body.Status!.Value, when!.Value, body.Times ?? 1, body.RetryAfterS);
    }

    /// <summary>
    /// The request step, after access (it needs the caller's organization) and before the input gate: a request whose
    /// path an armed fault of its organization names is answered with the fault's status as a problem, either at once
    /// ("before": the endpoint never runs) or after the endpoint ran to its end ("after": its writes are committed; what
    /// it answered is buffered and thrown away, so none of it reaches the client).
    /// </summary>
    public static Func<RequestDelegate, RequestDelegate> Middleware(FaultBoard board) => next => async http =>
    {
        if (http.Features.Get<Caller>() is not { } caller || board.Strike(caller.OrgId, http.Request.PathBase.Add(http.Request.Path).Value ?? "") is not { } strike)
        {
            await next(http);
            return;
        }
        if (strike.When == FaultTiming.After)
        {
            var answer = http.Features.Get<IHttpResponseBodyFeature>()!;
            using var buffer = new MemoryStream();
            http.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(buffer));
            try { await next(http); }
            // The endpoint's own failure is replaced like its success: the client sees the fault either way.
            catch (Exception e) when (e is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested) { }
            finally { http.Features.Set(answer); }
            http.Response.Clear();
        }
        throw Problem(strike);
    };

    private static ApiProblem Problem(FaultStrike strike) =>
        new(strike.Status, "fault_injected", "Injected fault",
            string.Create(CultureInfo.InvariantCulture, $"Fault {strike.Id} (armed with POST /api/v1/test/faults) answered this request {(strike.When == FaultTiming.Before ? "before" : "after")} its endpoint ran."))
        {
            RetryAfterSeconds = strike.RetryAfterSeconds,
        };

    /// <summary>The board when the hook is on, else null (then neither the routes nor the request step exist).</summary>
    public static FaultBoard? BoardOf(IServiceProvider services) => services.GetService<FaultBoard>();
}
