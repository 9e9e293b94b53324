using System.Text.Json;
using AgentOps.Policies.Contracts;

namespace AgentOps.Policies;

/// <summary>
/// POST /api/v1/policy/check over HTTP: binding, shape checks and the answer; <see cref="PolicyChecker"/> holds the
/// check. The SDK asks before an action whether it may go ahead; the answer is allow, block or require_approval
/// (with the approval request to wait on).
/// </summary>
public static class PolicyCheckApi
{
    /// <summary>The whole request body, at most.</summary>
    public const int MaxBodyBytes = 64 * 1024;
    public const int MaxRunIdLength = 200;
    public const int MaxAgentLength = 200;
    /// <summary>The longest step name a check may give (an SDK's step label, not a payload).</summary>
    public const int MaxStepLength = 200;

    public static void MapPolicyCheckApi(this RouteGroupBuilder api) =>
        api.MapPost("/policy/check", CheckAsync).Requires(Permission.PolicyCheck).WithName("checkPolicy").Problems(409).WithMetadata(new BodyLimit(MaxBodyBytes)).WithTags("Policies")
            .WithSummary("May the agent take this action? allow, block or require_approval");

    public static async Task<Ok<PolicyCheckResponse>> CheckAsync(PolicyCheckRequest body, Caller caller, PolicyChecker checker, CancellationToken ct)
    {
        var (runId, step, agent, action) = Validate(body);
        return TypedResults.Ok(await checker.CheckAsync(caller, runId, step, agent, action, body.Context, ct));
    }

    private static (string RunId, string? Step, string Agent, JsonElement Action) Validate(PolicyCheckRequest body)
    {
        var v = new Validation();
        var runId = v.RequiredText("$.run_id", body.RunId, MaxRunIdLength);
        var step = v.Text("$.step", body.Step, MaxStepLength);
        var agent = v.RequiredText("$.agent", body.Agent, MaxAgentLength);
        if (body.Action is not { ValueKind: JsonValueKind.Object })
            v.Add("$.action", "is required: an object describing the action, e.g. {\"type\": \"send_email\", \"to\": \"...\"}.");
        if (body.Context is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
            v.Add("$.context", "must be an object.");
        v.ThrowIfInvalid();
        return (runId!, step, agent!, body.Action!.Value);
    }
}
