namespace AgentOps.Tenancy;

/// <summary>
/// The writes other features need of Tenancy's tables (organizations, organization_members): Auth creates an
/// organization with its first admin at sign-up and activates an invited member when the invitation is accepted;
/// Controls sets and clears the organization's kill-switch flag.
/// Tenancy owns the tables (docs/architecture.md, table ownership), so the SQL lives here; the caller keeps its
/// transaction and audits the change.
/// </summary>
public static class TenancyStore
{
    /// <summary>A new organization (RLS: the transaction's organization is its id).</summary>
    public static async Task<OrgView> CreateOrganizationAsync(Tx tx, string name, CancellationToken ct) =>
        (await tx.SingleAsync($"INSERT INTO organizations (id, name) VALUES ($1, $2) RETURNING {OrgView.Columns}", OrgView.Read, ct, tx.OrgId, name))!;

    /// <summary>A new organization's first member: its active admin.</summary>
    public static async Task<MemberView> AddFirstAdminAsync(Tx tx, Guid memberId, Guid userId, string email, CancellationToken ct)
    {
        await tx.ExecuteAsync("INSERT INTO organization_members (id, org_id, user_id, email, role, status) VALUES ($1, $2, $3, $4, 'admin', 'active')",
            ct, memberId, tx.OrgId, userId, email);
        return (await tx.SingleAsync($"{MemberView.Select} WHERE m.id = $1", MemberView.Read, ct, memberId))!;
    }

    /// <summary>An invited member joins as <paramref name="userId"/>: active, the invitation spent. Returns the member as it was and as it is.</summary>
    public static async Task<(MemberView Before, MemberView After)> AcceptInvitationAsync(Tx tx, Guid memberId, Guid userId, CancellationToken ct)
    {
        var before = (await tx.SingleAsync($"{MemberView.Select} WHERE m.id = $1", MemberView.Read, ct, memberId))!;
        await tx.ExecuteAsync("""
            UPDATE organization_members SET user_id = $2, status = 'active', invite_token_hash = NULL, invite_expires_at = NULL, updated_at = now()
            WHERE id = $1
            """, ct, memberId, userId);
        var after = (await tx.SingleAsync($"{MemberView.Select} WHERE m.id = $1", MemberView.Read, ct, memberId))!;
        return (before, after);
    }

    /// <summary>
    /// Sets the kill-switch flag (the first reason wins while it stays on) after locking the organization row, so
    /// concurrent switches, resumes and agent registrations wait and then see it. Returns whether it was already on.
    /// </summary>
    public static async Task<bool> SetKilledAsync(Tx tx, string reason, CancellationToken ct)
    {
        var wasKilled = await tx.ScalarAsync<DateTime?>("SELECT killed_at FROM organizations WHERE id = $1 FOR UPDATE", ct, tx.OrgId) is not null;
        await tx.ExecuteAsync("UPDATE organizations SET killed_at = coalesce(killed_at, now()), killed_reason = coalesce(killed_reason, $2) WHERE id = $1", ct, tx.OrgId, reason);
        return wasKilled;
    }

    /// <summary>Locks the organization row (as <see cref="SetKilledAsync"/> does) before the flag is read and cleared.</summary>
    public static Task LockOrganizationAsync(Tx tx, CancellationToken ct) =>
        tx.ExecuteAsync("SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE", ct, tx.OrgId);

    /// <summary>Clears the kill-switch flag.</summary>
    public static Task ClearKilledAsync(Tx tx, CancellationToken ct) =>
        tx.ExecuteAsync("UPDATE organizations SET killed_at = NULL, killed_reason = NULL WHERE id = $1", ct, tx.OrgId);
}
