using AgentOps.Platform;
using AgentOps.Platform.Auth;
using AgentOps.Tenancy;

namespace AgentOps.Tests.Tenancy;

public class MemberRulesTests
{
    private static readonly Caller Admin = TestCallers.User(Role.Admin);
    private static readonly Caller Lead = TestCallers.User(Role.TeamLead, "core");
    private static readonly Caller LeadWithoutTeam = TestCallers.User(Role.TeamLead);
    private static readonly Caller AdminKey = TestCallers.Key(Scopes.Admin);

    [Theory]
    [InlineData(Role.Member, "core", true)]
    [InlineData(Role.Viewer, "core", true)]
    [InlineData(Role.Member, "other", false)]
    [InlineData(Role.Member, null, false)]
    [InlineData(Role.TeamLead, "core", false)]
    [InlineData(Role.Admin, "core", false)]
    public void Team_leads_invite_members_and_viewers_into_their_own_team(Role role, string? team, bool allowed)
    {
        Assert.Equal(allowed, MemberRules.CheckInvite(Lead, role, team) is null);
        Assert.Null(MemberRules.CheckInvite(Admin, role, team));
        Assert.Null(MemberRules.CheckInvite(AdminKey, role, team));
    }

    [Fact]
    public void A_team_lead_without_a_team_manages_nobody() =>
        Assert.NotNull(MemberRules.CheckInvite(LeadWithoutTeam, Role.Member, null));

    [Fact]
    public void Team_leads_change_only_within_their_team()
    {
        var own = new MemberRules.Target(Role.Member, "core", "active");
        Assert.Null(MemberRules.CheckChange(Lead, own, Role.Viewer, "core", 1));
        Assert.Equal("forbidden", MemberRules.CheckChange(Lead, own, Role.Admin, "core", 1)?.Code);
        Assert.Equal("forbidden", MemberRules.CheckChange(Lead, own, Role.Member, "other", 1)?.Code);
        Assert.Equal("forbidden", MemberRules.CheckChange(Lead, new(Role.Member, "other", "active"), Role.Member, "core", 1)?.Code);
        Assert.Equal("forbidden", MemberRules.CheckRemove(Lead, new(Role.Admin, "core", "active"), 2)?.Code);
        Assert.Null(MemberRules.CheckRemove(Lead, own, 1));
    }

    [Fact]
    public void The_last_active_admin_cannot_be_demoted_or_removed()
    {
        var lastAdmin = new MemberRules.Target(Role.Admin, null, "active");
        Assert.Equal("last_admin", MemberRules.CheckChange(Admin, lastAdmin, Role.Member, null, 1)?.Code);
        Assert.Equal("last_admin", MemberRules.CheckRemove(Admin, lastAdmin, 1)?.Code);
        Assert.Equal(DomainErrorKind.Conflict, MemberRules.CheckRemove(Admin, lastAdmin, 1)?.Kind);
        Assert.Null(MemberRules.CheckChange(Admin, lastAdmin, Role.Member, null, 2));
        Assert.Null(MemberRules.CheckChange(Admin, lastAdmin, Role.Admin, "core", 1));
        // An invited admin is not one of the active admins the organization relies on.
        Assert.Null(MemberRules.CheckRemove(Admin, new(Role.Admin, null, "invited"), 1));
    }
}
