using System.ComponentModel;
using System.Text.Json;
using AgentOps.Contracts;

namespace AgentOps.Policies.Contracts;

// The policy check's wire contract (POST /policy/check): what an SDK sends before an action and what it gets back.
// Fields of the request are nullable so that validation reports every missing one at once (422, docs/api.md).

[Description("May the agent take this action? Every field but context and step is required; a missing one is a 422 naming it.")]
public sealed record PolicyCheckRequest(
    [property: Description("The run the action belongs to (at most 200 characters).")] string? RunId,
    [property: Description("The agent's id or name (a name is registered on first use when the key may write agents).")] string? Agent,
    [property: Description("The action, an object: its type (e.g. send_email) and whatever the policies read, as action.<field>.")] JsonElement? Action,
    [property: Description("Optional facts the policies may read as context.<field> (an object).")] JsonElement? Context,
    [property: Description("Optional: the run's step this action belongs to (1–200 characters). A require_approval answer for a run and step that already has an approval request for the same agent, policy, action and context returns that request (same id, its current status) instead of a new one, or a new one when it expired or was rejected by a pause or the kill switch; for another agent, policy, action or context it is 409 step_conflict.")] string? Step = null);

[Description("The approval request to wait on (GET wait_url long-polls until it is decided). For a check with a step, the request already made for that run and step (pending, or approved or rejected by a person), or a new one when that one expired or was rejected by a pause or the kill switch.")]
public sealed record PolicyApprovalRef(Guid Id, string Status, DateTimeOffset ExpiresAt, string WaitUrl,
    [property: Description("The step the check named, if any.")] string? Step);

[Description("The decision: allow, block or require_approval (then approval names the request to wait on).")]
public sealed record PolicyCheckResponse(
    [property: Description("allow, block or require_approval.")] string Decision,
    [property: Description("Why, for people and logs.")] string Reason,
    [property: Description("The policy whose rule decided, if any.")] PolicyRef? Policy,
    [property: Description("Every policy whose rule matched.")] IReadOnlyList<Guid> Matched,
    PolicyApprovalRef? Approval,
    [property: Description("This check's id, also on the run's policy.decision event.")] Guid CheckId);
