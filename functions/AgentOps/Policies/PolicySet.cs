using System.Text.Json;

namespace AgentOps.Policies;

/// <summary>
/// An organization's active policies, compiled for the hot path: every distinct field is looked up in the context
/// once per decision (not once per comparison), and conditions become delegates over those values. Decides exactly
/// as <see cref="PolicyEngine.Decide"/> (a property test holds them equal); build one when the policies change.
/// </summary>
public sealed class PolicySet
{
    private readonly string[][] _paths;
    private readonly (PolicyRule Rule, Func<JsonElement?[], bool> Holds)[] _rules;

    public PolicySet(IEnumerable<PolicyRule> rules)
    {
        var slots = new Dictionary<string, int>(StringComparer.Ordinal);
        var paths = new List<string[]>();
        Func<JsonElement?[], bool> Compile(Condition condition)
        {
            switch (condition)
            {
                case AllOf all:
                {
                    var parts = all.Conditions.Select(Compile).ToArray();
                    return values => { foreach (var p in parts) if (!p(values)) return false; return true; };
                }
                case AnyOf any:
                {
                    var parts = any.Conditions.Select(Compile).ToArray();
                    return values => { foreach (var p in parts) if (p(values)) return true; return false; };
                }
                case NotOf not:
                {
                    var inner = Compile(not.Condition);
                    return values => !inner(values);
                }
                case Comparison c:
                {
                    if (!slots.TryGetValue(c.Field, out var slot))
                    {
                        slot = slots[c.Field] = paths.Count;
                        paths.Add(c.Path);
                    }
                    return values => PolicyEngine.Compare(c, values[slot]);
                }
                default:
                    throw new ArgumentOutOfRangeException(nameof(condition));
            }
        }
        _rules = [.. rules.Select(r => (r, Compile(r.When)))];
        _paths = [.. paths];
        ReadsRunFacts = _paths.Any(p => p[0] == "run" && (p.Length == 1 || p[1] != "id"));
    }

    public int Count => _rules.Length;

    /// <summary>Every distinct field path the rules compare (agent.tags, run.cost_usd, ...), each once.</summary>
    public IReadOnlyList<string[]> Paths => _paths;

    /// <summary>
    /// Whether some rule reads what the platform knows about the run beyond its id (run.cost_usd, run.tokens_in, ...):
    /// only then does the check load the run's row. "run" alone (e.g. exists) counts as reading it.
    /// </summary>
    public bool ReadsRunFacts { get; }

    public PolicyDecision Decide(JsonElement context)
    {
        var values = new JsonElement?[_paths.Length];
        for (var i = 0; i < _paths.Length; i++) values[i] = PolicyEngine.Lookup(context, _paths[i]);
        var combined = new PolicyEngine.Combiner();
        foreach (var (rule, holds) in _rules)
            if (holds(values)) combined.Add(rule);
        return combined.Decision;
    }
}
