using AgentOps.Audit;
using AgentOps.Contracts;

namespace AgentOps.Tenancy;

/// <summary>A member's place in the organization: their role and team (null: none).</summary>
public sealed record RoleAndTeam(Role Role, string? Team);

/// <summary>
/// Members of the caller's organization: invite, list, change a role or team, remove. Adding someone creates an
/// invitation: a one-time token (shown once) that the invitee redeems at POST /auth/accept-invite. Who may touch whom
/// is <see cref="MemberRules"/>'; every change is audited, and a removal is announced (<see cref="MemberRemoved"/>).
/// </summary>
public sealed class MemberService(Db db, TenancyOptions options, TimeProvider time)
{
    public async Task<InvitationResponse> InviteAsync(Caller caller, string email, Role role, string? team, CancellationToken ct)
    {
        if (MemberRules.CheckInvite(caller, role, team) is { } denied) throw denied;
        var token = Secrets.CreateToken(Secrets.InvitationMarker);
        var expires = time.GetUtcNow() + options.InvitationLifetime;
        var id = Guid.CreateVersion7();
        try
        {
            var member = await db.InOrgAsync(caller.OrgId, async tx =>
            {
                var created = await TenancyStore.InviteAsync(tx, id, email, role, team, Secrets.Hash(token), expires, caller.ActorId, ct);
                await AuditLog.RecordAsync(tx, Actor.Of(caller), "member.invited", "member", id, null, created, ct);
                return created;
            }, ct);
            return new InvitationResponse(member, token, expires);
        }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: TenancyStore.MemberEmailKey })
        {
            throw DomainError.Conflict("member_exists", "This e-mail address is already a member of, or invited to, this organization.");
        }
    }

    public Task<List<MemberView>> PageAsync(Guid orgId, Guid after, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => TenancyStore.PageMembersAsync(tx, after, take, ct), ct);

    /// <summary>Applies <paramref name="edit"/> to the member as they are (locked); a change that changes nothing writes (and audits) nothing.</summary>
    public Task<MemberView> UpdateAsync(Caller caller, Guid id, Func<MemberView, RoleAndTeam> edit, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            var (before, admins) = await LoadForChangeAsync(tx, id, ct);
            var (role, team) = edit(before);
            if (MemberRules.CheckChange(caller, Target(before), role, team, admins) is { } denied) throw denied;
            if (Rbac.ToWire(role) == before.Role && team == before.Team) return before;
            var after = await TenancyStore.UpdateMemberAsync(tx, id, role, team, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "member.updated", "member", id, before, after, ct);
            return after;
        }, ct);

    /// <summary>Removes a member or withdraws an invitation.</summary>
    public Task RemoveAsync(Caller caller, Guid id, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            var (before, admins) = await LoadForChangeAsync(tx, id, ct);
            if (MemberRules.CheckRemove(caller, Target(before), admins) is { } denied) throw denied;
            await TenancyStore.DeleteMemberAsync(tx, id, ct);
            // Their access ends now, not when their access token expires (the per-request check also sees it).
            await tx.RaiseAsync(new MemberRemoved(id, before.UserId), ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "member.removed", "member", id, before, null, ct);
        }, ct);

    /// <summary>Locks the member and counts active admins (locking them too, so two demotions cannot both pass).</summary>
    private static async Task<(MemberView Member, int ActiveAdmins)> LoadForChangeAsync(Tx tx, Guid id, CancellationToken ct)
    {
        var admins = await TenancyStore.LockActiveAdminsAsync(tx, ct);
        var member = await TenancyStore.LockMemberAsync(tx, id, ct) ?? throw DomainError.NotFound("member");
        return (member, admins);
    }

    private static MemberRules.Target Target(MemberView m) => new(Rbac.ParseRole(m.Role)!.Value, m.Team, m.Status);
}
