using System.Text.Json;

namespace AgentOps.Sdk;

/// <summary>What <see cref="AgentOpsClient.FlushAsync(TimeSpan?, CancellationToken)"/> achieved within its timeout.</summary>
/// <param name="Unsent">Events still queued or in flight when it returned (0: everything was acknowledged or dropped).</param>
/// <param name="TimedOut">True when it returned because the timeout passed.</param>
/// <param name="Elapsed">How long it took.</param>
public readonly record struct FlushResult(int Unsent, bool TimedOut, TimeSpan Elapsed);

/// <summary>The client's counters (the contract's <c>stats()</c>).</summary>
public sealed record SdkStats
{
    /// <summary>Events waiting in the queue or in flight now.</summary>
    public long Queued { get; init; }
    /// <summary>Events the server acknowledged.</summary>
    public long Sent { get; init; }
    /// <summary>Requests re-sent after a network error, 5xx, 408 or 429.</summary>
    public long Retries { get; init; }
    /// <summary>Events dropped because the queue was full (the newest are dropped).</summary>
    public long DroppedQueueFull { get; init; }
    /// <summary>Events dropped because their agent is paused.</summary>
    public long DroppedPaused { get; init; }
    /// <summary>Events the server refused: a whole batch (4xx other than 408/429; a 413 is split first), or items of a 207.</summary>
    public long DroppedRejected { get; init; }
    /// <summary>Events recorded outside any run, or invalid (logged; thrown in strict mode).</summary>
    public long DroppedInvalid { get; init; }
    /// <summary>Refused events per problem code (e.g. <c>agent_paused</c>, <c>invalid_value</c>), whole batches and 207 items.</summary>
    public IReadOnlyDictionary<string, long> RejectedByCode { get; init; } = new Dictionary<string, long>();
    /// <summary>Batches the server answered (sent or refused).</summary>
    public long Batches { get; init; }
}

/// <summary>The policy check's answer.</summary>
public enum Decision
{
    /// <summary>Go ahead.</summary>
    Allow,
    /// <summary>Do not do it.</summary>
    Block,
    /// <summary>A human must approve first: <see cref="PolicyDecision.WaitForApprovalAsync"/>.</summary>
    RequireApproval,
}

/// <summary>Where an approval request stands.</summary>
public enum ApprovalStatus
{
    /// <summary>Not decided yet (a wait timed out).</summary>
    Pending,
    /// <summary>Approved: go ahead.</summary>
    Approved,
    /// <summary>Rejected: do not.</summary>
    Rejected,
    /// <summary>Nobody decided in time: treat as rejected.</summary>
    Expired,
}

/// <summary>The policy that decided.</summary>
public sealed record PolicyRef(string Id, string? Name, int? Version);

/// <summary>The approval request a <c>require_approval</c> decision created (or, for a repeated step, the one it already had).</summary>
public sealed record ApprovalRef(string Id, ApprovalStatus Status, DateTimeOffset? ExpiresAt, string? WaitUrl);

/// <summary>A policy check's answer and its evidence.</summary>
public sealed class PolicyDecision
{
    private readonly AgentOpsClient? _client;

    internal PolicyDecision(AgentOpsClient? client, Decision decision, string? reason, PolicyRef? policy,
        IReadOnlyList<string> matched, ApprovalRef? approval, string? checkId, JsonElement raw,
        bool fromServer = true, string? problemCode = null)
    {
        _client = client;
        FromServer = fromServer;
        ProblemCode = problemCode;
        Decision = decision;
        Reason = reason;
        Policy = policy;
        Matched = matched;
        Approval = approval;
        CheckId = checkId;
        Raw = raw;
    }

    /// <summary>allow, block or require_approval.</summary>
    public Decision Decision { get; }
    /// <summary>
    /// Why: <c>rule_matched</c>, <c>no_rule_matched</c>, <c>agent_paused</c>, <c>org_killed</c> from the server;
    /// <c>check_failed</c> (unreachable, or an error answer) or <c>not_configured</c> (no endpoint or key) for the
    /// client's <see cref="AgentOpsOptions.PolicyFallback"/>.
    /// </summary>
    public string? Reason { get; }
    /// <summary>The policy that decided, if any.</summary>
    public PolicyRef? Policy { get; }
    /// <summary>Every policy that matched (ids).</summary>
    public IReadOnlyList<string> Matched { get; }
    /// <summary>The approval request (require_approval only).</summary>
    public ApprovalRef? Approval { get; }
    /// <summary>The check's id (on the run's <c>policy.decision</c> event).</summary>
    public string? CheckId { get; }
    /// <summary>The server's whole answer (<c>default</c> when <see cref="FromServer"/> is false).</summary>
    public JsonElement Raw { get; }
    /// <summary>False when the server was not asked or could not answer: the decision is the client's <see cref="AgentOpsOptions.PolicyFallback"/>.</summary>
    public bool FromServer { get; }
    /// <summary>The problem's <c>code</c> (or <c>http_&lt;status&gt;</c>) when the server answered the check with an error.</summary>
    public string? ProblemCode { get; }

    /// <summary>True for allow.</summary>
    public bool IsAllowed => Decision == Decision.Allow;

    /// <summary>
    /// Waits until a human decides the approval request, long-polling the server (at most 60 s per poll) until
    /// <paramref name="timeout"/> (default 5 minutes); returns <see cref="ApprovalStatus.Pending"/> when it passes. Cancellable.
    /// An allow answers <see cref="ApprovalStatus.Approved"/> and a block <see cref="ApprovalStatus.Rejected"/> at once.
    /// </summary>
    public Task<ApprovalStatus> WaitForApprovalAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (Decision == Decision.Allow) return Task.FromResult(ApprovalStatus.Approved);
        if (Decision == Decision.Block || Approval is null || _client is null) return Task.FromResult(ApprovalStatus.Rejected);
        if (Approval.Status != ApprovalStatus.Pending) return Task.FromResult(Approval.Status);
        return _client.WaitForApprovalAsync(Approval.Id, timeout, cancellationToken);
    }
}

/// <summary>The agent is paused (by an operator, a budget or the kill switch): stop acting.</summary>
public sealed class AgentPausedException : Exception
{
    /// <summary>Creates it.</summary>
    public AgentPausedException(string agent) : base($"The agent '{agent}' is paused in AgentOps; it must stop acting until it is resumed.") => Agent = agent;
    /// <summary>Creates it.</summary>
    public AgentPausedException() : this("?") { }
    /// <summary>Creates it.</summary>
    public AgentPausedException(string message, Exception inner) : base(message, inner) => Agent = "?";
    /// <summary>The paused agent.</summary>
    public string Agent { get; } = "?";
}

/// <summary>A call to the AgentOps server failed (policy check, approval wait), or strict mode refused a recording.</summary>
public sealed class AgentOpsException : Exception
{
    /// <summary>Creates it.</summary>
    public AgentOpsException() { }
    /// <summary>Creates it.</summary>
    public AgentOpsException(string message) : base(message) { }
    /// <summary>Creates it.</summary>
    public AgentOpsException(string message, Exception inner) : base(message, inner) { }
    /// <summary>Creates it with the server's answer.</summary>
    public AgentOpsException(string message, int status, string? code) : base(message) { Status = status; Code = code; }
    /// <summary>HTTP status, when the server answered.</summary>
    public int? Status { get; }
    /// <summary>The problem's <c>code</c>, when the server answered one.</summary>
    public string? Code { get; }
}
