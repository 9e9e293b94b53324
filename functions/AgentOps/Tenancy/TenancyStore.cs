namespace AgentOps.Tenancy;

/// <summary>An invitation waiting to be accepted, found by its token.</summary>
public sealed record PendingInvitation(Guid Id, string Email, DateTimeOffset? ExpiresAt);

/// <summary>
/// The SQL on Tenancy's tables (organizations, organization_members), in the caller's transaction and organization:
/// the organization's profile and its members as Tenancy's own API manages them, and what other features need of
/// them. Auth creates an organization with its first admin at sign-up, reads the organization and a member's role
/// when it issues a session, and finds and activates an invited member when the invitation is accepted; Controls sets
/// and clears the organization's kill-switch flag. Tenancy owns the tables (docs/architecture.md, table ownership), so the SQL lives
/// here; the caller keeps its transaction and audits the change.
/// </summary>
public static class TenancyStore
{
    /// <summary>The unique key that makes an e-mail address one member (or invitation) per organization.</summary>
    public const string MemberEmailKey = "organization_members_org_email_key";

    /// <summary>A new organization (RLS: the transaction's organization is its id).</summary>
    public static async Task<OrgView> CreateOrganizationAsync(Tx tx, string name, CancellationToken ct) =>
        (await tx.SingleAsync($"INSERT INTO organizations (id, name) VALUES ($1, $2) RETURNING {OrgView.Columns}", OrgView.Read, ct, tx.OrgId, name))!;

    /// <summary>The transaction's organization (locked for a change when <paramref name="forUpdate"/>).</summary>
    public static Task<OrgView?> ReadOrganizationAsync(Tx tx, bool forUpdate, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {OrgView.Columns} FROM organizations WHERE id = $1{(forUpdate ? " FOR UPDATE" : "")}", OrgView.Read, ct, tx.OrgId);

    /// <summary>Writes the organization's profile: its name, time zone and ingest rate.</summary>
    public static async Task<OrgView> UpdateProfileAsync(Tx tx, OrgView profile, CancellationToken ct) =>
        (await tx.SingleAsync($"""
            UPDATE organizations SET name = $2, timezone = $3, ingest_events_per_second = $4, ingest_burst = $5, updated_at = now()
            WHERE id = $1 RETURNING {OrgView.Columns}
            """, OrgView.Read, ct, tx.OrgId, profile.Name, profile.Timezone, profile.IngestEventsPerSecond, profile.IngestBurst))!;

    /// <summary>A new organization's first member: its active admin.</summary>
    public static async Task<MemberView> AddFirstAdminAsync(Tx tx, Guid memberId, Guid userId, string email, CancellationToken ct)
    {
        await tx.ExecuteAsync("INSERT INTO organization_members (id, org_id, user_id, email, role, status) VALUES ($1, $2, $3, $4, 'admin', 'active')",
            ct, memberId, tx.OrgId, userId, email);
        return await MemberAsync(tx, memberId, ct);
    }

    /// <summary>An invitation: a member that is 'invited' until the token whose hash is stored here is redeemed.</summary>
    public static async Task<MemberView> InviteAsync(Tx tx, Guid id, string email, Role role, string? team, byte[] tokenHash, DateTimeOffset expiresAt,
        Guid invitedBy, CancellationToken ct)
    {
        await tx.ExecuteAsync("""
            INSERT INTO organization_members (id, org_id, email, role, team, status, invite_token_hash, invite_expires_at, invited_by)
            VALUES ($1, $2, $3, $4, $5, 'invited', $6, $7, $8)
            """, ct, id, tx.OrgId, email, Rbac.ToWire(role), team, tokenHash, expiresAt, invitedBy);
        return await MemberAsync(tx, id, ct);
    }

    public static Task<List<MemberView>> PageMembersAsync(Tx tx, Guid after, int take, CancellationToken ct) =>
        tx.ListAsync($"{MemberView.Select} WHERE m.org_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3", MemberView.Read, ct, tx.OrgId, after, take);

    /// <summary>Counts the active admins, locking them, so two demotions (or removals) cannot both pass the last-admin rule.</summary>
    public static async Task<int> LockActiveAdminsAsync(Tx tx, CancellationToken ct) =>
        (await tx.ListAsync("SELECT id FROM organization_members WHERE org_id = $1 AND role = 'admin' AND status = 'active' ORDER BY id FOR UPDATE",
            r => r.GetGuid(0), ct, tx.OrgId)).Count;

    public static Task<MemberView?> LockMemberAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.SingleAsync($"{MemberView.Select} WHERE m.id = $1 AND m.org_id = $2 FOR UPDATE OF m", MemberView.Read, ct, id, tx.OrgId);

    public static async Task<MemberView> UpdateMemberAsync(Tx tx, Guid id, Role role, string? team, CancellationToken ct)
    {
        await tx.ExecuteAsync("UPDATE organization_members SET role = $2, team = $3, updated_at = now() WHERE id = $1", ct, id, Rbac.ToWire(role), team);
        return await MemberAsync(tx, id, ct);
    }

    public static Task DeleteMemberAsync(Tx tx, Guid id, CancellationToken ct) => tx.ExecuteAsync("DELETE FROM organization_members WHERE id = $1", ct, id);

    /// <summary>The role of <paramref name="userId"/> as an active member of the organization; null if they are not one.</summary>
    public static Task<string?> ActiveRoleAsync(Tx tx, Guid userId, CancellationToken ct) =>
        tx.ScalarAsync<string>("SELECT role FROM organization_members WHERE user_id = $1 AND status = 'active'", ct, userId);

    /// <summary>The organization of the open invitation whose token has this hash (a look-up before any organization is known).</summary>
    public static Task<Guid?> InvitationOrgAsync(Tx tx, byte[] tokenHash, CancellationToken ct) =>
        tx.ScalarAsync<Guid?>("SELECT auth_invitation_org($1)", ct, tokenHash);

    /// <summary>The open invitation whose token has this hash, locked while it is accepted.</summary>
    public static Task<PendingInvitation?> LockInvitationAsync(Tx tx, byte[] tokenHash, CancellationToken ct) =>
        tx.SingleAsync("SELECT id, email, invite_expires_at FROM organization_members WHERE invite_token_hash = $1 AND status = 'invited' FOR UPDATE",
            r => new PendingInvitation(r.GetGuid(0), r.GetString(1), r.NullableTime(2)), ct, tokenHash);

    /// <summary>An invited member joins as <paramref name="userId"/>: active, the invitation spent. Returns the member as it was and as it is.</summary>
    public static async Task<(MemberView Before, MemberView After)> AcceptInvitationAsync(Tx tx, Guid memberId, Guid userId, CancellationToken ct)
    {
        var before = await MemberAsync(tx, memberId, ct);
        await tx.ExecuteAsync("""
            UPDATE organization_members SET user_id = $2, status = 'active', invite_token_hash = NULL, invite_expires_at = NULL, updated_at = now()
            WHERE id = $1
            """, ct, memberId, userId);
        return (before, await MemberAsync(tx, memberId, ct));
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

    /// <summary>Clears the kill-switch flag.</summary>
    public static Task ClearKilledAsync(Tx tx, CancellationToken ct) =>
        tx.ExecuteAsync("UPDATE organizations SET killed_at = NULL, killed_reason = NULL WHERE id = $1", ct, tx.OrgId);

    /// <summary>A member as it is now (the caller knows it exists).</summary>
    private static async Task<MemberView> MemberAsync(Tx tx, Guid id, CancellationToken ct) =>
        (await tx.SingleAsync($"{MemberView.Select} WHERE m.id = $1", MemberView.Read, ct, id))!;
}
