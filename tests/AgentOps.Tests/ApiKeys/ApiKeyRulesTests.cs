using AgentOps.ApiKeys;
using AgentOps.Platform.Auth;

namespace AgentOps.Tests.ApiKeys;

public class ApiKeyRulesTests
{
    private const Scopes All = Scopes.Ingest | Scopes.Read | Scopes.Write | Scopes.Admin;

    [Fact]
    public void Keys_never_carry_more_than_their_creator_holds()
    {
        Assert.Equal(All, ApiKeyRules.Grantable(TestCallers.User(Role.Admin)));
        Assert.Equal(All, ApiKeyRules.Grantable(TestCallers.Key(Scopes.Admin)));
        Assert.Equal(All & ~Scopes.Admin, ApiKeyRules.Grantable(TestCallers.User(Role.TeamLead, "core")));
        Assert.Equal(All & ~Scopes.Admin, ApiKeyRules.Grantable(TestCallers.User(Role.Member)));
        Assert.Equal(Scopes.None, ApiKeyRules.Grantable(TestCallers.User(Role.Viewer)));
        Assert.Equal(Scopes.None, ApiKeyRules.Grantable(TestCallers.Key(Scopes.Write)));
    }

    [Fact]
    public void Admins_revoke_any_key_others_only_their_own()
    {
        var member = TestCallers.User(Role.Member);
        Assert.True(ApiKeyRules.MayRevoke(member, member.ActorId));
        Assert.False(ApiKeyRules.MayRevoke(member, Guid.NewGuid()));
        Assert.True(ApiKeyRules.MayRevoke(TestCallers.User(Role.Admin), Guid.NewGuid()));
        Assert.True(ApiKeyRules.MayRevoke(TestCallers.Key(Scopes.Admin), Guid.NewGuid()));
    }

    [Fact]
    public void Status_prefers_revoked_over_expired()
    {
        var now = DateTimeOffset.UtcNow;
        Assert.Equal("active", ApiKeyRules.Status(null, null, now));
        Assert.Equal("active", ApiKeyRules.Status(null, now.AddDays(1), now));
        Assert.Equal("expired", ApiKeyRules.Status(null, now, now));
        Assert.Equal("revoked", ApiKeyRules.Status(now, now.AddDays(-1), now));
    }
}
