using AgentOps.Audit;
using AgentOps.Contracts;

namespace AgentOps.Approvals;

/// <summary>
/// The human side of require_approval, as use cases: the queue, one request, waiting for a decision, deciding (approve
/// or reject, by a person whose role the policy names, never the requester). Refusals are <see cref="DomainError"/>s;
/// every end of a request is audited and raises <see cref="ApprovalsDecided"/> (its run's approval.decision event and
/// the waiters follow the commit).
/// </summary>
public sealed class ApprovalService(Db db, ApprovalWaiters waiters, TimeProvider time)
{
    /// <summary>How often a waiter reads again: waiters on another replica than the decision notice it within this.</summary>
    public static readonly TimeSpan WaitPollInterval = TimeSpan.FromSeconds(1);

    public Task<List<ApprovalView>> PageAsync(Guid orgId, ApprovalFilter filter, Guid after, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => ApprovalRequests.PageAsync(tx, filter, after, take, ct), ct);

    /// <summary>The pending count stops here (a badge shows "1000+"): a count, not a list, for the badge's frequent asking.</summary>
    public const int PendingCountCap = 1000;

    /// <summary>How many requests are pending (not yet expired), at most <see cref="PendingCountCap"/>.</summary>
    public async Task<int> PendingCountAsync(Guid orgId, CancellationToken ct) =>
        (int)await db.InOrgAsync(orgId, tx => ApprovalRequests.CountPendingAsync(tx, PendingCountCap, ct), ct);

    public async Task<ApprovalView> GetAsync(Guid orgId, Guid id, CancellationToken ct) =>
        await db.InOrgAsync(orgId, tx => ApprovalRequests.ReadAsync(tx, id, ct), ct) ?? throw DomainError.NotFound("approval request");

    /// <summary>
    /// The request as soon as it is no longer pending, or as it is when <paramref name="timeout"/> runs out. Holds no
    /// database connection while waiting: it reads, then waits for this replica's wake-up or the poll interval, then
    /// reads again. Cancelling (the client went away) ends the wait.
    /// </summary>
    public async Task<ApprovalView> WaitAsync(Guid orgId, Guid id, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + timeout;
        using var waiter = waiters.Join(id);
        while (true)
        {
            var next = waiter.Next();
            var approval = await GetAsync(orgId, id, ct);
            var left = deadline - time.GetUtcNow();
            if (approval.Status != "pending" || left <= TimeSpan.Zero) return approval;
            // Pending past its expiry reads as expired, so a wait never outlives the request by more than one poll.
            await Task.WhenAny(next, Task.Delay(left < WaitPollInterval ? left : WaitPollInterval, time, ct));
            ct.ThrowIfCancellationRequested();
        }
    }

    private enum Outcome { Decided, Expired }

    /// <summary>
    /// One decision per request: the row is locked, so of a concurrent approve and reject exactly one finds it pending
    /// (the other is refused with approval_decided). A request past its expiry is expired on the spot (committed) and
    /// the decision refused with approval_expired.
    /// </summary>
    public async Task<ApprovalView> DecideAsync(Caller caller, Guid id, bool approve, string? comment, CancellationToken ct)
    {
        var status = approve ? "approved" : "rejected";
        var outcome = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var target = await ApprovalRequests.LockForDecisionAsync(tx, id, ct) ?? throw DomainError.NotFound("approval request");
            if (ApprovalRules.MayDecide(caller, target.RequestedByType, target.RequestedBy, target.RequiredFrom) is { } refusal)
                throw DomainError.Forbidden(refusal, refusal == ApprovalRules.SelfForbidden
                    ? "The request was made with your credentials: someone else must decide it."
                    : $"Only {string.Join(" or ", target.RequiredFrom)} may decide this request.");
            if (target.Status != "pending")
                throw DomainError.Conflict("approval_decided", $"The request is already {target.Status}.");
            if (target.Expired)
            {
                await ApprovalRequests.ExpireDueAsync(tx, id, ct);
                return Outcome.Expired;
            }
            await ApprovalRequests.RecordDecisionAsync(tx, id, status, caller.UserId, comment, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), $"approval.{status}", "approval", id, new { status = "pending" },
                new { status, decision_reason = status, comment, run_id = target.RunId, agent_id = target.AgentId }, ct);
            await tx.RaiseAsync(new ApprovalsDecided([new(id, target.RunId, target.AgentId, status, status, caller.UserId, comment)]), ct);
            return Outcome.Decided;
        }, ct);

        if (outcome == Outcome.Expired)
            throw DomainError.Conflict("approval_expired", "The request expired before it was decided; the agent was told no.");
        return await GetAsync(caller.OrgId, id, ct);
    }
}
