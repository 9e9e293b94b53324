namespace AgentOps.Tenancy;

/// <summary>
/// The writes other features need of Tenancy's tables (organizations, organization_members): Auth creates an
/// organization with its first admin at sign-up and activates an invited member when the invitation is accepted.
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
}
