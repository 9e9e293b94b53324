using System.Text.Json;
using AgentOps.Agents;
using AgentOps.Policies;
using FsCheck;
using FsCheck.Fluent;

namespace AgentOps.Tests.Policies;

public class PolicyCheckTests
{
    private static readonly string[] Statuses = ["active", "paused"];

    private static PolicyRule Rule(PolicyAction action, string json = """{"field": "action.type", "operator": "equals", "value": "x"}""") =>
        new(Guid.NewGuid(), action.ToString(), 1, action, PolicyRules.Parse(JsonDocument.Parse(json).RootElement).Condition!, [], null);

    [Fact]
    public void The_kill_switch_and_a_pause_block_whatever_the_policies_decide() =>
        Prop.ForAll(Gen.Elements(true, false).ToArbitrary(), Gen.Elements(Statuses).ToArbitrary(), Gen.Elements(Enum.GetValues<PolicyAction>()).ToArbitrary(),
            (killed, status, policyAction) =>
            {
                var stop = PolicyCheck.Stop(killed, status);
                var rule = Rule(policyAction);
                var policies = new PolicyDecision(policyAction, rule, [rule], "rule_matched");
                var (action, reason, decidedBy, matched) = PolicyCheck.Answer(stop, stop is null ? policies : null);
                if (killed) return action == PolicyAction.Block && reason == "org_killed" && decidedBy is null && matched.Count == 0;
                if (status == "paused") return action == PolicyAction.Block && reason == "agent_paused" && decidedBy is null;
                return action == policyAction && reason == "rule_matched" && decidedBy == rule;
            }).QuickCheckThrowOnFailure();

    [Fact]
    public void The_kill_switch_is_named_before_the_agents_own_pause() =>
        Assert.Equal("org_killed", PolicyCheck.Stop(orgKilled: true, "paused"));

    [Fact]
    public void The_context_has_the_agents_profile_the_run_and_the_callers_action()
    {
        var agent = new AgentRef(Guid.NewGuid(), "support-bot", "active") { Type = "assistant", Tags = ["prod", "eu"], Environment = "production", Team = "care" };
        var action = JsonDocument.Parse("""{"type": "refund", "amount": 120}""").RootElement;
        var run = RunFacts.None with { CostMicros = 7_250_000, TokensIn = 100, TokensOut = 50, LlmCalls = 3, Models = ["gpt-4o"] };

        using var withRun = EvaluationContext.Build(agent, "run-1", run, action, JsonDocument.Parse("""{"user": {"tier": "gold"}}""").RootElement);
        var c = withRun.RootElement;
        Assert.Equal("assistant", c.GetProperty("agent").GetProperty("type").GetString());
        Assert.Equal(["prod", "eu"], c.GetProperty("agent").GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(("production", "care", "active"), (c.GetProperty("agent").GetProperty("environment").GetString(),
            c.GetProperty("agent").GetProperty("team").GetString(), c.GetProperty("agent").GetProperty("status").GetString()));
        Assert.Equal(7.25m, c.GetProperty("run").GetProperty("cost_usd").GetDecimal());
        Assert.Equal(150, c.GetProperty("run").GetProperty("tokens").GetInt64());
        Assert.Equal(120, c.GetProperty("action").GetProperty("amount").GetInt32());
        Assert.Equal("gold", c.GetProperty("context").GetProperty("user").GetProperty("tier").GetString());

        // Without run facts (no policy reads them) the run has only its id, and a missing context is an empty object.
        using var bare = EvaluationContext.Build(agent, "run-1", null, action, null);
        Assert.Equal(["id"], bare.RootElement.GetProperty("run").EnumerateObject().Select(p => p.Name));
        Assert.Empty(bare.RootElement.GetProperty("context").EnumerateObject());
    }

    [Theory]
    [InlineData("""{"field": "run.id", "operator": "equals", "value": "r"}""", false)]
    [InlineData("""{"field": "run.cost_usd", "operator": "greater_than", "value": 1}""", true)]
    [InlineData("""{"field": "run", "operator": "exists"}""", true)]
    [InlineData("""{"field": "action.run", "operator": "exists"}""", false)]
    public void Run_facts_are_loaded_only_when_a_rule_reads_them(string condition, bool reads) =>
        Assert.Equal(reads, new PolicySet([Rule(PolicyAction.Block, condition)]).ReadsRunFacts);

    [Fact]
    public void A_decision_over_the_built_context_matches_the_rule_on_the_agents_tags()
    {
        var set = new PolicySet([Rule(PolicyAction.Block, """{"field": "agent.tags", "operator": "contains", "value": "prod"}""")]);
        var action = JsonDocument.Parse("""{"type": "x"}""").RootElement;
        using var prod = EvaluationContext.Build(new AgentRef(Guid.NewGuid(), "a", "active") { Tags = ["prod"] }, "r", null, action, null);
        using var dev = EvaluationContext.Build(new AgentRef(Guid.NewGuid(), "a", "active") { Tags = ["dev"] }, "r", null, action, null);
        Assert.Equal(PolicyAction.Block, set.Decide(prod.RootElement).Action);
        Assert.Equal(PolicyAction.Allow, set.Decide(dev.RootElement).Action);
    }
}
