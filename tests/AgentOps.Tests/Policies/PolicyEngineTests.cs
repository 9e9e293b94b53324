using System.Text.Json;
using AgentOps.Policies;
using FsCheck;
using FsCheck.Fluent;

namespace AgentOps.Tests.Policies;

public class PolicyEngineTests
{
    private static readonly JsonElement Context = JsonDocument.Parse("""
        {"agent": {"name": "support-bot", "tags": ["prod", "eu"]},
         "run": {"cost_usd": 1.25, "id": "r1"},
         "action": {"type": "send_email", "to": "ceo@rival.example", "discount_percent": 15, "amount": "250.50", "nothing": null},
         "context": {"user": {"tier": "gold"}, "items": [{"sku": "a"}, {"sku": "b"}]}}
        """).RootElement;

    private static Condition Parse(string json)
    {
        var (condition, errors) = PolicyRules.Parse(JsonDocument.Parse(json).RootElement);
        Assert.Empty(errors);
        return condition!;
    }

    [Theory]
    [InlineData("""{"field":"action.type","operator":"equals","value":"send_email"}""", true)]
    [InlineData("""{"field":"action.type","operator":"equals","value":"SEND_EMAIL"}""", false)]
    [InlineData("""{"field":"action.type","operator":"not_equals","value":"refund"}""", true)]
    [InlineData("""{"field":"action.missing","operator":"not_equals","value":"x"}""", true)]
    [InlineData("""{"field":"action.missing","operator":"equals","value":"x"}""", false)]
    [InlineData("""{"field":"action.type","operator":"in","value":["refund","send_email"]}""", true)]
    [InlineData("""{"field":"action.type","operator":"not_in","value":["refund"]}""", true)]
    [InlineData("""{"field":"action.missing","operator":"not_in","value":["refund"]}""", true)]
    [InlineData("""{"field":"action.to","operator":"contains","value":"@rival."}""", true)]
    [InlineData("""{"field":"agent.tags","operator":"contains","value":"eu"}""", true)]
    [InlineData("""{"field":"agent.tags","operator":"contains","value":"us"}""", false)]
    [InlineData("""{"field":"agent.name","operator":"starts_with","value":"support"}""", true)]
    [InlineData("""{"field":"action.to","operator":"regex","value":"^[^@]+@[a-z]+\\.example$"}""", true)]
    [InlineData("""{"field":"action.to","operator":"regex","value":"@mycompany\\.com$"}""", false)]
    [InlineData("""{"field":"action.discount_percent","operator":"greater_than","value":10}""", true)]
    [InlineData("""{"field":"action.discount_percent","operator":"greater_than","value":15}""", false)]
    [InlineData("""{"field":"action.discount_percent","operator":"greater_than_or_equal","value":15}""", true)]
    [InlineData("""{"field":"action.amount","operator":"less_than","value":300}""", true)] // numeric strings compare as numbers
    [InlineData("""{"field":"run.cost_usd","operator":"less_than_or_equal","value":1.25}""", true)]
    [InlineData("""{"field":"action.nothing","operator":"exists"}""", false)]
    [InlineData("""{"field":"action.type","operator":"exists"}""", true)]
    [InlineData("""{"field":"action.missing","operator":"exists","value":false}""", true)]
    [InlineData("""{"field":"context.user.tier","operator":"equals","value":"gold"}""", true)]
    [InlineData("""{"field":"context.items.1.sku","operator":"equals","value":"b"}""", true)]
    [InlineData("""{"field":"run.cost_usd","operator":"equals","value":1.250}""", true)]
    public void Operators_behave_as_documented(string condition, bool expected)
    {
        // Every row is a valid condition: one that does not parse says nothing about its operator, so it fails here.
        Assert.Equal(expected, PolicyEngine.Holds(Parse(condition), Context));
    }

    [Fact]
    public void Nesting_combines_with_all_any_and_not() =>
        Assert.True(PolicyEngine.Holds(Parse("""
            {"all": [
              {"field": "action.type", "operator": "equals", "value": "send_email"},
              {"not": {"field": "action.to", "operator": "regex", "value": "@mycompany\\.com$"}},
              {"any": [{"field": "agent.tags", "operator": "contains", "value": "us"}, {"field": "agent.tags", "operator": "contains", "value": "eu"}]}
            ]}
            """), Context));

    [Theory]
    [InlineData("""{"all": {}}""", "$.conditions.all")]
    [InlineData("""{"all": [{"field": "action.x", "operator": "bigger", "value": 1}]}""", "$.conditions.all[0].operator")]
    [InlineData("""{"any": [{}, {"field": "secrets.x", "operator": "exists"}]}""", "$.conditions.any[1].field")]
    [InlineData("""{"not": {"field": "action.x", "operator": "in", "value": 3}}""", "$.conditions.not.value")]
    [InlineData("""{"field": "action.x", "operator": "greater_than", "value": "ten"}""", "$.conditions.value")]
    [InlineData("""{"field": "action.x", "operator": "regex", "value": "(a)\\1"}""", "$.conditions.value")]
    [InlineData("""{"field": "action.to", "operator": "regex", "value": "@(?!mycompany\\.com)"}""", "$.conditions.value")] // look-arounds are refused
    [InlineData("""{"field": "action.x", "operator": "equals", "value": 1, "colour": "red"}""", "$.conditions.colour")]
    public void Validation_names_the_exact_path_of_an_error(string json, string path)
    {
        var (condition, errors) = PolicyRules.Parse(JsonDocument.Parse(json).RootElement);
        Assert.Null(condition);
        Assert.Contains(errors, e => e.Path == path);
    }

    private static PolicyRule Rule(PolicyAction action, int priority, string condition, string name = "r") =>
        new(Guid.NewGuid(), name, priority, action, Parse(condition), [], null);

    private const string Always = """{"all": []}""";
    private const string Never = """{"any": []}""";

    [Fact]
    public void Block_beats_approval_beats_allow_and_priority_breaks_ties()
    {
        var allow = Rule(PolicyAction.Allow, 1, Always);
        var approve = Rule(PolicyAction.RequireApproval, 50, Always, "approve-50");
        var approveFirst = Rule(PolicyAction.RequireApproval, 10, Always, "approve-10");
        var block = Rule(PolicyAction.Block, 99, Always);
        var idle = Rule(PolicyAction.Block, 1, Never);
        Assert.Equal(PolicyAction.Allow, PolicyEngine.Decide([], Context).Action);
        Assert.Equal("no_rule_matched", PolicyEngine.Decide([idle], Context).Reason);
        Assert.Equal(approveFirst, PolicyEngine.Decide([allow, approve, approveFirst], Context).DecidedBy);
        var decision = PolicyEngine.Decide([allow, approve, block, idle], Context);
        Assert.Equal((PolicyAction.Block, block), (decision.Action, decision.DecidedBy));
        Assert.Equal(3, decision.Matched.Count);
    }

    [Fact]
    public void Evidence_lists_the_comparisons_that_held() =>
        Assert.Equal(["$.conditions.all[0]", "$.conditions.all[1].any[1]"], PolicyEngine.Evidence(Parse("""
            {"all": [{"field": "action.type", "operator": "equals", "value": "send_email"},
                     {"any": [{"field": "agent.name", "operator": "equals", "value": "x"}, {"field": "run.cost_usd", "operator": "greater_than", "value": 1}]}]}
            """), Context).Select(c => c.Source));

    // Laws, over random comparisons against the fixed context.
    private static readonly string[] Fields = ["action.type", "action.discount_percent", "action.missing", "agent.tags", "run.cost_usd", "context.user.tier"];
    private static readonly string[] Ops = ["equals", "not_equals", "greater_than", "less_than_or_equal", "exists", "contains", "in", "not_in"];
    private static readonly string[] Values = ["\"send_email\"", "15", "1.25", "\"eu\"", "\"gold\"", "[\"gold\", 15]", "true"];

    private static Gen<Condition> Leaf =>
        from f in Gen.Elements(Fields)
        from o in Gen.Elements(Ops)
        from v in Gen.Elements(Values)
        let json = o switch
        {
            "exists" => $$"""{"field":"{{f}}","operator":"exists"}""",
            "in" or "not_in" => $$"""{"field":"{{f}}","operator":"{{o}}","value":[{{v}}]}""",
            "greater_than" or "less_than_or_equal" => $$"""{"field":"{{f}}","operator":"{{o}}","value":15}""",
            _ => $$"""{"field":"{{f}}","operator":"{{o}}","value":{{v}}}""",
        }
        select PolicyRules.Parse(JsonDocument.Parse(json).RootElement).Condition!;

    [Fact]
    public void Double_negation_changes_nothing() =>
        Prop.ForAll(Leaf.ToArbitrary(), c => PolicyEngine.Holds(new NotOf(new NotOf(c)), Context) == PolicyEngine.Holds(c, Context)).QuickCheckThrowOnFailure();

    [Fact]
    public void All_of_nothing_is_true_and_any_of_nothing_is_false()
    {
        Assert.True(PolicyEngine.Holds(new AllOf([]), Context));
        Assert.False(PolicyEngine.Holds(new AnyOf([]), Context));
    }

    [Fact]
    public void De_Morgan_holds() =>
        Prop.ForAll(Leaf.ToArbitrary(), Leaf.ToArbitrary(), (a, b) =>
            PolicyEngine.Holds(new NotOf(new AllOf([a, b])), Context) == PolicyEngine.Holds(new AnyOf([new NotOf(a), new NotOf(b)]), Context))
            .QuickCheckThrowOnFailure();

    [Fact]
    public void A_pattern_cannot_stall_the_check()
    {
        // Catastrophic for a backtracking engine; linear for the non-backtracking one.
        var c = Parse("""{"field":"action.text","operator":"regex","value":"^(a+)+$"}""");
        var evil = JsonDocument.Parse($$$"""{"action": {"text": "{{{new string('a', 5000)}}}!"}}""").RootElement;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(PolicyEngine.Holds(c, evil));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }
}

public class PolicySetTests
{
    private static readonly JsonElement Context = JsonDocument.Parse("""
        {"agent": {"name": "support-bot", "tags": ["prod", "eu"]}, "run": {"cost_usd": 1.25},
         "action": {"type": "send_email", "discount_percent": 15}, "context": {"user": {"tier": "gold"}}}
        """).RootElement;

    private static readonly string[] Fields = ["action.type", "action.discount_percent", "action.missing", "agent.tags", "run.cost_usd", "context.user.tier"];
    private static readonly string[] Ops = ["equals", "not_equals", "greater_than", "exists", "contains"];

    private static Gen<Condition> Leaf =>
        from f in Gen.Elements(Fields)
        from o in Gen.Elements(Ops)
        from v in Gen.Elements("\"send_email\"", "15", "1", "\"eu\"", "\"gold\"")
        let json = o == "exists" ? $$"""{"field":"{{f}}","operator":"exists"}""" : o == "greater_than" ? $$"""{"field":"{{f}}","operator":"{{o}}","value":10}""" : $$"""{"field":"{{f}}","operator":"{{o}}","value":{{v}}}"""
        select PolicyRules.Parse(JsonDocument.Parse(json).RootElement).Condition!;

    private static Gen<Condition> Tree => Gen.Sized(size => size <= 1 ? Leaf : Gen.OneOf(
        Leaf,
        Gen.ListOf(Tree.Resize(size / 2)).Select(cs => (Condition)new AllOf([.. cs])),
        Gen.ListOf(Tree.Resize(size / 2)).Select(cs => (Condition)new AnyOf([.. cs])),
        Tree.Resize(size / 2).Select(c => (Condition)new NotOf(c))));

    [Fact]
    public void The_compiled_set_decides_exactly_as_the_engine() =>
        Prop.ForAll(Gen.ListOf(Tree).Select(conditions => conditions.Select((c, i) =>
                new PolicyRule(Guid.NewGuid(), $"r{i}", i % 3, (PolicyAction)(i % 3), c, [], null)).ToList()).ToArbitrary(), rules =>
        {
            var expected = PolicyEngine.Decide(rules, Context);
            var actual = new PolicySet(rules).Decide(Context);
            return expected.Action == actual.Action && expected.DecidedBy == actual.DecidedBy && expected.Matched.SequenceEqual(actual.Matched);
        }).QuickCheckThrowOnFailure();
}
