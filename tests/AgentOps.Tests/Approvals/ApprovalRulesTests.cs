using AgentOps.Approvals;
using AgentOps.Platform.Auth;
using FsCheck;
using FsCheck.Fluent;

namespace AgentOps.Tests.Approvals;

public class ApprovalRulesTests
{
    private static readonly string[] AllRoles = ["admin", "team_lead", "member", "viewer"];

    [Fact]
    public void A_person_decides_only_in_a_named_role_and_never_their_own_request() =>
        Prop.ForAll(Gen.Elements(Enum.GetValues<Role>()).ToArbitrary(), Gen.SubListOf(AllRoles).ToArbitrary(), Gen.Elements(true, false).ToArbitrary(),
            (role, required, isRequester) =>
            {
                var caller = TestCallers.User(role);
                var requester = isRequester ? caller.ActorId : Guid.NewGuid();
                var refusal = ApprovalRules.MayDecide(caller, "user", requester, [.. required]);
                return isRequester ? refusal == ApprovalRules.SelfForbidden
                    : required.Contains(Rbac.ToWire(role)) ? refusal is null
                    : refusal == ApprovalRules.RoleRequired;
            }).QuickCheckThrowOnFailure();

    [Fact]
    public void The_same_id_under_another_actor_type_is_not_the_requester()
    {
        var caller = TestCallers.User(Role.Admin);
        Assert.Null(ApprovalRules.MayDecide(caller, "api_key", caller.ActorId, ["admin"]));
        Assert.Equal(ApprovalRules.RoleRequired, ApprovalRules.MayDecide(TestCallers.Key(Scopes.Admin), "user", Guid.NewGuid(), AllRoles));
    }

    [Fact]
    public async Task A_wake_reaches_every_waiter_of_that_approval_only_and_slots_go_when_nobody_waits()
    {
        var waiters = new ApprovalWaiters();
        var id = Guid.NewGuid();
        using (var a = waiters.Join(id))
        using (var b = waiters.Join(id))
        using (var other = waiters.Join(Guid.NewGuid()))
        {
            var (na, nb, no) = (a.Next(), b.Next(), other.Next());
            waiters.Wake(id);
            await Task.WhenAll(na, nb).WaitAsync(TimeSpan.FromSeconds(5));
            Assert.False(no.IsCompleted);
            Assert.False(a.Next().IsCompleted); // the next wake-up is a new one
            Assert.Equal(2, waiters.Count);
        }
        Assert.Equal(0, waiters.Count);
    }
}
