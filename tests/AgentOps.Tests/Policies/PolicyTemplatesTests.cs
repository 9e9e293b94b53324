using AgentOps.Policies;

namespace AgentOps.Tests.Policies;

public class PolicyTemplatesTests
{
    [Fact]
    public void Every_template_is_a_valid_policy()
    {
        Assert.NotEmpty(PolicyTemplates.All);
        foreach (var t in PolicyTemplates.All)
        {
            Assert.Empty(PolicyRules.Parse(t.Conditions).Errors);
            Assert.NotNull(PolicyRules.ParseAction(t.Action));
            Assert.Equal(t.Action == "require_approval", t.ApprovalRequiredFrom.Length > 0);
        }
    }
}
