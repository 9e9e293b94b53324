using AgentOps.Platform.Auth;

namespace AgentOps.Tests.Platform;

public class RbacTests
{
    // The matrix of docs/rbac.md, written out by hand so a change to Rbac.cs must change this table too.
    public static TheoryData<Permission, string> Expected => new()
    {
        { Permission.UserSession, "admin team_lead member viewer" },
        { Permission.OrgRead, "admin team_lead member viewer key:read key:write key:admin" },
        { Permission.OrgWrite, "admin key:admin" },
        { Permission.MembersRead, "admin team_lead member viewer key:read key:write key:admin" },
        { Permission.MembersWrite, "admin team_lead key:admin" },
        { Permission.ApiKeysRead, "admin team_lead member key:admin" },
        { Permission.ApiKeysWrite, "admin team_lead member key:admin" },
        { Permission.Ingest, "admin team_lead member key:ingest" },
        { Permission.AgentsRead, "admin team_lead member viewer key:read key:write key:admin" },
        { Permission.AgentsWrite, "admin team_lead member key:write key:admin" },
        { Permission.RunsRead, "admin team_lead member viewer key:read key:write key:admin" },
        { Permission.AuditRead, "admin key:admin" },
        { Permission.Controls, "admin team_lead key:admin" },
        { Permission.PoliciesRead, "admin team_lead member viewer key:read key:write key:admin" },
        { Permission.PoliciesWrite, "admin key:admin" },
        { Permission.CostsRead, "admin team_lead member viewer key:read key:write key:admin" },
        { Permission.BudgetsWrite, "admin key:admin" },
        { Permission.PolicyCheck, "admin team_lead member key:ingest" },
        { Permission.ApprovalsRead, "admin team_lead member viewer key:read key:write key:admin" },
        { Permission.ApprovalsDecide, "admin team_lead member viewer" },
        { Permission.NotificationsRead, "admin team_lead member viewer key:read key:write key:admin" },
        { Permission.WebhooksManage, "admin key:admin" },
        { Permission.JobsRead, "admin team_lead key:read key:write key:admin" },
        { Permission.JobsWrite, "admin key:admin" },
        { Permission.ProvidersRead, "admin team_lead member key:read key:write key:admin" },
        { Permission.ProvidersWrite, "admin key:admin" },
        { Permission.LlmComplete, "admin team_lead member key:write key:admin" },
        { Permission.GuardrailsRead, "admin team_lead member viewer key:read key:write key:admin" },
        { Permission.GuardrailsWrite, "admin key:admin" },
        { Permission.GuardrailsCheck, "admin team_lead member key:ingest" },
    };

    private static readonly (string Name, Caller Caller)[] Everyone =
    [
        ("admin", TestCallers.User(Role.Admin)), ("team_lead", TestCallers.User(Role.TeamLead, "core")),
        ("member", TestCallers.User(Role.Member)), ("viewer", TestCallers.User(Role.Viewer)),
        ("key:ingest", TestCallers.Key(Scopes.Ingest)), ("key:read", TestCallers.Key(Scopes.Read)),
        ("key:write", TestCallers.Key(Scopes.Write)), ("key:admin", TestCallers.Key(Scopes.Admin)),
    ];

    [Theory]
    [MemberData(nameof(Expected))]
    public void Matrix_matches_the_documented_table(Permission permission, string allowed)
    {
        var expected = allowed.Split(' ').ToHashSet();
        foreach (var (name, caller) in Everyone)
            Assert.True(expected.Contains(name) == Rbac.Allows(caller, permission), $"{name} on {permission}");
    }

    [Fact]
    public void Every_permission_is_in_the_table() =>
        Assert.Equal(Enum.GetValues<Permission>().Order(), Expected.Select(row => (Permission)row[0]).Order());

    [Fact]
    public void Scopes_expand_downwards_but_ingest_stands_alone()
    {
        Assert.Equal(Scopes.Admin | Scopes.Write | Scopes.Read, Rbac.Expand(Scopes.Admin));
        Assert.Equal(Scopes.Write | Scopes.Read, Rbac.Expand(Scopes.Write));
        Assert.Equal(Scopes.Ingest, Rbac.Expand(Scopes.Ingest));
    }

    [Theory]
    [InlineData("admin", Role.Admin)]
    [InlineData("team_lead", Role.TeamLead)]
    [InlineData("member", Role.Member)]
    [InlineData("viewer", Role.Viewer)]
    public void Roles_round_trip_through_their_wire_names(string wire, Role role)
    {
        Assert.Equal(role, Rbac.ParseRole(wire));
        Assert.Equal(wire, Rbac.ToWire(role));
    }

    [Fact]
    public void Scopes_round_trip_in_a_stable_order() =>
        Assert.Equal(["ingest", "read", "admin"], Rbac.ToWire(Rbac.ParseScopes(["admin", "read", "ingest"])));
}
