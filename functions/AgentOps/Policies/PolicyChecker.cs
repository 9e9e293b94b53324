using System.Text.Json;
using AgentOps.Agents;
using AgentOps.Approvals;
using AgentOps.Contracts;
using AgentOps.Ingest;
using AgentOps.Policies.Contracts;

namespace AgentOps.Policies;

/// <summary>
/// The SDK's check before an action (PolicyCheckApi's handler calls it). Fast by construction: the agent and the
/// organization's compiled policies come from 1 s caches, the run's row is read only when a policy reads run facts,
/// and the decision's event on the run is buffered rather than written before answering. Only require_approval writes
/// (synchronously: the approval request, its audit row and its notification).
/// </summary>
public sealed class PolicyChecker(Db db, AgentDirectory agents, OrgPolicyCache policies, DecisionEventBuffer decisions, TimeProvider time)
{
    /// <summary>May the agent (<paramref name="agentKey"/>: its id or name) take <paramref name="action"/> (an object) in the run?</summary>
    /// <param name="step">The run's step the action belongs to: a repeated check of the same run and step answers with the approval request already made.</param>
    public async Task<PolicyCheckResponse> CheckAsync(Caller caller, string runId, string? step, string agentKey, JsonElement action, JsonElement? checkContext, CancellationToken ct)
    {
        // An unknown agent name is registered only for callers that may write agents (as during ingest).
        var registrar = Rbac.Allows(caller, Permission.AgentsWrite) ? Actor.Of(caller) : null;
        // Both usually come from their caches without waiting; when either has to load, the two loads overlap.
        var resolving = agents.ResolveAsync(caller.OrgId, [agentKey], registrar, ct);
        var loading = policies.GetAsync(caller.OrgId, ct);
        await Task.WhenAll(resolving, loading);
        var snapshot = loading.Result;
        var agent = resolving.Result.GetValueOrDefault(agentKey)
            ?? throw DomainError.Unprocessable("unknown_agent", registrar is null
                ? "No agent with this id or name, and these credentials may not register agents (an API key needs the write scope)."
                : "No agent with this id; names are registered on first use, ids are not.",
                new Dictionary<string, string[]> { ["$.agent"] = ["is not an agent of this organization."] });
        if (agent.Status == "archived") throw DomainError.Conflict("agent_archived", "The agent is archived: it may not act. Restore it first.");

        var stop = PolicyCheck.Stop(snapshot.Killed, agent.Status);
        PolicyDecision? decided = null;
        JsonDocument? context = null;
        try
        {
            if (stop is null)
            {
                var run = snapshot.Set.ReadsRunFacts
                    ? await db.InOrgAsync(caller.OrgId, tx => tx.SingleAsync(RunFacts.Select, RunFacts.Read, ct, caller.OrgId, runId), ct) ?? RunFacts.None
                    : null;
                context = EvaluationContext.Build(agent, runId, run, action, checkContext);
                decided = snapshot.Set.Decide(context.RootElement);
            }
            var (verdict, reason, rule, matched) = PolicyCheck.Answer(stop, decided);
            var actionType = action.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var policy = rule is null ? null : snapshot.Ref(rule);

            PolicyApprovalRef? approval = null;
            if (verdict == PolicyAction.RequireApproval)
            {
                // What the step's request answers: this agent, policy, action and context (the run's facts change; the question does not).
                var fingerprint = step is null ? null : StepFingerprint.Of(action, checkContext is { ValueKind: JsonValueKind.Object } c ? c : null);
                var requested = await db.InOrgAsync(caller.OrgId, tx => ApprovalRequests.RequestAsync(tx, caller, agent, runId, step, fingerprint, policy!, rule!.ApprovalFrom,
                    rule.TimeoutMinutes ?? PolicyRules.DefaultApprovalTimeoutMinutes, context!.RootElement.GetRawText(), actionType, ct), ct);
                approval = new PolicyApprovalRef(requested.Id, requested.Status, requested.ExpiresAt, ApprovalView.WaitUrlOf(requested.Id), step);
            }

            var checkId = Guid.CreateVersion7();
            var wire = PolicyRules.ToWire(verdict);
            decisions.Add(caller.OrgId, new IngestEvent
            {
                Id = $"policy.decision:{checkId}", Type = EventTypes.PolicyDecision, Timestamp = time.GetUtcNow(), RunId = runId, AgentId = agent.Id,
                Name = actionType is null ? wire : $"{actionType}: {wire}", Status = wire,
                Metadata = JsonSerializer.Serialize(new DecisionMetadata(checkId, wire, reason, policy?.Id, policy?.Version, policy?.Name, actionType,
                    approval?.Id, [.. matched.Select(m => m.Id)], step), Json.Options),
            });
            return new PolicyCheckResponse(wire, reason, policy, [.. matched.Select(m => m.Id)], approval, checkId);
        }
        finally
        {
            context?.Dispose();
        }
    }

    private sealed record DecisionMetadata(Guid CheckId, string Decision, string Reason, Guid? PolicyId, int? PolicyVersion, string? PolicyName,
        string? ActionType, Guid? ApprovalId, Guid[] Matched, string? Step);
}
