using AgentOps.Audit;
using AgentOps.Contracts;

namespace AgentOps.Tenancy;

/// <summary>
/// Members of the caller's organization. Adding someone creates an invitation: a one-time token (shown once) that
/// the invitee redeems at POST /auth/accept-invite, with a new password or, if they already have an account, its
/// password (checked under the login rate limit of that address).
/// </summary>
public static class MembersApi
{
    public static void MapMembersApi(this RouteGroupBuilder api)
    {
        var members = api.MapGroup("/org-members").WithTags("Members");
        members.MapPost("/", InviteAsync).Requires(Permission.MembersWrite).WithName("inviteMember").Problems(409).WithSummary("Invite someone (returns a one-time invitation token)");
        members.MapGet("/", ListAsync).Requires(Permission.MembersRead).WithName("listMembers").WithSummary("Members and open invitations");
        members.MapPatch("/{id:guid}", UpdateAsync).Requires(Permission.MembersWrite).WithName("updateMember").Problems(409).WithSummary("Change a member's role or team");
        members.MapDelete("/{id:guid}", RemoveAsync).Requires(Permission.MembersWrite).WithName("removeMember").Problems(409).WithSummary("Remove a member or withdraw an invitation");
    }

    public sealed record InviteRequest(string? Email, string? Role, string? Team);
    public sealed record InvitationResponse(MemberView Member, string InviteToken, DateTimeOffset InviteExpiresAt);
    /// <summary>Absent fields stay; "team": null clears the team.</summary>
    public sealed record UpdateMemberRequest(Optional<string> Role, Optional<string> Team);

    public static async Task<Created<InvitationResponse>> InviteAsync(InviteRequest body, Caller caller, Db db, TenancyOptions options,
        TimeProvider time, CancellationToken ct)
    {
        var v = new Validation();
        var email = v.Email("$.email", body.Email);
        var role = ParseRole(v, "$.role", body.Role);
        var team = v.Text("$.team", body.Team, 100);
        v.ThrowIfInvalid();
        if (MemberRules.CheckInvite(caller, role!.Value, team) is { } denied) throw denied;

        var token = Secrets.CreateToken(Secrets.InvitationMarker);
        var expires = time.GetUtcNow() + options.InvitationLifetime;
        var id = Guid.CreateVersion7();
        try
        {
            var member = await db.InOrgAsync(caller.OrgId, async tx =>
            {
                await tx.ExecuteAsync("""
                    INSERT INTO organization_members (id, org_id, email, role, team, status, invite_token_hash, invite_expires_at, invited_by)
                    VALUES ($1, $2, $3, $4, $5, 'invited', $6, $7, $8)
                    """, ct, id, caller.OrgId, email, Rbac.ToWire(role.Value), team, Secrets.Hash(token), expires, caller.ActorId);
                var created = (await tx.SingleAsync($"{MemberView.Select} WHERE m.id = $1", MemberView.Read, ct, id))!;
                await AuditLog.RecordAsync(tx, Actor.Of(caller), "member.invited", "member", id, null, created, ct);
                return created;
            }, ct);
            return TypedResults.Created((string?)null, new InvitationResponse(member, token, expires));
        }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "organization_members_org_email_key" })
        {
            throw ApiProblem.Conflict("member_exists", "This e-mail address is already a member of, or invited to, this organization.");
        }
    }

    public static async Task<Ok<Page<MemberView>>> ListAsync(Caller caller, Db db, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var rows = await db.InOrgAsync(caller.OrgId, tx => tx.ListAsync(
            $"{MemberView.Select} WHERE m.org_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3",
            MemberView.Read, ct, caller.OrgId, after, take + 1), ct);
        return TypedResults.Ok(Paging.Of(rows, take, m => m.Id));
    }

    public static async Task<Ok<MemberView>> UpdateAsync(Guid id, UpdateMemberRequest body, Caller caller, Db db, CancellationToken ct)
    {
        var v = new Validation();
        var newRole = body.Role.IsSet ? ParseRole(v, "$.role", body.Role.Value) : null;
        var newTeam = body.Team.IsSet ? v.Text("$.team", body.Team.Value, 100) : null;
        v.ThrowIfInvalid();

        return TypedResults.Ok(await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var (before, admins) = await LoadForChangeAsync(tx, caller, id, ct);
            var role = newRole ?? Rbac.ParseRole(before.Role)!.Value;
            var team = body.Team.IsSet ? newTeam : before.Team;
            if (MemberRules.CheckChange(caller, Target(before), role, team, admins) is { } denied) throw denied;
            if (Rbac.ToWire(role) == before.Role && team == before.Team) return before;
            await tx.ExecuteAsync("UPDATE organization_members SET role = $2, team = $3, updated_at = now() WHERE id = $1", ct, id, Rbac.ToWire(role), team);
            var after = (await tx.SingleAsync($"{MemberView.Select} WHERE m.id = $1", MemberView.Read, ct, id))!;
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "member.updated", "member", id, before, after, ct);
            return after;
        }, ct));
    }

    public static async Task<NoContent> RemoveAsync(Guid id, Caller caller, Db db, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var (before, admins) = await LoadForChangeAsync(tx, caller, id, ct);
            if (MemberRules.CheckRemove(caller, Target(before), admins) is { } denied) throw denied;
            await tx.ExecuteAsync("DELETE FROM organization_members WHERE id = $1", ct, id);
            // Their access ends now, not when their access token expires (the per-request check also sees it).
            await tx.RaiseAsync(new MemberRemoved(id, before.UserId), ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "member.removed", "member", id, before, null, ct);
        }, ct);
        return TypedResults.NoContent();
    }

    /// <summary>Locks the member and counts active admins (locking them too, so two demotions cannot both pass).</summary>
    private static async Task<(MemberView Member, int ActiveAdmins)> LoadForChangeAsync(Tx tx, Caller caller, Guid id, CancellationToken ct)
    {
        var admins = (await tx.ListAsync("SELECT id FROM organization_members WHERE org_id = $1 AND role = 'admin' AND status = 'active' ORDER BY id FOR UPDATE",
            r => r.GetGuid(0), ct, caller.OrgId)).Count;
        var member = await tx.SingleAsync($"{MemberView.Select} WHERE m.id = $1 AND m.org_id = $2 FOR UPDATE OF m", MemberView.Read, ct, id, caller.OrgId)
            ?? throw ApiProblem.NotFound("member");
        return (member, admins);
    }

    private static MemberRules.Target Target(MemberView m) => new(Rbac.ParseRole(m.Role)!.Value, m.Team, m.Status);

    private static Role? ParseRole(Validation v, string path, string? value)
    {
        if (value is null) { v.Add(path, "is required."); return null; }
        var role = Rbac.ParseRole(value);
        if (role is null) v.Add(path, "must be one of admin, team_lead, member, viewer.");
        return role;
    }
}
