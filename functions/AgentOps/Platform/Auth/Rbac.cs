namespace AgentOps.Platform.Auth;

public enum Role { Admin, TeamLead, Member, Viewer }

/// <summary>What an API key may do. Write includes read; admin includes write. Ingest stands alone.</summary>
[Flags]
public enum Scopes { None = 0, Ingest = 1, Read = 2, Write = 4, Admin = 8 }

/// <summary>Every operation of the API names exactly one permission; <see cref="Rbac"/> decides who holds it.</summary>
public enum Permission
{
    /// <summary>Any signed-in person (not an API key): e.g. logging out.</summary>
    UserSession,
    OrgRead,
    OrgWrite,
    MembersRead,
    MembersWrite,
    ApiKeysRead,
    ApiKeysWrite,
    /// <summary>Send runs, spans and events (SDKs, OpenTelemetry exporters).</summary>
    Ingest,
    AgentsRead,
    /// <summary>Register and change agents (also: auto-registration of unknown names during ingest).</summary>
    AgentsWrite,
    RunsRead,
    /// <summary>Read, export and verify the audit trail.</summary>
    AuditRead,
    /// <summary>Emergency controls: pause and resume agents, the organization's kill switch.</summary>
    Controls,
    PoliciesRead,
    PoliciesWrite,
    /// <summary>Read budgets and cost reports.</summary>
    CostsRead,
    BudgetsWrite,
    /// <summary>The SDK's question before an action: allow, block or require approval (held with the ingest scope).</summary>
    PolicyCheck,
    /// <summary>See approval requests and wait for their outcome.</summary>
    ApprovalsRead,
    /// <summary>Approve or reject: a person only, and only in a role the policy names (a target rule).</summary>
    ApprovalsDecide,
    /// <summary>The organization's in-app notifications (marking read is per person).</summary>
    NotificationsRead,
    /// <summary>Outgoing webhooks: endpoints, secrets, the delivery log.</summary>
    WebhooksManage,
    /// <summary>See background jobs (exports, reindexes) and their schedules.</summary>
    JobsRead,
    /// <summary>Create, cancel and retry jobs; manage schedules.</summary>
    JobsWrite,
    /// <summary>See the organization's model provider connections (never their credentials).</summary>
    ProvidersRead,
    /// <summary>Create, change, rotate and delete provider connections.</summary>
    ProvidersWrite,
    /// <summary>Call a model through the guardrail pipeline (spends the organization's money).</summary>
    LlmComplete,
    /// <summary>Read the organization's guardrail configuration.</summary>
    GuardrailsRead,
    /// <summary>Change the organization's guardrail configuration.</summary>
    GuardrailsWrite,
    /// <summary>Screen a text with the organization's guardrails without calling a model (held with the ingest scope, like policy checks).</summary>
    GuardrailsCheck,
}

/// <summary>
/// The role matrix (docs/rbac.md), as data and one pure decision. Finer rules that depend on the target (a team
/// lead may only manage their own team; a key may not carry more than its creator holds) live with their features.
/// </summary>
public static class Rbac
{
    /// <summary>Per permission: the least role that holds it (roles are ordered admin &gt; team_lead &gt; member &gt; viewer),
    /// and the scope an API key needs (None: keys never hold it).</summary>
    private static readonly Dictionary<Permission, (Role LeastRole, Scopes KeyScope)> Matrix = new()
    {
        [Permission.UserSession] = (Role.Viewer, Scopes.None),
        [Permission.OrgRead] = (Role.Viewer, Scopes.Read),
        [Permission.OrgWrite] = (Role.Admin, Scopes.Admin),
        [Permission.MembersRead] = (Role.Viewer, Scopes.Read),
        [Permission.MembersWrite] = (Role.TeamLead, Scopes.Admin),
        [Permission.ApiKeysRead] = (Role.Member, Scopes.Admin),
        [Permission.ApiKeysWrite] = (Role.Member, Scopes.Admin),
        [Permission.Ingest] = (Role.Member, Scopes.Ingest),
        [Permission.AgentsRead] = (Role.Viewer, Scopes.Read),
        [Permission.AgentsWrite] = (Role.Member, Scopes.Write),
        [Permission.RunsRead] = (Role.Viewer, Scopes.Read),
        [Permission.AuditRead] = (Role.Admin, Scopes.Admin),
        [Permission.Controls] = (Role.TeamLead, Scopes.Admin),
        [Permission.PoliciesRead] = (Role.Viewer, Scopes.Read),
        [Permission.PoliciesWrite] = (Role.Admin, Scopes.Admin),
        [Permission.CostsRead] = (Role.Viewer, Scopes.Read),
        [Permission.BudgetsWrite] = (Role.Admin, Scopes.Admin),
        [Permission.PolicyCheck] = (Role.Member, Scopes.Ingest),
        [Permission.ApprovalsRead] = (Role.Viewer, Scopes.Read),
        [Permission.ApprovalsDecide] = (Role.Viewer, Scopes.None),
        [Permission.NotificationsRead] = (Role.Viewer, Scopes.Read),
        [Permission.WebhooksManage] = (Role.Admin, Scopes.Admin),
        [Permission.JobsRead] = (Role.TeamLead, Scopes.Read),
        [Permission.JobsWrite] = (Role.Admin, Scopes.Admin),
        [Permission.ProvidersRead] = (Role.Member, Scopes.Read),
        [Permission.ProvidersWrite] = (Role.Admin, Scopes.Admin),
        [Permission.LlmComplete] = (Role.Member, Scopes.Write),
        [Permission.GuardrailsRead] = (Role.Viewer, Scopes.Read),
        [Permission.GuardrailsWrite] = (Role.Admin, Scopes.Admin),
        [Permission.GuardrailsCheck] = (Role.Member, Scopes.Ingest),
    };

    public static IReadOnlyCollection<Permission> All => Matrix.Keys;

    /// <summary>Whether some API key scope grants the permission (else only signed-in people hold it).</summary>
    public static bool KeysMayHold(Permission permission) => Matrix[permission].KeyScope != Scopes.None;

    public static bool Allows(Caller caller, Permission permission)
    {
        var (leastRole, keyScope) = Matrix[permission];
        return caller.Role is { } role
            ? role <= leastRole
            : keyScope != Scopes.None && Expand(caller.Scopes).HasFlag(keyScope);
    }

    /// <summary>Every permission the caller holds, in the enum's order.</summary>
    public static IEnumerable<Permission> Held(Caller caller) => Enum.GetValues<Permission>().Where(p => Allows(caller, p));

    /// <summary>A permission's name on the wire: the enum name in snake case (AgentsWrite: agents_write).</summary>
    public static string ToWire(Permission permission) =>
        string.Concat(permission.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>Scopes a key effectively holds: admin implies write, write implies read.</summary>
    public static Scopes Expand(Scopes scopes)
    {
        if (scopes.HasFlag(Scopes.Admin)) scopes |= Scopes.Write;
        if (scopes.HasFlag(Scopes.Write)) scopes |= Scopes.Read;
        return scopes;
    }

    public static string ToWire(Role role) => role switch
    {
        Role.Admin => "admin", Role.TeamLead => "team_lead", Role.Member => "member", Role.Viewer => "viewer",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    public static Role? ParseRole(string? value) => value switch
    {
        "admin" => Role.Admin, "team_lead" => Role.TeamLead, "member" => Role.Member, "viewer" => Role.Viewer, _ => null,
    };

    public static string[] ToWire(Scopes scopes) =>
        Enum.GetValues<Scopes>().Where(s => s != Scopes.None && scopes.HasFlag(s)).Select(s => s.ToString().ToLowerInvariant()).ToArray();

    public static Scopes? ParseScope(string? value) => value switch
    {
        "ingest" => Scopes.Ingest, "read" => Scopes.Read, "write" => Scopes.Write, "admin" => Scopes.Admin, _ => null,
    };

    public static Scopes ParseScopes(IEnumerable<string> values) =>
        values.Aggregate(Scopes.None, (acc, v) => acc | (ParseScope(v) ?? Scopes.None));
}
