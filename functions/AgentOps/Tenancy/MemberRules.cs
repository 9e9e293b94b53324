namespace AgentOps.Tenancy;

/// <summary>
/// Who may add, change and remove whom — the part of RBAC that depends on the target. Pure: each returns the
/// problem to answer, or null when allowed.
/// - Admins (and admin-scope API keys) manage anyone.
/// - Team leads manage members and viewers of their own team only, and cannot grant more than member.
/// - An organization always keeps at least one active admin.
/// </summary>
public static class MemberRules
{
    public sealed record Target(Role Role, string? Team, string Status);

    private static bool ActsAsAdmin(Caller c) => c.Role == Role.Admin || c.Role is null && c.Scopes.HasFlag(Scopes.Admin);

    private static bool TeamLeadMayTouch(Caller c, Role role, string? team) =>
        c.Role == Role.TeamLead && c.Team is not null && role is Role.Member or Role.Viewer && team == c.Team;

    public static DomainError? CheckInvite(Caller actor, Role role, string? team) =>
        ActsAsAdmin(actor) || TeamLeadMayTouch(actor, role, team)
            ? null
            : DomainError.Forbidden("forbidden", "Team leads may invite only members and viewers into their own team.");

    public static DomainError? CheckChange(Caller actor, Target target, Role newRole, string? newTeam, int activeAdmins)
    {
        if (!ActsAsAdmin(actor) && !(TeamLeadMayTouch(actor, target.Role, target.Team) && TeamLeadMayTouch(actor, newRole, newTeam)))
            return DomainError.Forbidden("forbidden", "Team leads may change only members and viewers of their own team, within it.");
        return IsLastAdmin(target, activeAdmins) && newRole != Role.Admin
            ? DomainError.Conflict("last_admin", "This is the organization's last admin; make someone else admin first.")
            : null;
    }

    public static DomainError? CheckRemove(Caller actor, Target target, int activeAdmins)
    {
        if (!ActsAsAdmin(actor) && !TeamLeadMayTouch(actor, target.Role, target.Team))
            return DomainError.Forbidden("forbidden", "Team leads may remove only members and viewers of their own team.");
        return IsLastAdmin(target, activeAdmins)
            ? DomainError.Conflict("last_admin", "This is the organization's last admin; make someone else admin first.")
            : null;
    }

    private static bool IsLastAdmin(Target target, int activeAdmins) => target is { Role: Role.Admin, Status: "active" } && activeAdmins <= 1;
}
