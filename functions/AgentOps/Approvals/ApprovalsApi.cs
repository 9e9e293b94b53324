using AgentOps.Contracts;
using AgentOps.Audit;

namespace AgentOps.Approvals;

/// <summary>
/// The human side of require_approval: the queue of pending requests, each request, deciding it (approve / reject,
/// by a person whose role the policy names, never the requester), and a long-poll that answers as soon as a request
/// is decided. Every end of a request (approved, rejected, expired, or rejected by a pause or the kill switch) is
/// audited, recorded on the run as an approval.decision event, and wakes its waiters.
/// </summary>
public static class ApprovalsApi
{
    public static void MapApprovalsApi(this RouteGroupBuilder api)
    {
        var approvals = api.MapGroup("/approvals").WithTags("Approvals");
        approvals.MapGet("/pending", PendingAsync).Requires(Permission.ApprovalsRead).WithName("listPendingApprovals").WithSummary("Pending approval requests, oldest first");
        approvals.MapGet("/", ListAsync).Requires(Permission.ApprovalsRead).WithName("listApprovals").WithSummary("All approval requests, oldest first, filtered by status");
        approvals.MapGet("/{id:guid}", GetAsync).Requires(Permission.ApprovalsRead).WithName("getApproval").WithSummary("One approval request");
        approvals.MapGet("/{id:guid}/wait", WaitAsync).Requires(Permission.ApprovalsRead).WithName("waitForApproval").WithSummary("Long-poll: the request as soon as it is decided, or at the timeout");
        approvals.MapPost("/{id:guid}/approve", ApproveAsync).Requires(Permission.ApprovalsDecide).WithName("approveApproval").Problems(409).WithSummary("Approve (a person whose role the policy names)");
        approvals.MapPost("/{id:guid}/reject", RejectAsync).Requires(Permission.ApprovalsDecide).WithName("rejectApproval").Problems(409).WithSummary("Reject, with the reason as comment");
    }

    public static readonly string[] Statuses = ["pending", "approved", "rejected", "expired"];

    /// <summary>Long-poll bounds in seconds; waiters on another replica than the decision notice it within the poll interval.</summary>
    public const int MinWaitSeconds = 1, MaxWaitSeconds = 60, DefaultWaitSeconds = 30;
    public static readonly TimeSpan WaitPollInterval = TimeSpan.FromSeconds(1);

    public sealed record DecideRequest(string? Comment);

    private const string Filters = """
        WHERE a.org_id = $1 AND a.id > $2
          AND ($3::text IS NULL OR a.agent_id::text = $3 OR ag.name = $3)
          AND ($4::text IS NULL OR a.run_id = $4)
        """;

    public static Task<Ok<Page<ApprovalView>>> PendingAsync(Caller caller, Db db, string? agent, string? run_id, int? limit, string? cursor, CancellationToken ct) =>
        PageAsync(caller, db, agent, run_id, "pending", limit, cursor, ct);

    public static Task<Ok<Page<ApprovalView>>> ListAsync(Caller caller, Db db, string? status, string? agent, string? run_id, int? limit, string? cursor, CancellationToken ct)
    {
        if (status is not null && !Statuses.Contains(status))
            throw ApiProblem.Validation(new Dictionary<string, string[]> { ["status"] = ["must be pending, approved, rejected or expired."] });
        return PageAsync(caller, db, agent, run_id, status, limit, cursor, ct);
    }

    private static async Task<Ok<Page<ApprovalView>>> PageAsync(Caller caller, Db db, string? agent, string? runId, string? status, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        // The status as read (lazily expired requests are expired, not pending), matching what each item shows.
        var rows = await db.InOrgAsync(caller.OrgId, tx => tx.ListAsync($"""
            {ApprovalView.Select}
            {Filters}
              AND ($5::text IS NULL OR (CASE WHEN a.status = 'pending' AND a.expires_at <= now() THEN 'expired' ELSE a.status END) = $5)
            ORDER BY a.id LIMIT $6
            """, ApprovalView.Read, ct, caller.OrgId, after, agent, runId, status, take + 1), ct);
        return TypedResults.Ok(Paging.Of(rows, take, a => a.Id));
    }

    private static Task<ApprovalView?> ReadAsync(Db db, Guid orgId, Guid id, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => tx.SingleAsync($"{ApprovalView.Select} WHERE a.id = $1 AND a.org_id = $2", ApprovalView.Read, ct, id, orgId), ct);

    public static async Task<Ok<ApprovalView>> GetAsync(Guid id, Caller caller, Db db, CancellationToken ct) =>
        TypedResults.Ok(await ReadAsync(db, caller.OrgId, id, ct) ?? throw ApiProblem.NotFound("approval request"));

    /// <summary>
    /// Answers with the request as soon as it is no longer pending, or as it is when timeout_s (1–60, default 30) runs
    /// out. Holds no database connection while waiting: it reads, then waits for this replica's wake-up or the poll
    /// interval, then reads again. A client that goes away ends the wait.
    /// </summary>
    public static async Task<Ok<ApprovalView>> WaitAsync(Guid id, Caller caller, Db db, ApprovalWaiters waiters, TimeProvider time, int? timeout_s, CancellationToken ct)
    {
        var seconds = timeout_s ?? DefaultWaitSeconds;
        if (seconds is < MinWaitSeconds or > MaxWaitSeconds)
            throw ApiProblem.Validation(new Dictionary<string, string[]> { ["timeout_s"] = [$"must be from {MinWaitSeconds} to {MaxWaitSeconds} seconds."] });
        var deadline = time.GetUtcNow().AddSeconds(seconds);
        using var waiter = waiters.Join(id);
        while (true)
        {
            var next = waiter.Next();
            var approval = await ReadAsync(db, caller.OrgId, id, ct) ?? throw ApiProblem.NotFound("approval request");
            var left = deadline - time.GetUtcNow();
            if (approval.Status != "pending" || left <= TimeSpan.Zero) return TypedResults.Ok(approval);
            var poll = left < WaitPollInterval ? left : WaitPollInterval;
            // Pending past its expiry reads as expired, so a wait never outlives the request by more than one poll.
            await Task.WhenAny(next, Task.Delay(poll, time, ct));
            ct.ThrowIfCancellationRequested();
        }
    }

    public static Task<Ok<ApprovalView>> ApproveAsync(Guid id, DecideRequest? body, Caller caller, Db db, CancellationToken ct) =>
        DecideAsync(id, approve: true, body, caller, db, ct);

    public static Task<Ok<ApprovalView>> RejectAsync(Guid id, DecideRequest? body, Caller caller, Db db, CancellationToken ct) =>
        DecideAsync(id, approve: false, body, caller, db, ct);

    private sealed record Target(string Status, DateTimeOffset ExpiresAt, bool Expired, string RunId, Guid AgentId, string[] RequiredFrom, string RequestedByType, Guid? RequestedBy);

    private enum Outcome { Decided, Expired }

    /// <summary>
    /// One decision per request: the row is locked, so of a concurrent approve and reject exactly one finds it pending
    /// (the other gets 409 approval_decided). A request past its expiry is expired on the spot (committed) and the
    /// answer is 409 approval_expired. A rejection needs its reason (comment); an approval may say why.
    /// </summary>
    private static async Task<Ok<ApprovalView>> DecideAsync(Guid id, bool approve, DecideRequest? body, Caller caller, Db db, CancellationToken ct)
    {
        var v = new Validation();
        var comment = approve ? v.Text("$.comment", body?.Comment, ApprovalRules.MaxCommentLength) : v.RequiredText("$.comment", body?.Comment, ApprovalRules.MaxCommentLength);
        v.ThrowIfInvalid();
        var status = approve ? "approved" : "rejected";

        var outcome = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var target = await tx.SingleAsync("""
                SELECT status, expires_at, status = 'pending' AND expires_at <= now(), run_id, agent_id, approval_required_from, requested_by_type, requested_by
                FROM approvals WHERE id = $1 AND org_id = $2 FOR UPDATE
                """, r => new Target(r.GetString(0), r.Time(1), r.GetBoolean(2), r.GetString(3), r.GetGuid(4), (string[])r[5], r.GetString(6), r.NullableGuid(7)),
                ct, id, caller.OrgId) ?? throw ApiProblem.NotFound("approval request");
            if (ApprovalRules.MayDecide(caller, target.RequestedByType, target.RequestedBy, target.RequiredFrom) is { } refusal)
                throw ApiProblem.Forbidden(refusal, refusal == ApprovalRules.SelfForbidden
                    ? "The request was made with your credentials: someone else must decide it."
                    : $"Only {string.Join(" or ", target.RequiredFrom)} may decide this request.");
            if (target.Status != "pending")
                throw ApiProblem.Conflict("approval_decided", $"The request is already {target.Status}.");
            if (target.Expired)
            {
                await ApprovalRequests.ExpireDueAsync(tx, id, ct);
                return Outcome.Expired;
            }
            await tx.ExecuteAsync("""
                UPDATE approvals SET status = $3, decided_at = now(), decided_by = $4, decision_reason = $3, comment = $5
                WHERE id = $1 AND org_id = $2 AND status = 'pending'
                """, ct, id, caller.OrgId, status, caller.UserId, comment);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), $"approval.{status}", "approval", id, new { status = "pending" },
                new { status, decision_reason = status, comment, run_id = target.RunId, agent_id = target.AgentId }, ct);
            await tx.RaiseAsync(new ApprovalsDecided([new(id, target.RunId, target.AgentId, status, status, caller.UserId, comment)]), ct);
            return Outcome.Decided;
        }, ct);

        if (outcome == Outcome.Expired)
            throw ApiProblem.Conflict("approval_expired", "The request expired before it was decided; the agent was told no.");
        return TypedResults.Ok((await ReadAsync(db, caller.OrgId, id, ct))!);
    }
}
