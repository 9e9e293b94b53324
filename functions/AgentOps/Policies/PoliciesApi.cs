using System.Text.Json;

namespace AgentOps.Policies;

/// <summary>
/// The policies API over HTTP (<see cref="PolicyService"/> holds the use cases, the dry run among them). Templates
/// give working starting points.
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

    public static async Task<Created<PolicyView>> CreateAsync(PolicyRequest body, Caller caller, PolicyService policies, CancellationToken ct)
    {
        var draft = PolicyDraft.Check(body.Name, body.Description, body.Active ?? true, body.Priority ?? 100, body.Action, body.Conditions, body.ApprovalRequiredFrom ?? [],
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
            return PolicyDraft.Check(body.Name.Or(before.Name), body.Description.IsSet ? body.Description.Value : before.Description,
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

    /// <summary>The context is {agent, run, action, context} (at most 64 KiB); nothing is recorded.</summary>
    public static async Task<Ok<EvaluateResponse>> EvaluateAsync(Guid id, EvaluateRequest body, Caller caller, PolicyService policies, CancellationToken ct)
    {
        if (body.Context is not { ValueKind: JsonValueKind.Object } context)
            throw DomainError.Invalid("$.context", "must be an object with agent, run, action and context.");
        return TypedResults.Ok(await policies.EvaluateAsync(caller.OrgId, id, context, ct));
    }
}
