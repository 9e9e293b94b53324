using AgentOps.Platform.Auth;
using AgentOps.Tenancy;

namespace AgentOps.Tests.Tenancy;

public class CallerPermissionsTests
{
    [Fact]
    public void A_permission_is_listed_exactly_when_the_matrix_allows_it()
    {
        Caller[] callers =
        [
            TestCallers.User(Role.Admin), TestCallers.User(Role.TeamLead, "core"), TestCallers.User(Role.Member), TestCallers.User(Role.Viewer),
            TestCallers.Key(Scopes.Ingest), TestCallers.Key(Scopes.Read), TestCallers.Key(Scopes.Write), TestCallers.Key(Scopes.Admin),
        ];
        foreach (var caller in callers)
        {
            var listed = CallerPermissions.Of(caller).Permissions.ToHashSet();
            foreach (var permission in Enum.GetValues<Permission>())
                Assert.Equal(Rbac.Allows(caller, permission), listed.Contains(Rbac.ToWire(permission)));
        }
    }

    [Theory]
    [InlineData(Permission.AgentsWrite, "agents_write")]
    [InlineData(Permission.UserSession, "user_session")]
    [InlineData(Permission.ApiKeysRead, "api_keys_read")]
    public void Permissions_go_on_the_wire_in_snake_case(Permission permission, string wire) => Assert.Equal(wire, Rbac.ToWire(permission));

    [Fact]
    public void Roles_to_invite_and_scopes_to_grant_follow_the_feature_rules()
    {
        var admin = CallerPermissions.Of(TestCallers.User(Role.Admin));
        Assert.Equal(["admin", "team_lead", "member", "viewer"], admin.InvitableRoles);
        Assert.Equal(["ingest", "read", "write", "admin"], admin.GrantableScopes);

        var lead = CallerPermissions.Of(TestCallers.User(Role.TeamLead, "core"));
        Assert.Equal(["member", "viewer"], lead.InvitableRoles);
        Assert.Equal(["ingest", "read", "write"], lead.GrantableScopes);
        Assert.Equal("core", lead.Team);

        // A team lead without a team leads no one (MemberRules).
        Assert.Empty(CallerPermissions.Of(TestCallers.User(Role.TeamLead)).InvitableRoles);

        var viewer = CallerPermissions.Of(TestCallers.User(Role.Viewer));
        Assert.Empty(viewer.InvitableRoles);
        Assert.Empty(viewer.GrantableScopes);
        Assert.Equal("viewer", viewer.Role);
        Assert.Equal("user", viewer.Type);
        Assert.Empty(viewer.Scopes);
    }

    [Fact]
    public void A_key_shows_its_effective_scopes_and_no_person()
    {
        var key = CallerPermissions.Of(TestCallers.Key(Scopes.Write));
        Assert.Equal("api_key", key.Type);
        Assert.Null(key.UserId);
        Assert.Null(key.Role);
        Assert.Equal(["read", "write"], key.Scopes);
        Assert.DoesNotContain("user_session", key.Permissions);
        Assert.Contains("agents_write", key.Permissions);
    }
}
