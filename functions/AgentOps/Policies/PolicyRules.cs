using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentOps.Policies;

/// <summary>What a policy decides for an agent's next action. Ordered by severity: the combining rule takes the maximum.</summary>
public enum PolicyAction { Allow, RequireApproval, Block }

public enum Operator
{
    Equals, NotEquals, In, NotIn, Contains, StartsWith, Regex, GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual, Exists,
}

/// <summary>A rule's condition: a tree of all / any / not over field comparisons.</summary>
public abstract record Condition;
public sealed record AllOf(IReadOnlyList<Condition> Conditions) : Condition;
public sealed record AnyOf(IReadOnlyList<Condition> Conditions) : Condition;
public sealed record NotOf(Condition Condition) : Condition;

/// <summary>
/// One comparison of the field at <see cref="Path"/> (e.g. action.amount) with a value; <see cref="Source"/> is its JSON
/// path in the policy, for evidence. The value is also kept pre-read (<see cref="Text"/>, <see cref="Number"/>,
/// <see cref="Texts"/>, <see cref="Numbers"/>) so evaluating does not allocate.
/// </summary>
public sealed record Comparison(string Field, string[] Path, Operator Operator, JsonElement? Value, Regex? Pattern, string Source) : Condition
{
    public string? Text { get; } = Value is { ValueKind: JsonValueKind.String } s ? s.GetString() : null;
    public decimal? Number { get; } = Value is { ValueKind: JsonValueKind.Number } n && n.TryGetDecimal(out var d) ? d : null;
    public string[] Texts { get; } = Value is { ValueKind: JsonValueKind.Array } a ? [.. a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!)] : [];
    public decimal[] Numbers { get; } = Value is { ValueKind: JsonValueKind.Array } a2 ? [.. a2.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Number && x.TryGetDecimal(out _)).Select(x => x.GetDecimal())] : [];
    /// <summary>Array values that are neither strings nor numbers (true, false, null, objects): compared the slow way.</summary>
    public JsonElement[] Others { get; } = Value is { ValueKind: JsonValueKind.Array } a3 ? [.. a3.EnumerateArray().Where(x => x.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))] : [];
}

public sealed record PolicyError(string Path, string Message);

/// <summary>
/// Reads the JSON rule format into a <see cref="Condition"/>, naming the exact path of every error. Limits: depth 16,
/// 200 comparisons per rule, regular expressions of at most 500 characters run by the non-backtracking engine with a
/// 10 ms timeout (linear time: a pattern cannot stall the check), field paths of at most 10 segments starting with
/// agent, run, action or context.
/// </summary>
public static partial class PolicyRules
{
    public const int MaxDepth = 16;
    public const int MaxComparisons = 200;
    public const int MaxPatternLength = 500;
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(10);
    public static readonly string[] Roots = ["agent", "run", "action", "context"];

    /// <summary>The minutes an approval waits by default before it expires (and rejects).</summary>
    public const int DefaultApprovalTimeoutMinutes = 60;

    private static readonly Dictionary<string, Operator> Operators = new(StringComparer.Ordinal)
    {
        ["equals"] = Operator.Equals, ["not_equals"] = Operator.NotEquals, ["in"] = Operator.In, ["not_in"] = Operator.NotIn,
        ["contains"] = Operator.Contains, ["starts_with"] = Operator.StartsWith, ["regex"] = Operator.Regex,
        ["greater_than"] = Operator.GreaterThan, ["greater_than_or_equal"] = Operator.GreaterThanOrEqual,
        ["less_than"] = Operator.LessThan, ["less_than_or_equal"] = Operator.LessThanOrEqual, ["exists"] = Operator.Exists,
    };

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex Segment();

    public static (Condition? Condition, IReadOnlyList<PolicyError> Errors) Parse(JsonElement json, string path = "$.conditions")
    {
        var errors = new List<PolicyError>();
        var comparisons = 0;
        var condition = Read(json, path, 0, errors, ref comparisons);
        if (comparisons > MaxComparisons) errors.Add(new(path, $"a rule holds at most {MaxComparisons} comparisons."));
        return errors.Count == 0 ? (condition, errors) : (null, errors);
    }

    private static Condition? Read(JsonElement json, string path, int depth, List<PolicyError> errors, ref int comparisons)
    {
        if (depth > MaxDepth) { errors.Add(new(path, $"conditions nest at most {MaxDepth} deep.")); return null; }
        if (json.ValueKind != JsonValueKind.Object) { errors.Add(new(path, "must be an object: {all: [...]}, {any: [...]}, {not: {...}} or {field, operator, value}.")); return null; }
        var names = json.EnumerateObject().Select(p => p.Name).ToList();
        if (names.Count == 1 && names[0] is "all" or "any")
        {
            var list = json.GetProperty(names[0]);
            if (list.ValueKind != JsonValueKind.Array) { errors.Add(new($"{path}.{names[0]}", "must be an array of conditions.")); return null; }
            var items = new List<Condition>();
            var i = 0;
            foreach (var item in list.EnumerateArray())
            {
                if (Read(item, $"{path}.{names[0]}[{i}]", depth + 1, errors, ref comparisons) is { } c) items.Add(c);
                i++;
            }
            return names[0] == "all" ? new AllOf(items) : new AnyOf(items);
        }
        if (names.Count == 1 && names[0] == "not")
            return Read(json.GetProperty("not"), path + ".not", depth + 1, errors, ref comparisons) is { } inner ? new NotOf(inner) : null;
        comparisons++;
        return ReadComparison(json, path, errors);
    }

    private static Comparison? ReadComparison(JsonElement json, string path, List<PolicyError> errors)
    {
        string? field = null, op = null;
        JsonElement? value = null;
        var before = errors.Count;
        foreach (var p in json.EnumerateObject())
            switch (p.Name)
            {
                case "field" when p.Value.ValueKind == JsonValueKind.String: field = p.Value.GetString(); break;
                case "operator" when p.Value.ValueKind == JsonValueKind.String: op = p.Value.GetString(); break;
                case "value": value = p.Value.Clone(); break;
                case "field" or "operator": errors.Add(new($"{path}.{p.Name}", "must be a string.")); break;
                default: errors.Add(new($"{path}.{p.Name}", "is not part of a condition (all, any, not, or field / operator / value).")); break;
            }
        string[] segments = [];
        if (field is null) errors.Add(new($"{path}.field", "is required: a dotted path such as action.amount."));
        else
        {
            segments = field.Split('.');
            if (segments.Length > 10 || !Roots.Contains(segments[0]) || !segments.All(s => Segment().IsMatch(s)))
                errors.Add(new($"{path}.field", $"must be a dotted path of at most 10 names starting with {string.Join(", ", Roots)}."));
        }
        if (op is null) { errors.Add(new($"{path}.operator", "is required.")); return null; }
        if (!Operators.TryGetValue(op, out var oper)) { errors.Add(new($"{path}.operator", $"must be one of {string.Join(", ", Operators.Keys)}.")); return null; }

        Regex? pattern = null;
        switch (oper)
        {
            case Operator.Exists:
                if (value is { ValueKind: not (JsonValueKind.True or JsonValueKind.False) }) errors.Add(new($"{path}.value", "exists takes no value, or true / false."));
                break;
            case Operator.In or Operator.NotIn:
                if (value is not { ValueKind: JsonValueKind.Array }) errors.Add(new($"{path}.value", $"{op} needs an array of values."));
                break;
            case Operator.GreaterThan or Operator.GreaterThanOrEqual or Operator.LessThan or Operator.LessThanOrEqual:
                if (value is not { ValueKind: JsonValueKind.Number }) errors.Add(new($"{path}.value", $"{op} needs a number."));
                break;
            case Operator.StartsWith:
                if (value is not { ValueKind: JsonValueKind.String }) errors.Add(new($"{path}.value", "starts_with needs a string."));
                break;
            case Operator.Regex:
                if (value is not { ValueKind: JsonValueKind.String } || value.Value.GetString() is not { Length: > 0 and <= MaxPatternLength } text)
                    errors.Add(new($"{path}.value", $"regex needs a pattern of 1 to {MaxPatternLength} characters."));
                else
                    try { pattern = new Regex(text, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, RegexTimeout); }
                    catch (Exception e) when (e is ArgumentException or NotSupportedException) { errors.Add(new($"{path}.value", "is not a valid regular expression (look-arounds and back-references are not supported).")); }
                break;
            default:
                if (value is null) errors.Add(new($"{path}.value", $"{op} needs a value."));
                break;
        }
        return errors.Count > before ? null : new Comparison(field!, segments, oper, value, pattern, path);
    }

    /// <summary>The operator's name in the rule format (evidence speaks the language the rule was written in).</summary>
    public static string ToWire(Operator op) => Operators.First(kv => kv.Value == op).Key;

    public static string ToWire(PolicyAction action) => action switch
    {
        PolicyAction.Allow => "allow", PolicyAction.RequireApproval => "require_approval", _ => "block",
    };

    public static PolicyAction? ParseAction(string? value) => value switch
    {
        "allow" => PolicyAction.Allow, "require_approval" => PolicyAction.RequireApproval, "block" => PolicyAction.Block, _ => null,
    };

    internal static bool TryNumber(JsonElement e, out decimal number)
    {
        number = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetDecimal(out number)
               || e.ValueKind == JsonValueKind.String && decimal.TryParse(e.GetString(), NumberStyles.Number, CultureInfo.InvariantCulture, out number);
    }
}
