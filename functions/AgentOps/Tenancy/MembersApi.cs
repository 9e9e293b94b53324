namespace AgentOps.Tenancy;

/// <summary>
/// The members API over HTTP: binding, shape checks and answers; <see cref="MemberService"/> holds the use cases.
/// An invitation's token is redeemed at POST /auth/accept-invite, with a new password or, if the invitee already has
/// an account, its password (checked under the login rate limit of that address).
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
    /// <summary>Absent fields stay; "team": null clears the team.</summary>
    public sealed record UpdateMemberRequest(Optional<string> Role, Optional<string> Team);

    public static async Task<Created<InvitationResponse>> InviteAsync(InviteRequest body, Caller caller, MemberService members, CancellationToken ct)
    {
        var v = new Validation();
        var email = v.Email("$.email", body.Email);
        var role = ParseRole(v, "$.role", body.Role);
        var team = v.Text("$.team", body.Team, 100);
        v.ThrowIfInvalid();
        return TypedResults.Created((string?)null, await members.InviteAsync(caller, email!, role!.Value, team, ct));
    }

    public static async Task<Ok<Page<MemberView>>> ListAsync(Caller caller, MemberService members, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        return TypedResults.Ok(Paging.Of(await members.PageAsync(caller.OrgId, after, take + 1, ct), take, m => m.Id));
    }

    public static async Task<Ok<MemberView>> UpdateAsync(Guid id, UpdateMemberRequest body, Caller caller, MemberService members, CancellationToken ct)
    {
        var v = new Validation();
        var newRole = body.Role.IsSet ? ParseRole(v, "$.role", body.Role.Value) : null;
        var newTeam = body.Team.IsSet ? v.Text("$.team", body.Team.Value, 100) : null;
        v.ThrowIfInvalid();
        return TypedResults.Ok(await members.UpdateAsync(caller, id,
            before => new RoleAndTeam(newRole ?? Rbac.ParseRole(before.Role)!.Value, body.Team.IsSet ? newTeam : before.Team), ct));
    }

    public static async Task<NoContent> RemoveAsync(Guid id, Caller caller, MemberService members, CancellationToken ct)
    {
        await members.RemoveAsync(caller, id, ct);
        return TypedResults.NoContent();
    }

    private static Role? ParseRole(Validation v, string path, string? value)
    {
        if (value is null) { v.Add(path, "is required."); return null; }
        var role = Rbac.ParseRole(value);
        if (role is null) v.Add(path, "must be one of admin, team_lead, member, viewer.");
        return role;
    }
}
