using System.Diagnostics;
using System.Text.Json;
using AgentOps.Policies;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace AgentOps.Bench;

/// <summary>
/// `./agentops bench policy-eval`: one decision over 100 active rules of realistic shape (nested all/any/not, several
/// operators, a regex), in process: the compiled <see cref="PolicySet"/> (what the check uses) against the plain engine
/// as the baseline. BenchmarkDotNet gives the mean and p95; a direct run of 200,000 compiled decisions gives the
/// p50/p99 per decision that the figure asks for, printed as one JSON line.
/// </summary>
public static class PolicyBench
{
    public const int Rules = 100;

    public static (PolicyRule[] Rules, JsonElement Context) Fixture()
    {
        var rules = new PolicyRule[Rules];
        for (var i = 0; i < Rules; i++)
        {
            var json = (i % 4) switch
            {
                0 => $$$"""{"all": [{"field": "action.type", "operator": "equals", "value": "refund_{{{i}}}"}, {"field": "action.amount", "operator": "greater_than", "value": {{{i * 10}}}}]}""",
                1 => $$$"""{"any": [{"field": "action.to", "operator": "regex", "value": "@rival{{{i}}}\\.example$"}, {"field": "agent.tags", "operator": "contains", "value": "tag-{{{i}}}"}]}""",
                2 => $$$"""{"not": {"field": "context.user.tier", "operator": "in", "value": ["gold", "silver", "tier-{{{i}}}"]}}""",
                _ => $$$"""{"all": [{"field": "run.cost_usd", "operator": "greater_than_or_equal", "value": {{{i}}}}, {"field": "action.discount_percent", "operator": "less_than", "value": 5}, {"field": "agent.name", "operator": "starts_with", "value": "bot-{{{i}}}"}]}""",
            };
            var (condition, errors) = PolicyRules.Parse(JsonDocument.Parse(json).RootElement);
            if (errors.Count > 0) throw new InvalidOperationException(errors[0].Message);
            rules[i] = new PolicyRule(Guid.NewGuid(), $"rule {i}", i, (PolicyAction)(i % 3), condition!, [], null);
        }
        var context = JsonDocument.Parse("""
            {"agent": {"name": "support-bot", "tags": ["prod", "eu"]}, "run": {"cost_usd": 12.5},
             "action": {"type": "send_email", "to": "someone@customer.example", "amount": 420, "discount_percent": 15},
             "context": {"user": {"tier": "gold"}}}
            """).RootElement;
        return (rules, context);
    }

    [Config(typeof(Percentiles))]
    public class Decide
    {
        private PolicyRule[] _rules = [];
        private JsonElement _context;

        [GlobalSetup(Target = nameof(Decide100Rules))]
        public void SetUp() => (_rules, _context) = Fixture();

        private PolicySet _set = null!;

        [GlobalSetup(Target = nameof(Compiled100Rules))]
        public void SetUpCompiled() { (_rules, _context) = Fixture(); _set = new PolicySet(_rules); }

        [Benchmark(Baseline = true)]
        public PolicyAction Decide100Rules() => PolicyEngine.Decide(_rules, _context).Action;

        [Benchmark]
        public PolicyAction Compiled100Rules() => _set.Decide(_context).Action;
    }

    private sealed class Percentiles : ManualConfig
    {
        public Percentiles() => AddColumn(StatisticColumn.P50, StatisticColumn.P95, StatisticColumn.Max);
    }

    public static int Run(string[] args)
    {
        if (!args.Contains("--quick")) BenchmarkRunner.Run<Decide>(DefaultConfig.Instance.WithOptions(ConfigOptions.DisableOptimizationsValidator));
        var (rules, context) = Fixture();
        var set = new PolicySet(rules);
        for (var i = 0; i < 20_000; i++) set.Decide(context); // warm up, tiered JIT
        const int Samples = 200_000;
        var micros = new double[Samples];
        for (var i = 0; i < Samples; i++)
        {
            var start = Stopwatch.GetTimestamp();
            set.Decide(context);
            micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        Array.Sort(micros);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            bench = "policy-eval",
            rules = Rules,
            decisions = Samples,
            p50_us = Math.Round(micros[Samples / 2], 2),
            p99_us = Math.Round(micros[(int)(Samples * 0.99)], 2),
            max_us = Math.Round(micros[^1], 2),
        }));
        return 0;
    }
}
