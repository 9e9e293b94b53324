using AgentOps.Approvals;
using AgentOps.Policies;

namespace AgentOps.Functions.Api;

/// <summary>
/// POST /api/v1/policy/check (PolicyCheckApi, body ≤ 64 KiB) and /api/v1/approvals (ApprovalsApi). The decision events
/// go through this instance's DecisionEventBuffer (a hosted service, AddAgentOpsAzure) to the Service Bus sink.
/// </summary>
public sealed class ApprovalsFunctions(Db db, PolicyChecker checker, ApprovalWaiters waiters, ApprovalOutcomes outcomes, TimeProvider time)
{
    [Function("PolicyCheck"), Requires(Permission.PolicyCheck), RequestBodyLimit(PolicyCheckApi.MaxBodyBytes)]
    public async Task<IResult> Check([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/policy/check")] HttpRequest req) =>
        await PolicyCheckApi.CheckAsync(await Bind.BodyAsync<PolicyCheckApi.CheckRequest>(req), Bind.CallerOf(req), checker, Bind.Aborted(req));

    [Function("ApprovalsPending"), Requires(Permission.ApprovalsRead)]
    public async Task<IResult> Pending([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/approvals/pending")] HttpRequest req) =>
        await ApprovalsApi.PendingAsync(Bind.CallerOf(req), db, Bind.Query(req, "agent"), Bind.Query(req, "run_id"), Bind.QueryInt(req, "limit"),
            Bind.Query(req, "cursor"), Bind.Aborted(req));

    [Function("ApprovalsList"), Requires(Permission.ApprovalsRead)]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/approvals")] HttpRequest req) =>
        await ApprovalsApi.ListAsync(Bind.CallerOf(req), db, Bind.Query(req, "status"), Bind.Query(req, "agent"), Bind.Query(req, "run_id"),
            Bind.QueryInt(req, "limit"), Bind.Query(req, "cursor"), Bind.Aborted(req));

    [Function("ApprovalsGet"), Requires(Permission.ApprovalsRead)]
    public async Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/approvals/{id:guid}")] HttpRequest req, Guid id) =>
        await ApprovalsApi.GetAsync(id, Bind.CallerOf(req), db, Bind.Aborted(req));

    /// <summary>Long-poll up to 60 s: within the HTTP trigger's limits (230 s behind the front end), holding no database connection.</summary>
    [Function("ApprovalsWait"), Requires(Permission.ApprovalsRead)]
    public async Task<IResult> Wait([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/approvals/{id:guid}/wait")] HttpRequest req, Guid id) =>
        await ApprovalsApi.WaitAsync(id, Bind.CallerOf(req), db, waiters, time, Bind.QueryInt(req, "timeout_s"), Bind.Aborted(req));

    [Function("ApprovalsApprove"), Requires(Permission.ApprovalsDecide)]
    public async Task<IResult> Approve([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/approvals/{id:guid}/approve")] HttpRequest req, Guid id) =>
        await ApprovalsApi.ApproveAsync(id, await Bind.OptionalBodyAsync<ApprovalsApi.DecideRequest>(req), Bind.CallerOf(req), db, outcomes, Bind.Aborted(req));

    [Function("ApprovalsReject"), Requires(Permission.ApprovalsDecide)]
    public async Task<IResult> Reject([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/approvals/{id:guid}/reject")] HttpRequest req, Guid id) =>
        await ApprovalsApi.RejectAsync(id, await Bind.OptionalBodyAsync<ApprovalsApi.DecideRequest>(req), Bind.CallerOf(req), db, outcomes, Bind.Aborted(req));
}
