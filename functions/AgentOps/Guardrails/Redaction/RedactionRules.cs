using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentOps.Guardrails.Redaction;

/// <summary>An organization's own kind of secret: its placeholder label and the pattern that finds it.</summary>
public sealed record CustomPattern(string Name, string Pattern);

/// <summary>A rule error with the JSON path it is about ("$.custom[2].pattern"), as the policy rules report them.</summary>
public sealed record RedactionRuleError(string Path, string Message);

/// <summary>
/// What an organization redacts: which built-in detectors are on, and its own patterns. Limits: at most
/// <see cref="MaxCustomPatterns"/> patterns; names of 1–<see cref="MaxNameLength"/> upper-case letters, digits and
/// underscores, starting with a letter, none a built-in label and no two alike (the name is the placeholder label:
/// EMPLOYEE_ID → [EMPLOYEE_ID_1]); patterns of 1–<see cref="MaxPatternLength"/> characters run by the non-backtracking
/// engine (linear in the text: a pattern cannot stall redaction), with <see cref="PatternTimeout"/> as a last guard, and
/// never matching the empty text.
/// </summary>
public sealed partial record RedactionRules(BuiltInDetectors Detectors, IReadOnlyList<CustomPattern> Custom)
{
    public const int MaxCustomPatterns = 50;
    public const int MaxPatternLength = 500;
    public const int MaxNameLength = 32;

    /// <summary>A guard only: the non-backtracking engine is linear, so a 1 MiB text takes milliseconds.</summary>
    public static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>Every built-in detector, no custom pattern.</summary>
    public static RedactionRules Default { get; } = new(BuiltInDetectors.All, []);

    /// <summary>The detectors' names in the JSON rule format.</summary>
    public static readonly IReadOnlyDictionary<string, BuiltInDetectors> DetectorNames = new Dictionary<string, BuiltInDetectors>(StringComparer.Ordinal)
    {
        ["api_keys"] = BuiltInDetectors.ApiKeys, ["jwts"] = BuiltInDetectors.Jwts, ["bearer_tokens"] = BuiltInDetectors.BearerTokens,
        ["emails"] = BuiltInDetectors.Emails, ["cards"] = BuiltInDetectors.Cards, ["phones"] = BuiltInDetectors.Phones, ["ibans"] = BuiltInDetectors.Ibans,
    };

    [GeneratedRegex("^[A-Z](?:[A-Z0-9_]{0,30}[A-Z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Name();

    /// <summary>Every error, each at its path under <paramref name="path"/>; empty when the rules are valid.</summary>
    public IReadOnlyList<RedactionRuleError> Validate(string path = "$")
    {
        var errors = new List<RedactionRuleError>();
        Compile(path, errors);
        return errors;
    }

    /// <summary>The custom patterns compiled, or null with the errors.</summary>
    internal Regex[]? Compile(string path, List<RedactionRuleError> errors)
    {
        var before = errors.Count;
        if ((Detectors & ~BuiltInDetectors.All) != 0) errors.Add(new($"{path}.detectors", "names an unknown detector."));
        if (Custom is null) { errors.Add(new($"{path}.custom", "is required (an empty list for none).")); return null; }
        if (Custom.Count > MaxCustomPatterns) errors.Add(new($"{path}.custom", $"holds at most {MaxCustomPatterns} patterns."));
        var compiled = new Regex[Math.Min(Custom.Count, MaxCustomPatterns)];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < compiled.Length; i++)
        {
            var at = $"{path}.custom[{i}]";
            if (Custom[i] is not { } custom) { errors.Add(new(at, "must be an object {name, pattern}.")); continue; }
            if (custom.Name is not { } name || !Name().IsMatch(name))
                errors.Add(new($"{at}.name", $"must be 1 to {MaxNameLength} upper-case letters, digits or underscores, starting with a letter and not ending with an underscore (EMPLOYEE_ID)."));
            else if (RedactionKinds.BuiltInLabels.Contains(name))
                errors.Add(new($"{at}.name", $"is a built-in kind ({string.Join(", ", RedactionKinds.BuiltInLabels)}); choose another name."));
            else if (!names.Add(name))
                errors.Add(new($"{at}.name", $"{name} is already the name of another pattern."));
            if (custom.Pattern is not { Length: > 0 and <= MaxPatternLength } pattern)
            {
                errors.Add(new($"{at}.pattern", $"must be a regular expression of 1 to {MaxPatternLength} characters."));
                continue;
            }
            try
            {
                var regex = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, PatternTimeout);
                if (regex.IsMatch("")) errors.Add(new($"{at}.pattern", "matches the empty text: it must match at least one character."));
                compiled[i] = regex;
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                errors.Add(new($"{at}.pattern", "is not a valid regular expression (look-arounds, back-references and atomic groups are not supported)."));
            }
        }
        return errors.Count > before ? null : compiled;
    }

    /// <summary>
    /// Reads the JSON rule format: <c>{"detectors": ["api_keys", "emails", …], "custom": [{"name": "EMPLOYEE_ID",
    /// "pattern": "E-[0-9]{6}"}]}</c>. Without "detectors" every built-in detector is on; an empty list turns them all off.
    /// </summary>
    public static (RedactionRules? Rules, IReadOnlyList<RedactionRuleError> Errors) Parse(JsonElement json, string path = "$")
    {
        var errors = new List<RedactionRuleError>();
        if (json.ValueKind != JsonValueKind.Object) return (null, [new(path, "must be an object {detectors, custom}.")]);
        var detectors = BuiltInDetectors.All;
        var custom = new List<CustomPattern>();
        foreach (var p in json.EnumerateObject())
            switch (p.Name)
            {
                case "detectors" when p.Value.ValueKind == JsonValueKind.Array:
                    detectors = BuiltInDetectors.None;
                    var d = 0;
                    foreach (var item in p.Value.EnumerateArray())
                    {
                        if (item.ValueKind == JsonValueKind.String && DetectorNames.TryGetValue(item.GetString()!, out var flag)) detectors |= flag;
                        else errors.Add(new($"{path}.detectors[{d}]", $"must be one of {string.Join(", ", DetectorNames.Keys)}."));
                        d++;
                    }
                    break;
                case "custom" when p.Value.ValueKind == JsonValueKind.Array:
                    var i = 0;
                    foreach (var item in p.Value.EnumerateArray())
                    {
                        var at = $"{path}.custom[{i++}]";
                        if (item.ValueKind != JsonValueKind.Object) { custom.Add(null!); continue; } // Compile names the error
                        string? name = null, pattern = null;
                        foreach (var f in item.EnumerateObject())
                            switch (f.Name)
                            {
                                case "name" when f.Value.ValueKind == JsonValueKind.String: name = f.Value.GetString(); break;
                                case "pattern" when f.Value.ValueKind == JsonValueKind.String: pattern = f.Value.GetString(); break;
                                case "name" or "pattern": break; // not a string: Compile names the error
                                default: errors.Add(new($"{at}.{f.Name}", "is not part of a custom pattern (name, pattern).")); break;
                            }
                        custom.Add(new CustomPattern(name!, pattern!));
                    }
                    break;
                case "detectors" or "custom": errors.Add(new($"{path}.{p.Name}", "must be an array.")); break;
                default: errors.Add(new($"{path}.{p.Name}", "is not part of the redaction rules (detectors, custom).")); break;
            }
        var rules = new RedactionRules(detectors, custom);
        rules.Compile(path, errors);
        return errors.Count == 0 ? (rules, errors) : (null, errors);
    }
}
