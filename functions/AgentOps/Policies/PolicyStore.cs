using System.Text.Json;

namespace AgentOps.Policies;

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

/// <summary>A policy as it is to be stored, its conditions as JSON text; <see cref="Check"/> makes one from what a caller gave.</summary>
public sealed record PolicyDraft(string Name, string? Description, bool Active, int Priority, PolicyAction Action, string Conditions,
    string[] ApprovalRequiredFrom, int? TimeoutMinutes)
{
    /// <summary>A whole policy (as created, or as it would be after a change) as it is stored, or one refusal with every error's path.</summary>
    public static PolicyDraft Check(string? name, string? description, bool active, int priority, string? action, JsonElement? conditions,
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
}

/// <summary>The SQL for policies and their versions, in the caller's transaction and organization.</summary>
public static class PolicyStore
{
    /// <summary>The unique key that makes a policy's name one per organization.</summary>
    public const string NameKey = "policies_org_name_key";

    public static async Task<PolicyView> InsertAsync(Tx tx, Guid id, PolicyDraft p, CancellationToken ct) =>
        (await tx.SingleAsync($"""
            INSERT INTO policies (id, org_id, name, description, active, priority, action, conditions, approval_required_from, timeout_minutes)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10) RETURNING {PolicyView.Columns}
            """, PolicyView.Read, ct, id, tx.OrgId, p.Name, p.Description, p.Active, p.Priority, PolicyRules.ToWire(p.Action), p.Conditions,
            p.ApprovalRequiredFrom, p.TimeoutMinutes))!;

    /// <summary>A new version of the policy (the version number goes up by one).</summary>
    public static async Task<PolicyView> UpdateAsync(Tx tx, Guid id, PolicyDraft p, CancellationToken ct) =>
        (await tx.SingleAsync($"""
            UPDATE policies SET name = $3, description = $4, active = $5, priority = $6, action = $7, conditions = $8::jsonb,
                   approval_required_from = $9, timeout_minutes = $10, version = version + 1, updated_at = now()
            WHERE id = $1 AND org_id = $2 RETURNING {PolicyView.Columns}
            """, PolicyView.Read, ct, id, tx.OrgId, p.Name, p.Description, p.Active, p.Priority, PolicyRules.ToWire(p.Action), p.Conditions,
            p.ApprovalRequiredFrom, p.TimeoutMinutes))!;

    /// <summary>Keeps the version as it was written (who, when, what): versions outlive their policy.</summary>
    public static Task SnapshotAsync(Tx tx, PolicyView policy, Guid? by, CancellationToken ct) =>
        tx.ExecuteAsync("INSERT INTO policy_versions (org_id, policy_id, version, snapshot, created_by) VALUES ($1, $2, $3, $4::jsonb, $5)", ct,
            tx.OrgId, policy.Id, policy.Version, JsonSerializer.Serialize(policy, Json.Options), by);

    public static Task<List<PolicyView>> PageAsync(Tx tx, bool? active, Guid after, int take, CancellationToken ct) =>
        tx.ListAsync($"SELECT {PolicyView.Columns} FROM policies WHERE org_id = $1 AND id > $2 AND ($3::boolean IS NULL OR active = $3) ORDER BY id LIMIT $4",
            PolicyView.Read, ct, tx.OrgId, after, active, take);

    public static Task<PolicyView?> ReadAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {PolicyView.Columns} FROM policies WHERE id = $1 AND org_id = $2", PolicyView.Read, ct, id, tx.OrgId);

    public static Task<PolicyView?> LockAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {PolicyView.Columns} FROM policies WHERE id = $1 AND org_id = $2 FOR UPDATE", PolicyView.Read, ct, id, tx.OrgId);

    public static Task<List<VersionView>> VersionsAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.ListAsync("SELECT version, created_at, created_by, snapshot::text FROM policy_versions WHERE policy_id = $1 AND org_id = $2 ORDER BY version DESC",
            r => new VersionView(r.GetInt32(0), r.Time(1), r.NullableGuid(2), JsonDocument.Parse(r.GetString(3)).RootElement.Clone()), ct, id, tx.OrgId);

    public static Task DeleteAsync(Tx tx, Guid id, CancellationToken ct) => tx.ExecuteAsync("DELETE FROM policies WHERE id = $1 AND org_id = $2", ct, id, tx.OrgId);
}
