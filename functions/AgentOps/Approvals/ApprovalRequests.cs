using System.Text.Json;
using AgentOps.Agents;
using AgentOps.Audit;
using AgentOps.Contracts;
using AgentOps.Ingest;
using AgentOps.Notifications;
using AgentOps.Platform.Events;

namespace AgentOps.Approvals;

/// <summary>Who asked (the actor of the policy check): a person or an API key.</summary>
public sealed record Requester(string Type, Guid? Id);

/// <summary>An approval request as the API shows it.</summary>
public sealed record ApprovalView(Guid Id, string Status, string RunId, string? Step, Guid AgentId, string? AgentName, PolicyRef Policy, JsonElement Context,
    string[] ApprovalRequiredFrom, Requester RequestedBy, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? DecidedAt,
    Guid? DecidedBy, string? DecisionReason, string? Comment, string WaitUrl)
{
    /// <summary>
    /// Expiry is also enforced on read: a pending request past expires_at reads as expired (decided at its expiry)
    /// even before the sweeper has written it, so no caller ever sees a request that can no longer be approved as pending.
    /// </summary>
    public const string Select = """
        SELECT a.id, CASE WHEN a.status = 'pending' AND a.expires_at <= now() THEN 'expired' ELSE a.status END, a.run_id, a.agent_id, ag.name,
               a.policy_id, a.policy_name, a.policy_version, a.context::text, a.approval_required_from, a.requested_by_type, a.requested_by,
               a.created_at, a.expires_at,
               CASE WHEN a.status = 'pending' AND a.expires_at <= now() THEN a.expires_at ELSE a.decided_at END, a.decided_by,
               CASE WHEN a.status = 'pending' AND a.expires_at <= now() THEN 'expired' ELSE a.decision_reason END, a.comment, a.step
        FROM approvals a LEFT JOIN agents ag ON ag.id = a.agent_id
        """;

    public static ApprovalView Read(NpgsqlDataReader r)
    {
        var id = r.GetGuid(0);
        return new(id, r.GetString(1), r.GetString(2), r.NullableString(18), r.GetGuid(3), r.NullableString(4), new PolicyRef(r.GetGuid(5), r.GetString(6), r.GetInt32(7)),
            JsonDocument.Parse(r.GetString(8)).RootElement.Clone(), (string[])r[9], new Requester(r.GetString(10), r.NullableGuid(11)), r.Time(12),
            r.Time(13), r.NullableTime(14), r.NullableGuid(15), r.NullableString(16), r.NullableString(17), WaitUrlOf(id));
    }

    public static string WaitUrlOf(Guid id) => $"/api/v1/approvals/{id}/wait";
}

/// <summary>The approval request a check answers with: new (<see cref="Created"/>), or the one already made for its run and step, with its status as read.</summary>
public sealed record RequestedApproval(Guid Id, string Status, DateTimeOffset ExpiresAt, bool Created);

/// <summary>Which requests a list shows: by agent (id or name), run and status as read (null: any).</summary>
public sealed record ApprovalFilter(string? Agent, string? RunId, string? Status);

/// <summary>A request as a decision needs it, read under the row lock.</summary>
public sealed record DecisionTarget(string Status, bool Expired, string RunId, Guid AgentId, string[] RequiredFrom, string RequestedByType, Guid? RequestedBy);

/// <summary>
/// The approvals table's store, all of its SQL: creating a request (with its audit row and notification), reading and
/// listing them, recording a decision, expiring due ones and rejecting those of stopped agents. Every end of a request
/// raises <see cref="ApprovalsDecided"/> in its transaction.
/// </summary>
public static class ApprovalRequests
{
    public static readonly Actor System = new(ActorType.System, null, new RequestInfo(null, "agentops approval expiry"));

    /// <summary>A page in id order after <paramref name="after"/>, with the status as read (lazily expired requests are expired, not pending).</summary>
    public static Task<List<ApprovalView>> PageAsync(Tx tx, ApprovalFilter filter, Guid after, int take, CancellationToken ct) =>
        tx.ListAsync($"""
            {ApprovalView.Select}
            WHERE a.org_id = $1 AND a.id > $2
              AND ($3::text IS NULL OR a.agent_id::text = $3 OR ag.name = $3)
              AND ($4::text IS NULL OR a.run_id = $4)
              AND ($5::text IS NULL OR (CASE WHEN a.status = 'pending' AND a.expires_at <= now() THEN 'expired' ELSE a.status END) = $5)
            ORDER BY a.id LIMIT $6
            """, ApprovalView.Read, ct, tx.OrgId, after, filter.Agent, filter.RunId, filter.Status, take);

    /// <summary>Pending requests (not yet past their expiry), counted up to <paramref name="cap"/>.</summary>
    public static Task<long> CountPendingAsync(Tx tx, int cap, CancellationToken ct) =>
        tx.ScalarAsync<long>("""
            SELECT count(*) FROM (SELECT 1 FROM approvals WHERE org_id = $1 AND status = 'pending' AND expires_at > now() LIMIT $2) pending
            """, ct, tx.OrgId, cap);

    public static Task<ApprovalView?> ReadAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.SingleAsync($"{ApprovalView.Select} WHERE a.id = $1 AND a.org_id = $2", ApprovalView.Read, ct, id, tx.OrgId);

    /// <summary>Locks the request (concurrent decisions wait, then see the first one) and reads what a decision needs.</summary>
    public static Task<DecisionTarget?> LockForDecisionAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.SingleAsync("""
            SELECT status, status = 'pending' AND expires_at <= now(), run_id, agent_id, approval_required_from, requested_by_type, requested_by
            FROM approvals WHERE id = $1 AND org_id = $2 FOR UPDATE
            """, r => new DecisionTarget(r.GetString(0), r.GetBoolean(1), r.GetString(2), r.GetGuid(3), (string[])r[4], r.GetString(5), r.NullableGuid(6)),
            ct, id, tx.OrgId);

    /// <summary>Records a person's decision (approved or rejected; the reason is the status) on a pending request.</summary>
    public static Task RecordDecisionAsync(Tx tx, Guid id, string status, Guid? decidedBy, string? comment, CancellationToken ct) =>
        tx.ExecuteAsync("""
            UPDATE approvals SET status = $3, decided_at = now(), decided_by = $4, decision_reason = $3, comment = $5
            WHERE id = $1 AND org_id = $2 AND status = 'pending'
            """, ct, id, tx.OrgId, status, decidedBy, comment);

    /// <summary>
    /// The request a require_approval decision asks for, in the caller's transaction. Without a step, always a new one.
    /// With a step (<paramref name="fingerprint"/>: <see cref="StepFingerprint"/> of the check's action and context),
    /// the organization's live request for that (run, step):
    /// <list type="bullet">
    /// <item>asked by another agent, under another policy or for another action or context: 409 step_conflict (a
    /// step's approval never answers another question);</item>
    /// <item>ended without a person's decision (expired, or rejected by a pause or the kill switch): superseded
    /// (audited approval.superseded) and replaced by a new request, so a resumed agent can ask again;</item>
    /// <item>otherwise (pending, or approved or rejected by a person: final for the step) returned as it is, so a
    /// repeated check never asks people twice.</item>
    /// </list>
    /// Concurrent identical checks meet on the unique index (migration 0020): one inserts, the others insert nothing,
    /// then lock and read its row. Only a new request gets its audit row (approval.requested) and notification
    /// (approval.requested, warning). Expires timeout minutes from now (the database's clock, like every expiry check).
    /// </summary>
    public static async Task<RequestedApproval> RequestAsync(Tx tx, Caller caller, AgentRef agent, string runId, string? step, byte[]? fingerprint, PolicyRef policy,
        string[] approvalFrom, int timeoutMinutes, string context, string? actionType, CancellationToken ct)
    {
        if (step is not null && fingerprint is not { Length: StepFingerprint.Length })
            throw new ArgumentException("A step's request needs the check's fingerprint.", nameof(fingerprint));
        for (var attempt = 1; ; attempt++)
        {
            var id = Guid.CreateVersion7();
            var inserted = await InsertAsync(tx, caller, id, agent, runId, step, fingerprint, policy, approvalFrom, timeoutMinutes, context, ct);
            if (inserted is not null)
            {
                await RequestedAsync(tx, caller, inserted, agent, runId, step, policy, approvalFrom, actionType, ct);
                return inserted;
            }
            // Read committed: the row the conflicting transaction committed, locked so that only one check supersedes it.
            var live = await tx.SingleAsync("""
                SELECT id, CASE WHEN status = 'pending' AND expires_at <= now() THEN 'expired' ELSE status END, expires_at,
                       agent_id, policy_id, step_fingerprint, decided_by, decision_reason
                FROM approvals WHERE org_id = $1 AND run_id = $2 AND step = $3 AND superseded_at IS NULL
                FOR UPDATE
                """, r => new LiveStepRequest(new RequestedApproval(r.GetGuid(0), r.GetString(1), r.Time(2), Created: false), r.GetGuid(3), r.GetGuid(4),
                    (byte[])r[5], r.NullableGuid(6), r.NullableString(7)), ct, tx.OrgId, runId, step);
            if (live is null)
            {
                // Superseded by a concurrent check between our insert and our read: its new request is there now.
                if (attempt >= MaxStepAttempts) throw new InvalidOperationException($"The approval request of run {runId}, step {step} changed {attempt} times while read.");
                continue;
            }
            if (live.AgentId != agent.Id || live.PolicyId != policy.Id || !live.Fingerprint.AsSpan().SequenceEqual(fingerprint))
                throw StepConflict(runId, step!);
            if (!live.EndedWithoutAPerson) return live.Request;

            // Expired but not yet swept: made a fact first (approval.expired, the run's decision event).
            if (live.Request.Status == "expired") await ExpireDueAsync(tx, live.Request.Id, ct);
            await tx.ExecuteAsync("UPDATE approvals SET superseded_at = now() WHERE org_id = $1 AND id = $2", ct, tx.OrgId, live.Request.Id);
            var replaced = await InsertAsync(tx, caller, id, agent, runId, step, fingerprint, policy, approvalFrom, timeoutMinutes, context, ct)
                ?? throw new InvalidOperationException($"The approval request of run {runId}, step {step} was superseded but its successor conflicts.");
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "approval.superseded", "approval", live.Request.Id,
                new { status = live.Request.Status, decision_reason = live.DecisionReason ?? "expired", superseded_by = (Guid?)null },
                new { status = live.Request.Status, decision_reason = live.DecisionReason ?? "expired", superseded_by = replaced.Id, run_id = runId, step }, ct);
            await RequestedAsync(tx, caller, replaced, agent, runId, step, policy, approvalFrom, actionType, ct);
            return replaced;
        }
    }

    /// <summary>
    /// How often a check re-reads its step's request when concurrent checks keep superseding it under it (each
    /// supersession makes a request that cannot be superseded for its timeout, so 2 suffice; 3 is slack).
    /// </summary>
    private const int MaxStepAttempts = 3;

    /// <summary>The reasons the system rejects pending requests with (a pause or archive, the kill switch): not a person's decision.</summary>
    public static readonly string[] SystemRejectionReasons = ["agent_paused", "org_killed"];

    /// <summary>A step's request not superseded, locked, with what a new check is compared to.</summary>
    private sealed record LiveStepRequest(RequestedApproval Request, Guid AgentId, Guid PolicyId, byte[] Fingerprint, Guid? DecidedBy, string? DecisionReason)
    {
        /// <summary>Expired, or rejected by the system: nobody decided the question, so the step may be asked again.</summary>
        public bool EndedWithoutAPerson => Request.Status == "expired"
            || (Request.Status == "rejected" && DecidedBy is null && DecisionReason is { } reason && SystemRejectionReasons.Contains(reason));
    }

    public static DomainError StepConflict(string runId, string step) =>
        DomainError.Conflict("step_conflict",
            $"Run {runId}, step {step} already has an approval request for another agent, policy, action or context: a step's approval answers only " +
            "the question it was asked. Give this action a step of its own.",
            new Dictionary<string, string[]> { ["$.step"] = ["already has an approval request for another agent, policy, action or context."] });

    private static Task<RequestedApproval?> InsertAsync(Tx tx, Caller caller, Guid id, AgentRef agent, string runId, string? step, byte[]? fingerprint, PolicyRef policy,
        string[] approvalFrom, int timeoutMinutes, string context, CancellationToken ct) =>
        tx.SingleAsync("""
            INSERT INTO approvals (id, org_id, run_id, agent_id, policy_id, policy_version, policy_name, context, approval_required_from,
                                   requested_by_type, requested_by, expires_at, step, step_fingerprint)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, now() + make_interval(mins => $12), $13, $14)
            ON CONFLICT (org_id, run_id, step) WHERE step IS NOT NULL AND superseded_at IS NULL DO NOTHING
            RETURNING expires_at
            """, r => new RequestedApproval(id, "pending", r.Time(0), Created: true), ct, id, tx.OrgId, runId, agent.Id, policy.Id, policy.Version, policy.Name, context,
            approvalFrom, AuditLog.ActorTypeWire(caller.Type), caller.ActorId, timeoutMinutes, step, fingerprint);

    /// <summary>A new request's audit row (approval.requested), notification and event.</summary>
    private static async Task RequestedAsync(Tx tx, Caller caller, RequestedApproval request, AgentRef agent, string runId, string? step, PolicyRef policy,
        string[] approvalFrom, string? actionType, CancellationToken ct)
    {
        var (id, expires) = (request.Id, request.ExpiresAt);
        await tx.RaiseAsync(new ApprovalRequested(id, agent.Id), ct);
        var summary = new
        {
            status = "pending", run_id = runId, step, agent_id = agent.Id, agent = agent.Name, policy,
            action_type = actionType, approval_required_from = approvalFrom, expires_at = expires,
        };
        await AuditLog.RecordAsync(tx, Actor.Of(caller), "approval.requested", "approval", id, null, summary, ct);
        await Notifier.PublishAsync(tx, new Notice("approval.requested", "warning", $"Approval needed: {policy.Name}",
            $"{agent.Name} asks to {actionType ?? "act"} (run {runId}{(step is null ? "" : $", step {step}")}); {string.Join(" or ", approvalFrom)} may decide before {expires:u}.",
            new { approval_id = id, summary.run_id, summary.step, summary.agent_id, summary.agent, summary.policy, summary.action_type, summary.approval_required_from,
                  summary.expires_at, wait_url = ApprovalView.WaitUrlOf(id) },
            "approval", id.ToString()), ct);
    }

    /// <summary>Expires the organization's pending requests past their expiry (or just one of them), one audit row each (approval.expired, by the system); returns how many.</summary>
    public static async Task<int> ExpireDueAsync(Tx tx, Guid? onlyId, CancellationToken ct)
    {
        var expired = await tx.ListAsync("""
            UPDATE approvals SET status = 'expired', decided_at = now(), decision_reason = 'expired'
            WHERE org_id = $1 AND status = 'pending' AND expires_at <= now() AND ($2::uuid IS NULL OR id = $2)
            RETURNING id, run_id, agent_id, expires_at
            """, r => (Decided: new ApprovalDecision(r.GetGuid(0), r.GetString(1), r.GetGuid(2), "expired", "expired", null, null), ExpiresAt: r.Time(3)),
            ct, tx.OrgId, onlyId);
        foreach (var (a, expiresAt) in expired)
            await AuditLog.RecordAsync(tx, System, "approval.expired", "approval", a.Id, new { status = "pending" },
                new { status = "expired", decision_reason = "expired", run_id = a.RunId, agent_id = a.AgentId, expires_at = expiresAt }, ct);
        if (expired.Count > 0) await tx.RaiseAsync(new ApprovalsDecided(expired.Select(e => e.Decided).ToList()), ct);
        return expired.Count;
    }

    /// <summary>Rejects pending requests (of some agents, or all of the organization's) with <paramref name="reason"/>, one audit row each.</summary>
    public static async Task RejectPendingAsync(Tx tx, Actor actor, IReadOnlyList<Guid>? agentIds, string reason, CancellationToken ct)
    {
        var rejected = await tx.ListAsync("""
            UPDATE approvals SET status = 'rejected', decided_at = now(), decision_reason = $3
            WHERE org_id = $1 AND status = 'pending' AND ($2::uuid[] IS NULL OR agent_id = ANY($2))
            RETURNING id, run_id, agent_id
            """, r => new ApprovalDecision(r.GetGuid(0), r.GetString(1), r.GetGuid(2), "rejected", reason, null, null), ct, tx.OrgId, agentIds?.ToArray(), reason);
        foreach (var a in rejected)
            await AuditLog.RecordAsync(tx, actor, "approval.rejected", "approval", a.Id, new { status = "pending" },
                new { status = "rejected", decision_reason = reason, run_id = a.RunId, agent_id = a.AgentId }, ct);
        if (rejected.Count > 0) await tx.RaiseAsync(new ApprovalsDecided(rejected), ct);
    }
}

/// <summary>
/// Nothing waits on an approval for an agent that is stopped: a pause (or archive) rejects the agent's pending
/// requests (reason agent_paused), the kill switch rejects every pending request of the organization (org_killed),
/// in the transaction that stopped them, as the actor who stopped them.
/// </summary>
public sealed class RejectApprovalsOfStoppedAgents : IReaction<AgentsStopped>, IReaction<KillSwitchPulled>
{
    public Task ReactAsync(Tx tx, AgentsStopped e, CancellationToken ct) => ApprovalRequests.RejectPendingAsync(tx, e.Actor, e.AgentIds, "agent_paused", ct);

    public Task ReactAsync(Tx tx, KillSwitchPulled e, CancellationToken ct) => ApprovalRequests.RejectPendingAsync(tx, e.Actor, null, "org_killed", ct);
}

/// <summary>
/// What follows an approval's end once its transaction committed, whoever ended it (a person, the sweeper, a pause or
/// the kill switch): an approval.decision event on its run (through the decision buffer) and the waiters woken.
/// </summary>
public sealed class ApprovalOutcomes(DecisionEventBuffer events, ApprovalWaiters waiters, TimeProvider time) : IAfterCommit<ApprovalsDecided>
{
    public void Committed(Guid orgId, ApprovalsDecided e)
    {
        var now = time.GetUtcNow();
        foreach (var d in e.Decisions)
        {
            events.Add(orgId, new IngestEvent
            {
                // One decision per approval: a fixed id, so the event cannot be stored twice.
                Id = $"approval.decision:{d.Id}", Type = EventTypes.ApprovalDecision, Timestamp = now, RunId = d.RunId, AgentId = d.AgentId,
                Name = $"approval {d.Status}", Status = d.Status,
                Metadata = JsonSerializer.Serialize(new { approval_id = d.Id, status = d.Status, reason = d.Reason, decided_by = d.DecidedBy, comment = d.Comment }, Json.Options),
            });
            waiters.Wake(d.Id);
        }
    }
}
