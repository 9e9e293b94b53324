namespace AgentOps.Approvals;

/// <summary>
/// The approvals' endpoints: the queue of pending requests, each request, deciding it, and a long-poll that answers as
/// soon as a request is decided. HTTP only (binding, input checks, typed results); the use cases are
/// <see cref="ApprovalService"/>'s.
/// </summary>
public static class ApprovalsApi
{
    public static void MapApprovalsApi(this RouteGroupBuilder api)
    {
        var approvals = api.MapGroup("/approvals").WithTags("Approvals");
        approvals.MapGet("/pending", PendingAsync).Requires(Permission.ApprovalsRead).WithName("listPendingApprovals").WithSummary("Pending approval requests, oldest first");
        approvals.MapGet("/pending/count", PendingCountAsync).Requires(Permission.ApprovalsRead).WithName("countPendingApprovals").WithSummary("How many requests are pending (at most 1000)");
        approvals.MapGet("/", ListAsync).Requires(Permission.ApprovalsRead).WithName("listApprovals").WithSummary("All approval requests, oldest first, filtered by status");
        approvals.MapGet("/{id:guid}", GetAsync).Requires(Permission.ApprovalsRead).WithName("getApproval").WithSummary("One approval request");
        approvals.MapGet("/{id:guid}/wait", WaitAsync).Requires(Permission.ApprovalsRead).WithName("waitForApproval").WithSummary("Long-poll: the request as soon as it is decided, or at the timeout");
        approvals.MapPost("/{id:guid}/approve", ApproveAsync).Requires(Permission.ApprovalsDecide).WithName("approveApproval").Problems(409).WithSummary("Approve (a person whose role the policy names)");
        approvals.MapPost("/{id:guid}/reject", RejectAsync).Requires(Permission.ApprovalsDecide).WithName("rejectApproval").Problems(409).WithSummary("Reject, with the reason as comment");
    }

    public static readonly string[] Statuses = ["pending", "approved", "rejected", "expired"];

    /// <summary>Long-poll bounds in seconds.</summary>
    public const int MinWaitSeconds = 1, MaxWaitSeconds = 60, DefaultWaitSeconds = 30;

    public sealed record DecideRequest(string? Comment);
    public sealed record PendingCount(int Pending, bool Capped);

    public static Task<Ok<Page<ApprovalView>>> PendingAsync(Caller caller, ApprovalService approvals, string? agent, string? run_id, int? limit, string? cursor, CancellationToken ct) =>
        PageAsync(caller, approvals, new ApprovalFilter(agent, run_id, "pending"), limit, cursor, ct);

    /// <summary>The badge's question, without listing the requests: capped at 1000 (capped: true, show "1000+").</summary>
    public static async Task<Ok<PendingCount>> PendingCountAsync(Caller caller, ApprovalService approvals, CancellationToken ct)
    {
        var pending = await approvals.PendingCountAsync(caller.OrgId, ct);
        return TypedResults.Ok(new PendingCount(pending, pending >= ApprovalService.PendingCountCap));
    }

    public static Task<Ok<Page<ApprovalView>>> ListAsync(Caller caller, ApprovalService approvals, string? status, string? agent, string? run_id, int? limit, string? cursor, CancellationToken ct)
    {
        if (status is not null && !Statuses.Contains(status))
            throw DomainError.Invalid("status", "must be pending, approved, rejected or expired.");
        return PageAsync(caller, approvals, new ApprovalFilter(agent, run_id, status), limit, cursor, ct);
    }

    private static async Task<Ok<Page<ApprovalView>>> PageAsync(Caller caller, ApprovalService approvals, ApprovalFilter filter, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        return TypedResults.Ok(Paging.Of(await approvals.PageAsync(caller.OrgId, filter, after, take + 1, ct), take, a => a.Id));
    }

    public static async Task<Ok<ApprovalView>> GetAsync(Guid id, Caller caller, ApprovalService approvals, CancellationToken ct) =>
        TypedResults.Ok(await approvals.GetAsync(caller.OrgId, id, ct));

    /// <summary>Answers with the request as soon as it is no longer pending, or as it is when timeout_s (1–60, default 30) runs out.</summary>
    public static async Task<Ok<ApprovalView>> WaitAsync(Guid id, Caller caller, ApprovalService approvals, int? timeout_s, CancellationToken ct)
    {
        var seconds = timeout_s ?? DefaultWaitSeconds;
        if (seconds is < MinWaitSeconds or > MaxWaitSeconds)
            throw DomainError.Invalid("timeout_s", $"must be from {MinWaitSeconds} to {MaxWaitSeconds} seconds.");
        return TypedResults.Ok(await approvals.WaitAsync(caller.OrgId, id, TimeSpan.FromSeconds(seconds), ct));
    }

    public static Task<Ok<ApprovalView>> ApproveAsync(Guid id, DecideRequest? body, Caller caller, ApprovalService approvals, CancellationToken ct) =>
        DecideAsync(id, approve: true, body, caller, approvals, ct);

    public static Task<Ok<ApprovalView>> RejectAsync(Guid id, DecideRequest? body, Caller caller, ApprovalService approvals, CancellationToken ct) =>
        DecideAsync(id, approve: false, body, caller, approvals, ct);

    /// <summary>A rejection needs its reason (comment); an approval may say why.</summary>
    private static async Task<Ok<ApprovalView>> DecideAsync(Guid id, bool approve, DecideRequest? body, Caller caller, ApprovalService approvals, CancellationToken ct)
    {
        var v = new Validation();
        var comment = approve ? v.Text("$.comment", body?.Comment, ApprovalRules.MaxCommentLength) : v.RequiredText("$.comment", body?.Comment, ApprovalRules.MaxCommentLength);
        v.ThrowIfInvalid();
        return TypedResults.Ok(await approvals.DecideAsync(caller, id, approve, comment, ct));
    }
}
