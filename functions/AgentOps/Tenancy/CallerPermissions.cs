using AgentOps.ApiKeys;

namespace AgentOps.Tenancy;

/// <summary>GET /api/v1/me/permissions: who the caller is (a person with a role and team, or a key with scopes) and what it may do.</summary>
public sealed record MyPermissions(
    string Type, Guid? UserId, string? Role, string? Team, string[] Scopes, string[] Permissions, string[] GrantableScopes, string[] InvitableRoles);

/// <summary>
/// What the caller may do, derived from the rules that decide it (Rbac's matrix, MemberRules, ApiKeyRules), so that a
/// client shows only what will be allowed without keeping a copy of any of them. The rules that depend on a target
/// (whom a team lead may change, whose key one may revoke, which request one may decide) stay with each item.
/// </summary>
public static class CallerPermissions
{
    public static MyPermissions Of(Caller caller) => new(
        caller.Type == ActorType.User ? "user" : "api_key",
        caller.UserId,
        caller.Role is { } role ? Rbac.ToWire(role) : null,
        caller.Team,
        caller.Role is null ? Rbac.ToWire(Rbac.Expand(caller.Scopes)) : [],
        [.. Rbac.Held(caller).Select(Rbac.ToWire)],
        Rbac.Allows(caller, Permission.ApiKeysWrite) ? Rbac.ToWire(ApiKeyRules.Grantable(caller)) : [],
        Rbac.Allows(caller, Permission.MembersWrite)
            ? [.. Enum.GetValues<Role>().Where(r => MemberRules.CheckInvite(caller, r, caller.Team) is null).Select(Rbac.ToWire)]
            : []);
}
