using System.Text.Json;
using AgentOps.Audit;

namespace AgentOps.Policies;

/// <summary>
/// Policies: create, list, read (with versions), change (a new version each time), delete (history stays), and a dry
/// run that evaluates one policy on a sample context and returns the comparisons that held, as evidence. Templates
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

    public sealed record PolicyView(Guid Id, string Name, string? Description, bool Active, int Priority, string Action, JsonElement Conditions,
        string[] ApprovalRequiredFrom, int? TimeoutMinutes, int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        public const string Columns = "id, name, description, active, priority, action, conditions::text, approval_required_from, timeout_minutes, version, created_at, updated_at";

        public static PolicyView Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.NullableString(2), r.GetBoolean(3), r.GetInt32(4),
            r.GetString(5), JsonDocument.Parse(r.GetString(6)).RootElement.Clone(), (string[])r[7], r.IsDBNull(8) ? null : r.GetInt32(8), r.GetInt32(9),
            r.Time(10), r.Time(11));
    }

    public sealed record VersionView(int Version, DateTimeOffset CreatedAt, Guid? CreatedBy, JsonElement Snapshot);
    public sealed record PolicyDetail(PolicyView Policy, IReadOnlyList<VersionView> Versions);

    /// <summary>The minutes an approval waits by default before it expires (and rejects).</summary>
    public const int DefaultApprovalTimeoutMinutes = 60;

    /// <summary>Validates a whole policy (as created, or as it would be after a change); throws one 422 with every error's path.</summary>
    private static (PolicyAction Action, string Conditions) Check(Validation v, string? name, string? description, int priority, string? action,
        JsonElement? conditions, string[] approvers, int? timeout)
    {
        v.RequiredText("$.name", name, 200);
        v.Text("$.description", description, 2000, 0);
        if (priority is < 0 or > 100_000) v.Add("$.priority", "must be from 0 (first) to 100000.");
        var parsed = PolicyRules.ParseAction(action);
        if (parsed is null) v.Add("$.action", "must be allow, block or require_approval.");
        if (conditions is null) v.Add("$.conditions", "is required: {all: [...]}, {any: [...]}, {not: ...} or {field, operator, value}.");
        else foreach (var e in PolicyRules.Parse(conditions.Value).Errors) v.Add(e.Path, e.Message);
        foreach (var (role, i) in approvers.Select((r, i) => (r, i)))
            if (Rbac.ParseRole(role) is null) v.Add($"$.approval_required_from[{i}]", "must be admin, team_lead, member or viewer.");
        if (parsed == PolicyAction.RequireApproval && approvers.Length == 0) v.Add("$.approval_required_from", "require_approval needs the roles that may approve.");
        if (parsed != PolicyAction.RequireApproval && (approvers.Length > 0 || timeout is not null))
            v.Add("$.action", "approval_required_from and timeout_minutes belong to require_approval policies only.");
        if (timeout is < 1 or > 10_080) v.Add("$.timeout_minutes", "must be from 1 to 10080 (a week).");
        v.ThrowIfInvalid();
        return (parsed!.Value, conditions!.Value.GetRawText());
    }

    public static async Task<Created<PolicyView>> CreateAsync(PolicyRequest body, Caller caller, Db db, OrgPolicyCache cache, CancellationToken ct)
    {
        var approvers = body.ApprovalRequiredFrom?.Distinct().ToArray() ?? [];
        var (action, conditions) = Check(new Validation(), body.Name, body.Description, body.Priority ?? 100, body.Action, body.Conditions, approvers, body.TimeoutMinutes);
        var timeout = action == PolicyAction.RequireApproval ? body.TimeoutMinutes ?? DefaultApprovalTimeoutMinutes : (int?)null;
        var id = Guid.CreateVersion7();
        try
        {
            var result = TypedResults.Created((string?)null, await db.InOrgAsync(caller.OrgId, async tx =>
            {
                var created = (await tx.SingleAsync($"""
                    INSERT INTO policies (id, org_id, name, description, active, priority, action, conditions, approval_required_from, timeout_minutes)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10) RETURNING {PolicyView.Columns}
                    """, PolicyView.Read, ct, id, caller.OrgId, body.Name!.Trim(), body.Description?.Trim(), body.Active ?? true, body.Priority ?? 100,
                    PolicyRules.ToWire(action), conditions, approvers, timeout))!;
                await SnapshotAsync(tx, caller, created, ct);
                await AuditLog.RecordAsync(tx, Actor.Of(caller), "policy.created", "policy", id, null, created, ct);
                return created;
            }, ct));
            // The check on this replica sees the change at once (other replicas within OrgPolicyCache.Freshness).
            cache.Invalidate(caller.OrgId);
            return result;
        }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "policies_org_name_key" })
        {
            throw ApiProblem.Conflict("policy_exists", "A policy with this name exists in this organization.");
        }
    }

    private static Task SnapshotAsync(Tx tx, Caller caller, PolicyView policy, CancellationToken ct) =>
        tx.ExecuteAsync("INSERT INTO policy_versions (org_id, policy_id, version, snapshot, created_by) VALUES ($1, $2, $3, $4::jsonb, $5)", ct,
            tx.OrgId, policy.Id, policy.Version, JsonSerializer.Serialize(policy, Json.Options), caller.ActorId);

    public static async Task<Ok<Page<PolicyView>>> ListAsync(Caller caller, Db db, bool? active, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var rows = await db.InOrgAsync(caller.OrgId, tx => tx.ListAsync(
            $"SELECT {PolicyView.Columns} FROM policies WHERE org_id = $1 AND id > $2 AND ($3::boolean IS NULL OR active = $3) ORDER BY id LIMIT $4",
            PolicyView.Read, ct, caller.OrgId, after, active, take + 1), ct);
        return TypedResults.Ok(Paging.Of(rows, take, p => p.Id));
    }

    public static async Task<Ok<PolicyDetail>> GetAsync(Guid id, Caller caller, Db db, CancellationToken ct) =>
        TypedResults.Ok(await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var policy = await tx.SingleAsync($"SELECT {PolicyView.Columns} FROM policies WHERE id = $1 AND org_id = $2", PolicyView.Read, ct, id, caller.OrgId)
                ?? throw ApiProblem.NotFound("policy");
            var versions = await tx.ListAsync("SELECT version, created_at, created_by, snapshot::text FROM policy_versions WHERE policy_id = $1 AND org_id = $2 ORDER BY version DESC",
                r => new VersionView(r.GetInt32(0), r.Time(1), r.NullableGuid(2), JsonDocument.Parse(r.GetString(3)).RootElement.Clone()), ct, id, caller.OrgId);
            return new PolicyDetail(policy, versions);
        }, ct));

    public static async Task<Ok<PolicyView>> UpdateAsync(Guid id, UpdatePolicyRequest body, Caller caller, Db db, OrgPolicyCache cache, CancellationToken ct)
    {
        try
        {
            var result = TypedResults.Ok(await db.InOrgAsync(caller.OrgId, async tx =>
            {
                var before = await tx.SingleAsync($"SELECT {PolicyView.Columns} FROM policies WHERE id = $1 AND org_id = $2 FOR UPDATE", PolicyView.Read, ct, id, caller.OrgId)
                    ?? throw ApiProblem.NotFound("policy");
                var name = body.Name.Or(before.Name)?.Trim();
                var description = body.Description.IsSet ? body.Description.Value?.Trim() : before.Description;
                var priority = body.Priority.IsSet ? body.Priority.Value : before.Priority;
                var actionText = body.Action.Or(before.Action);
                var conditions = body.Conditions.IsSet ? body.Conditions.Value : before.Conditions;
                // Absent fields keep their values, except that a policy changed away from require_approval drops its approvers.
                var approval = actionText == "require_approval";
                var approvers = body.ApprovalRequiredFrom.IsSet ? body.ApprovalRequiredFrom.Value ?? [] : approval ? before.ApprovalRequiredFrom : [];
                var timeout = body.TimeoutMinutes.IsSet ? body.TimeoutMinutes.Value : approval ? before.TimeoutMinutes : null;
                var (action, conditionsText) = Check(new Validation(), name, description, priority, actionText, conditions, approvers.Distinct().ToArray(), timeout);
                if (action == PolicyAction.RequireApproval) timeout ??= DefaultApprovalTimeoutMinutes;
                var active = body.Active.IsSet ? body.Active.Value : before.Active;
                var after = (await tx.SingleAsync($"""
                    UPDATE policies SET name = $3, description = $4, active = $5, priority = $6, action = $7, conditions = $8::jsonb,
                           approval_required_from = $9, timeout_minutes = $10, version = version + 1, updated_at = now()
                    WHERE id = $1 AND org_id = $2 RETURNING {PolicyView.Columns}
                    """, PolicyView.Read, ct, id, caller.OrgId, name, description, active, priority, PolicyRules.ToWire(action), conditionsText,
                    approvers.Distinct().ToArray(), timeout))!;
                await SnapshotAsync(tx, caller, after, ct);
                await AuditLog.RecordAsync(tx, Actor.Of(caller), "policy.updated", "policy", id, before, after, ct);
                return after;
            }, ct));
            cache.Invalidate(caller.OrgId);
            return result;
        }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "policies_org_name_key" })
        {
            throw ApiProblem.Conflict("policy_exists", "A policy with this name exists in this organization.");
        }
    }

    public static async Task<NoContent> DeleteAsync(Guid id, Caller caller, Db db, OrgPolicyCache cache, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await tx.SingleAsync($"SELECT {PolicyView.Columns} FROM policies WHERE id = $1 AND org_id = $2 FOR UPDATE", PolicyView.Read, ct, id, caller.OrgId)
                ?? throw ApiProblem.NotFound("policy");
            await tx.ExecuteAsync("DELETE FROM policies WHERE id = $1 AND org_id = $2", ct, id, caller.OrgId);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "policy.deleted", "policy", id, before, null, ct);
        }, ct);
        cache.Invalidate(caller.OrgId);
        return TypedResults.NoContent();
    }

    public sealed record EvaluateRequest(JsonElement? Context);
    public sealed record Evidence(string Path, string Field, string Operator, JsonElement? Value, JsonElement? Actual);
    public sealed record EvaluateResponse(bool Matches, string Action, string Decision, IReadOnlyList<Evidence> Evidence);

    /// <summary>The context is {agent, run, action, context} (at most 64 KiB); nothing is recorded.</summary>
    public static async Task<Ok<EvaluateResponse>> EvaluateAsync(Guid id, EvaluateRequest body, Caller caller, Db db, CancellationToken ct)
    {
        if (body.Context is not { ValueKind: JsonValueKind.Object } context)
            throw ApiProblem.Validation(new Dictionary<string, string[]> { ["$.context"] = ["must be an object with agent, run, action and context."] });
        var policy = await db.InOrgAsync(caller.OrgId, tx => tx.SingleAsync($"SELECT {PolicyView.Columns} FROM policies WHERE id = $1 AND org_id = $2",
            PolicyView.Read, ct, id, caller.OrgId), ct) ?? throw ApiProblem.NotFound("policy");
        var condition = PolicyRules.Parse(policy.Conditions).Condition!;
        var matches = PolicyEngine.Holds(condition, context);
        var evidence = PolicyEngine.Evidence(condition, context)
            .Select(c => new Evidence(c.Source, c.Field, c.Operator.ToString(), c.Value, PolicyEngine.Lookup(context, c.Path)?.Clone())).ToList();
        return TypedResults.Ok(new EvaluateResponse(matches, policy.Action, matches ? policy.Action : "allow", evidence));
    }
}
