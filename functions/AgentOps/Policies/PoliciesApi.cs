using System.Text.Json;

namespace AgentOps.Policies;

/// <summary>
/// The policies API over HTTP (<see cref="PolicyService"/> holds the use cases), and a dry run that evaluates one
/// policy on a sample context and returns the comparisons that held, as evidence. Templates give working starting points.
/// </summary>
public static class PoliciesApi
{
    public static void MapPoliciesApi(this RouteGroupBuilder api)
    {
        var policies = api.MapGroup("/policies").WithTags("Policies");
        policies.MapGet("/templates", () => TypedResults.Ok(PolicyTemplates.All)).Requires(Permission.PoliciesRead).WithName("listPolicyTemplates").WithSummary("Starting points for common policies");
        policies.MapPost("/", CreateAsync).Requires(Permission.PoliciesWrite).WithName("createPolicy").Problems(409).WithSummary("Create a policy (version 1)");
        policies.MapGet("/", ListAsync).Requires(Permission.PoliciesRead).WithName("listPolicies").WithSummary("Policies, by priority");
        policies.MapGet("/{id:guid}", GetAsync).Requires(Permission.PoliciesRead).WithName("getPolicy").WithSummary("A policy and its versions");
        policies.MapPatch("/{id:guid}", UpdateAsync).Requires(Permission.PoliciesWrite).WithName("updatePolicy").Problems(409).WithSummary("Change a policy (a new version)");
        policies.MapDelete("/{id:guid}", DeleteAsync).Requires(Permission.PoliciesWrite).WithName("deletePolicy").WithSummary("Delete a policy (its versions stay)");
        policies.MapPost("/{id:guid}/evaluate", EvaluateAsync).Requires(Permission.PoliciesRead).WithName("evaluatePolicy").WithSummary("Dry run on a sample context, with evidence");
    }

    public sealed record PolicyRequest(string? Name, string? Description, bool? Active, int? Priority, string? Action, JsonElement? Conditions,
        string[]? ApprovalRequiredFrom, int? TimeoutMinutes);

    public sealed record UpdatePolicyRequest(Optional<string> Name, Optional<string> Description, Optional<bool> Active, Optional<int> Priority,
        Optional<string> Action, Optional<JsonElement?> Conditions, Optional<string[]> ApprovalRequiredFrom, Optional<int?> TimeoutMinutes);

    /// <summary>A whole policy (as created, or as it would be after a change) as it is stored, or one refusal with every error's path.</summary>
    private static PolicyDraft Check(string? name, string? description, bool active, int priority, string? action, JsonElement? conditions,
        string[] approvers, int? timeout)
    {
        var v = new Validation();
        v.RequiredText("$.name", name, 200);
        v.Text("$.description", description, 2000, 0);
        if (priority is < 0 or > 100_000) v.Add("$.priority", "must be from 0 (first) to 100000.");
        var parsed = PolicyRules.ParseAction(action);
        if (parsed is null) v.Add("$.action", "must be allow, block or require_approval.");
        if (conditions is null) v.Add("$.conditions", "is required: {all: [...]}, {any: [...]}, {not: ...} or {field, operator, value}.");
        else foreach (var e in PolicyRules.Parse(conditions.Value).Errors) v.Add(e.Path, e.Message);
        approvers = [.. approvers.Distinct()];
        foreach (var (role, i) in approvers.Select((r, i) => (r, i)))
            if (Rbac.ParseRole(role) is null) v.Add($"$.approval_required_from[{i}]", "must be admin, team_lead, member or viewer.");
        if (parsed == PolicyAction.RequireApproval && approvers.Length == 0) v.Add("$.approval_required_from", "require_approval needs the roles that may approve.");
        if (parsed != PolicyAction.RequireApproval && (approvers.Length > 0 || timeout is not null))
            v.Add("$.action", "approval_required_from and timeout_minutes belong to require_approval policies only.");
        if (timeout is < 1 or > 10_080) v.Add("$.timeout_minutes", "must be from 1 to 10080 (a week).");
        v.ThrowIfInvalid();
        return new PolicyDraft(name!.Trim(), description?.Trim(), active, priority, parsed!.Value, conditions!.Value.GetRawText(), approvers,
            parsed == PolicyAction.RequireApproval ? timeout ?? PolicyRules.DefaultApprovalTimeoutMinutes : null);
    }

    public static async Task<Created<PolicyView>> CreateAsync(PolicyRequest body, Caller caller, PolicyService policies, CancellationToken ct)
    {
        var draft = Check(body.Name, body.Description, body.Active ?? true, body.Priority ?? 100, body.Action, body.Conditions, body.ApprovalRequiredFrom ?? [],
            body.TimeoutMinutes);
        return TypedResults.Created((string?)null, await policies.CreateAsync(caller, draft, ct));
    }

    public static async Task<Ok<Page<PolicyView>>> ListAsync(Caller caller, PolicyService policies, bool? active, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        return TypedResults.Ok(Paging.Of(await policies.PageAsync(caller.OrgId, active, after, take + 1, ct), take, p => p.Id));
    }

    public static async Task<Ok<PolicyDetail>> GetAsync(Guid id, Caller caller, PolicyService policies, CancellationToken ct) =>
        TypedResults.Ok(await policies.GetWithVersionsAsync(caller.OrgId, id, ct));

    /// <summary>Absent fields keep their values, except that a policy changed away from require_approval drops its approvers.</summary>
    public static async Task<Ok<PolicyView>> UpdateAsync(Guid id, UpdatePolicyRequest body, Caller caller, PolicyService policies, CancellationToken ct) =>
        TypedResults.Ok(await policies.UpdateAsync(caller, id, before =>
        {
            var action = body.Action.Or(before.Action);
            var approval = action == "require_approval";
            return Check(body.Name.Or(before.Name), body.Description.IsSet ? body.Description.Value : before.Description,
                body.Active.IsSet ? body.Active.Value : before.Active, body.Priority.IsSet ? body.Priority.Value : before.Priority, action,
                body.Conditions.IsSet ? body.Conditions.Value : before.Conditions,
                body.ApprovalRequiredFrom.IsSet ? body.ApprovalRequiredFrom.Value ?? [] : approval ? before.ApprovalRequiredFrom : [],
                body.TimeoutMinutes.IsSet ? body.TimeoutMinutes.Value : approval ? before.TimeoutMinutes : null);
        }, ct));

    public static async Task<NoContent> DeleteAsync(Guid id, Caller caller, PolicyService policies, CancellationToken ct)
    {
        await policies.DeleteAsync(caller, id, ct);
        return TypedResults.NoContent();
    }

    public sealed record EvaluateRequest(JsonElement? Context);
    public sealed record Evidence(string Path, string Field, string Operator, JsonElement? Value, JsonElement? Actual);
    public sealed record EvaluateResponse(bool Matches, string Action, string Decision, IReadOnlyList<Evidence> Evidence);

    /// <summary>The context is {agent, run, action, context} (at most 64 KiB); nothing is recorded.</summary>
    public static async Task<Ok<EvaluateResponse>> EvaluateAsync(Guid id, EvaluateRequest body, Caller caller, PolicyService policies, CancellationToken ct)
    {
        if (body.Context is not { ValueKind: JsonValueKind.Object } context)
            throw DomainError.Invalid("$.context", "must be an object with agent, run, action and context.");
        var policy = await policies.GetAsync(caller.OrgId, id, ct);
        var condition = PolicyRules.Parse(policy.Conditions).Condition!;
        var matches = PolicyEngine.Holds(condition, context);
        var evidence = PolicyEngine.Evidence(condition, context)
            .Select(c => new Evidence(c.Source, c.Field, c.Operator.ToString(), c.Value, PolicyEngine.Lookup(context, c.Path)?.Clone())).ToList();
        return TypedResults.Ok(new EvaluateResponse(matches, policy.Action, matches ? policy.Action : "allow", evidence));
    }
}
