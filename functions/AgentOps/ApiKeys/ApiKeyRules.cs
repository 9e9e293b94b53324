namespace AgentOps.ApiKeys;

/// <summary>
/// Keys never carry more than their creator holds: admins (and admin-scope keys) may grant any scope; team leads and
/// members may grant ingest, read and write. Admins revoke any key; everyone else only the keys they created.
/// </summary>
public static class ApiKeyRules
{
    public static Scopes Grantable(Caller creator) =>
        creator.Role == Role.Admin || creator.Role is null && creator.Scopes.HasFlag(Scopes.Admin)
            ? Scopes.Ingest | Scopes.Read | Scopes.Write | Scopes.Admin
            : creator.Role is Role.TeamLead or Role.Member ? Scopes.Ingest | Scopes.Read | Scopes.Write : Scopes.None;

    public static bool MayRevoke(Caller caller, Guid createdBy) =>
        caller.Role == Role.Admin || caller.Role is null && caller.Scopes.HasFlag(Scopes.Admin) || createdBy == caller.ActorId;

    public static string Status(DateTimeOffset? revokedAt, DateTimeOffset? expiresAt, DateTimeOffset now) =>
        revokedAt is not null ? "revoked" : expiresAt <= now ? "expired" : "active";
}
