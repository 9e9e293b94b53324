using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentOps.Policies;

/// <summary>An active policy as the engine sees it. Lower priority numbers are more important.</summary>
public sealed record PolicyRule(Guid Id, string Name, int Priority, PolicyAction Action, Condition When, string[] ApprovalFrom, int? TimeoutMinutes);

public sealed record PolicyDecision(PolicyAction Action, PolicyRule? DecidedBy, IReadOnlyList<PolicyRule> Matched, string Reason);

/// <summary>
/// Policy evaluation, pure. A rule matches when its condition holds for the context {agent, run, action, context}.
/// Combining rule: the most severe action among the matching rules wins (block over require_approval over allow);
/// among rules with that action the one with the lowest priority number (then the lowest id) decides. No match: allow.
/// Field semantics: a missing or null field makes every comparison false except not_equals and not_in (true) — so
/// "not in the allowed list" also catches an action that does not say.
/// </summary>
public static class PolicyEngine
{
    public static PolicyDecision Decide(IReadOnlyList<PolicyRule> rules, JsonElement context)
    {
        var combined = new Combiner();
        foreach (var rule in rules)
            if (Holds(rule.When, context)) combined.Add(rule);
        return combined.Decision;
    }

    /// <summary>The combining rule, fed the matching rules one by one.</summary>
    public struct Combiner
    {
        private PolicyRule? _decided;
        private List<PolicyRule>? _matched;

        public void Add(PolicyRule rule)
        {
            (_matched ??= []).Add(rule);
            if (_decided is null || rule.Action > _decided.Action
                || rule.Action == _decided.Action && (rule.Priority < _decided.Priority || rule.Priority == _decided.Priority && rule.Id.CompareTo(_decided.Id) < 0))
                _decided = rule;
        }

        public readonly PolicyDecision Decision => _decided is null
            ? new PolicyDecision(PolicyAction.Allow, null, [], "no_rule_matched")
            : new PolicyDecision(_decided.Action, _decided, _matched!, "rule_matched");
    }

    /// <summary>Plain loops, no closures: a decision over 100 rules must not allocate per condition.</summary>
    public static bool Holds(Condition condition, JsonElement context)
    {
        switch (condition)
        {
            case AllOf all:
                foreach (var c in all.Conditions) if (!Holds(c, context)) return false;
                return true;
            case AnyOf any:
                foreach (var c in any.Conditions) if (Holds(c, context)) return true;
                return false;
            case NotOf not:
                return !Holds(not.Condition, context);
            case Comparison c:
                return Compare(c, Lookup(context, c.Path));
            default:
                throw new ArgumentOutOfRangeException(nameof(condition));
        }
    }

    /// <summary>The comparisons that held, for the dry run's evidence (only those that decided something are useful).</summary>
    public static IReadOnlyList<Comparison> Evidence(Condition condition, JsonElement context)
    {
        var found = new List<Comparison>();
        void Walk(Condition c)
        {
            switch (c)
            {
                case AllOf all: foreach (var x in all.Conditions) Walk(x); break;
                case AnyOf any: foreach (var x in any.Conditions) Walk(x); break;
                case NotOf not: Walk(not.Condition); break;
                case Comparison comparison when Compare(comparison, Lookup(context, comparison.Path)): found.Add(comparison); break;
            }
        }
        Walk(condition);
        return found;
    }

    public static JsonElement? Lookup(JsonElement context, string[] path)
    {
        var current = context;
        foreach (var segment in path)
        {
            if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(segment, out var next)) current = next;
            else if (current.ValueKind == JsonValueKind.Array && int.TryParse(segment, out var i) && i >= 0 && i < current.GetArrayLength()) current = current[i];
            else return null;
        }
        return current.ValueKind == JsonValueKind.Null ? null : current;
    }

    internal static bool Compare(Comparison c, JsonElement? field)
    {
        if (field is not { } f)
            return c.Operator is Operator.NotEquals or Operator.NotIn || c.Operator == Operator.Exists && c.Value is { ValueKind: JsonValueKind.False };
        var v = c.Value.GetValueOrDefault();
        return c.Operator switch
        {
            Operator.Exists => c.Value is not { ValueKind: JsonValueKind.False },
            Operator.Equals => EqualsValue(c, f, v),
            Operator.NotEquals => !EqualsValue(c, f, v),
            Operator.In => InList(c, f),
            Operator.NotIn => !InList(c, f),
            Operator.Contains => f.ValueKind switch
            {
                JsonValueKind.String => v.ValueKind == JsonValueKind.String && f.GetString()!.Contains(v.GetString()!, StringComparison.Ordinal),
                JsonValueKind.Array => ArrayContains(c, f, v),
                _ => false,
            },
            Operator.StartsWith => f.ValueKind == JsonValueKind.String && f.GetString()!.StartsWith(v.GetString()!, StringComparison.Ordinal),
            Operator.Regex => f.ValueKind == JsonValueKind.String && SafeMatch(c.Pattern!, f.GetString()!),
            _ => PolicyRules.TryNumber(f, out var a) && (c.Number ?? 0) is var b && c.Operator switch
            {
                Operator.GreaterThan => a > b,
                Operator.GreaterThanOrEqual => a >= b,
                Operator.LessThan => a < b,
                _ => a <= b,
            },
        };
    }

    /// <summary>Equality against the pre-read value: strings and numbers without allocating, the rest by JSON equality.</summary>
    private static bool EqualsValue(Comparison c, JsonElement f, JsonElement v) =>
        c.Text is { } text ? f.ValueKind == JsonValueKind.String && f.ValueEquals(text)
        : c.Number is { } number ? f.ValueKind == JsonValueKind.Number && f.TryGetDecimal(out var d) && d == number
        : JsonEquals(f, v);

    private static bool ArrayContains(Comparison c, JsonElement array, JsonElement v)
    {
        foreach (var x in array.EnumerateArray())
            if (c.Text is { } text ? x.ValueKind == JsonValueKind.String && x.ValueEquals(text) : JsonEquals(x, v)) return true;
        return false;
    }

    private static bool InList(Comparison c, JsonElement f)
    {
        switch (f.ValueKind)
        {
            case JsonValueKind.String:
                foreach (var t in c.Texts) if (f.ValueEquals(t)) return true;
                return false;
            case JsonValueKind.Number:
                if (!f.TryGetDecimal(out var d)) return false;
                foreach (var n in c.Numbers) if (n == d) return true;
                return false;
            default:
                foreach (var o in c.Others) if (JsonEquals(f, o)) return true;
                return false;
        }
    }

    /// <summary>A pattern that runs out of time does not match (and cannot hold the check up).</summary>
    private static bool SafeMatch(Regex pattern, string text)
    {
        try { return pattern.IsMatch(text); }
        catch (RegexMatchTimeoutException) { return false; }
    }

    /// <summary>JSON equality: numbers by value (1 == 1.0), strings ordinally, true/false/null by kind, arrays and objects by their text.</summary>
    public static bool JsonEquals(JsonElement a, JsonElement b) => (a.ValueKind, b.ValueKind) switch
    {
        (JsonValueKind.Number, JsonValueKind.Number) => a.TryGetDecimal(out var x) && b.TryGetDecimal(out var y) ? x == y : a.GetDouble().Equals(b.GetDouble()),
        (JsonValueKind.String, JsonValueKind.String) => a.GetString() == b.GetString(),
        (JsonValueKind.True, JsonValueKind.True) or (JsonValueKind.False, JsonValueKind.False) or (JsonValueKind.Null, JsonValueKind.Null) => true,
        (JsonValueKind.Array, JsonValueKind.Array) or (JsonValueKind.Object, JsonValueKind.Object) => JsonElement.DeepEquals(a, b),
        _ => false,
    };
}
