using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentOps.Guardrails.Redaction;
using AgentOps.Guardrails.Screening;

namespace AgentOps.Guardrails;

/// <summary>An organization's guardrail configuration as the API reads and writes it (and as it is stored).</summary>
public sealed record GuardrailConfigDocument(RedactionConfigDocument Redaction, InjectionConfigDocument Injection, bool RestoreOriginals, PathsConfigDocument Paths);

/// <summary>The built-in detectors that run (by their names), the organization's own patterns, and what a finding of a label does (absent: redact).</summary>
public sealed record RedactionConfigDocument(IReadOnlyList<string> Detectors, IReadOnlyList<CustomPattern> Custom, IReadOnlyDictionary<string, GuardrailAction> Actions);

/// <summary>The injection screen: block (or, with action flag, only record) at block_score or more; flag at flag_score or more.</summary>
public sealed record InjectionConfigDocument(GuardrailAction Action, double BlockScore, double FlagScore);

/// <summary>The path policy's prefixes: eligible when no deny prefix matches and some allow prefix does.</summary>
public sealed record PathsConfigDocument(IReadOnlyList<string> Allow, IReadOnlyList<string> Deny);

/// <summary>
/// The guardrail configuration's JSON, pure: <see cref="Parse"/> reads a document into a <see cref="GuardrailPolicy"/>
/// with every error at its JSON path, <see cref="ToDocument"/> writes a policy back (normalized: every field present,
/// actions sorted). Every section and field is optional; an absent one takes <see cref="GuardrailPolicy.Default"/>'s
/// value, so <c>{}</c> is the defaults. Unknown fields are errors (a misspelt field must not silently do nothing).
/// <code>
/// { "redaction": { "detectors": ["api_keys", "emails"], "custom": [{"name": "EMPLOYEE_ID", "pattern": "E-[0-9]{6}"}],
///                  "actions": {"API_KEY": "block", "EMAIL": "flag"} },
///   "injection": { "action": "block", "block_score": 0.8, "flag_score": 0.0001 },
///   "restore_originals": false,
///   "paths": { "allow": ["src"], "deny": ["src/secrets"] } }
/// </code>
/// </summary>
public static class GuardrailPolicyJson
{
    /// <summary>Allow prefixes, and deny prefixes, each at most this many: a path is checked against every one.</summary>
    public const int MaxPathPrefixes = 200;

    /// <summary>The wire names of the actions.</summary>
    public static readonly IReadOnlyDictionary<string, GuardrailAction> ActionNames = new Dictionary<string, GuardrailAction>(StringComparer.Ordinal)
    {
        ["redact"] = GuardrailAction.Redact, ["block"] = GuardrailAction.Block, ["flag"] = GuardrailAction.Flag,
    };

    public static string Wire(GuardrailAction action) => action switch
    {
        GuardrailAction.Redact => "redact", GuardrailAction.Block => "block", GuardrailAction.Flag => "flag",
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    /// <summary>The policy a document describes, or null and every error (each at its path under <paramref name="path"/>).</summary>
    public static (GuardrailPolicy? Policy, IReadOnlyList<RedactionRuleError> Errors) Parse(JsonElement json, string path = "$")
    {
        if (json.ValueKind != JsonValueKind.Object)
            return (null, [new(path, "must be an object {redaction, injection, restore_originals, paths}.")]);
        var errors = new List<RedactionRuleError>();
        var defaults = GuardrailPolicy.Default;
        var rules = defaults.Redaction;
        IReadOnlyDictionary<string, GuardrailAction> actions = defaults.RedactionActions;
        var (injectionAction, blockScore, flagScore) = (defaults.InjectionAction, defaults.InjectionBlockScore, defaults.InjectionFlagScore);
        var restore = defaults.RestoreOriginals;
        IReadOnlyList<string> allow = defaults.PathAllow, deny = defaults.PathDeny;
        foreach (var p in json.EnumerateObject())
        {
            var at = $"{path}.{p.Name}";
            switch (p.Name)
            {
                case "redaction":
                    (rules, actions) = ParseRedaction(p.Value, at, errors);
                    break;
                case "injection":
                    (injectionAction, blockScore, flagScore) = ParseInjection(p.Value, at, errors, defaults);
                    break;
                case "restore_originals" when p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    restore = p.Value.GetBoolean();
                    break;
                case "restore_originals":
                    errors.Add(new(at, "must be true or false."));
                    break;
                case "paths":
                    (allow, deny) = ParsePaths(p.Value, at, errors);
                    break;
                default:
                    errors.Add(new(at, "is not part of the guardrail configuration (redaction, injection, restore_originals, paths)."));
                    break;
            }
        }
        if (errors.Count > 0) return (null, errors);
        return (new GuardrailPolicy(rules, actions, injectionAction, blockScore, flagScore, restore) { PathAllow = allow, PathDeny = deny }, errors);
    }

    /// <summary>The document of a policy: every field written out, detectors in their documented order, actions by label.</summary>
    public static GuardrailConfigDocument ToDocument(GuardrailPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var detectors = RedactionRules.DetectorNames.Where(d => policy.Redaction.Detectors.HasFlag(d.Value)).Select(d => d.Key).ToList();
        var actions = new SortedDictionary<string, GuardrailAction>(policy.RedactionActions.ToDictionary(), StringComparer.Ordinal);
        return new GuardrailConfigDocument(
            new RedactionConfigDocument(detectors, [.. policy.Redaction.Custom], actions),
            new InjectionConfigDocument(policy.InjectionAction, policy.InjectionBlockScore, policy.InjectionFlagScore),
            policy.RestoreOriginals,
            new PathsConfigDocument([.. policy.PathAllow], [.. policy.PathDeny]));
    }

    /// <summary>The document as JSON (the API's conventions: snake_case, actions as words).</summary>
    public static string Serialize(GuardrailPolicy policy) => JsonSerializer.Serialize(ToDocument(policy), Json.Options);

    private static (RedactionRules Rules, IReadOnlyDictionary<string, GuardrailAction> Actions) ParseRedaction(JsonElement json, string path, List<RedactionRuleError> errors)
    {
        var defaults = GuardrailPolicy.Default;
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, "must be an object {detectors, custom, actions}."));
            return (defaults.Redaction, defaults.RedactionActions);
        }
        // The rules' own parser reads detectors and custom (with their errors and paths); actions are this document's.
        var rulesPart = new JsonObject();
        JsonElement? actionsJson = null;
        foreach (var p in json.EnumerateObject())
            if (p.Name == "actions") actionsJson = p.Value;
            else rulesPart[p.Name] = JsonNode.Parse(p.Value.GetRawText());
        var (rules, ruleErrors) = RedactionRules.Parse(JsonSerializer.SerializeToElement(rulesPart), path);
        errors.AddRange(ruleErrors.Select(e => e.Message.StartsWith("is not part of the redaction rules", StringComparison.Ordinal)
            ? e with { Message = "is not part of the redaction configuration (detectors, custom, actions)." }
            : e));
        var actions = actionsJson is { } a ? ParseActions(a, $"{path}.actions", CustomNames(json), errors) : defaults.RedactionActions;
        return (rules ?? defaults.Redaction, actions);
    }

    /// <summary>The names the custom patterns give, read from the JSON as it is (also when a pattern is invalid), for checking the actions' labels.</summary>
    private static HashSet<string> CustomNames(JsonElement redaction)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (redaction.TryGetProperty("custom", out var custom) && custom.ValueKind == JsonValueKind.Array)
            foreach (var item in custom.EnumerateArray())
                if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
                    names.Add(name.GetString()!);
        return names;
    }

    private static Dictionary<string, GuardrailAction> ParseActions(JsonElement json, string path, HashSet<string> customNames, List<RedactionRuleError> errors)
    {
        var actions = new Dictionary<string, GuardrailAction>(StringComparer.Ordinal);
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, "must be an object from a kind's label to redact, block or flag ({\"API_KEY\": \"block\"})."));
            return actions;
        }
        foreach (var p in json.EnumerateObject())
        {
            var at = $"{path}.{p.Name}";
            if (!RedactionKinds.BuiltInLabels.Contains(p.Name) && !customNames.Contains(p.Name))
                errors.Add(new(at, $"is not a kind: one of {string.Join(", ", RedactionKinds.BuiltInLabels)} or a custom pattern's name."));
            else if (p.Value.ValueKind != JsonValueKind.String || !ActionNames.TryGetValue(p.Value.GetString()!, out var action))
                errors.Add(new(at, "must be redact, block or flag."));
            else
                actions[p.Name] = action;
        }
        return actions;
    }

    private static (GuardrailAction Action, double BlockScore, double FlagScore) ParseInjection(JsonElement json, string path, List<RedactionRuleError> errors,
        GuardrailPolicy defaults)
    {
        var (action, block, flag) = (defaults.InjectionAction, defaults.InjectionBlockScore, defaults.InjectionFlagScore);
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, "must be an object {action, block_score, flag_score}."));
            return (action, block, flag);
        }
        bool blockValid = true, flagValid = true;
        foreach (var p in json.EnumerateObject())
        {
            var at = $"{path}.{p.Name}";
            switch (p.Name)
            {
                case "action":
                    if (p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() is "block" or "flag") action = ActionNames[p.Value.GetString()!];
                    else errors.Add(new(at, "must be block (refuse a text that scores block_score or more) or flag (only record it)."));
                    break;
                case "block_score":
                    blockValid = Score(p.Value, at, errors, out block) && blockValid;
                    break;
                case "flag_score":
                    flagValid = Score(p.Value, at, errors, out flag) && flagValid;
                    break;
                default:
                    errors.Add(new(at, "is not part of the injection configuration (action, block_score, flag_score)."));
                    break;
            }
        }
        if (blockValid && flagValid && flag > block)
            errors.Add(new($"{path}.flag_score", string.Create(CultureInfo.InvariantCulture, $"must not be above block_score ({block}).")));
        return (action, block, flag);
    }

    private static bool Score(JsonElement json, string path, List<RedactionRuleError> errors, out double score)
    {
        score = 0;
        if (json.ValueKind == JsonValueKind.Number && json.TryGetDouble(out score) && score is >= 0 and <= 1) return true;
        errors.Add(new(path, "must be a number from 0 to 1 (the screen's score)."));
        return false;
    }

    private static (IReadOnlyList<string> Allow, IReadOnlyList<string> Deny) ParsePaths(JsonElement json, string path, List<RedactionRuleError> errors)
    {
        IReadOnlyList<string> allow = [], deny = [];
        if (json.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, "must be an object {allow, deny} of path prefixes."));
            return (allow, deny);
        }
        foreach (var p in json.EnumerateObject())
            switch (p.Name)
            {
                case "allow": allow = Prefixes(p.Value, $"{path}.allow", errors); break;
                case "deny": deny = Prefixes(p.Value, $"{path}.deny", errors); break;
                default: errors.Add(new($"{path}.{p.Name}", "is not part of the path policy (allow, deny).")); break;
            }
        return (allow, deny);
    }

    /// <summary>Prefixes as given (the path policy normalizes them when it checks); each must be a path the policy can normalize.</summary>
    private static List<string> Prefixes(JsonElement json, string path, List<RedactionRuleError> errors)
    {
        var prefixes = new List<string>();
        if (json.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new(path, "must be an array of path prefixes."));
            return prefixes;
        }
        if (json.GetArrayLength() > MaxPathPrefixes) errors.Add(new(path, $"holds at most {MaxPathPrefixes} prefixes."));
        var i = 0;
        foreach (var item in json.EnumerateArray())
        {
            var at = $"{path}[{i++}]";
            if (item.ValueKind != JsonValueKind.String) { errors.Add(new(at, "must be a string.")); continue; }
            var prefix = item.GetString()!;
            if (PathPolicy.Normalize(prefix) is null)
                errors.Add(new(at, $"is not a path prefix the path policy can use (relative to the repository root, no '..' above it, no ':' or control characters, at most {PathPolicy.MaxLength} characters)."));
            else prefixes.Add(prefix);
        }
        return prefixes;
    }
}
