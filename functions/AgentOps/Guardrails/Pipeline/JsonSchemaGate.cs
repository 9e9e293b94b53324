extern alias JsonSchemaNet;

using System.Text.Json;
using JsonSchemaNet::Json.Schema;

namespace AgentOps.Guardrails.Pipeline;

/// <summary>
/// JSON Schema checks (draft 2020-12 by default, via JsonSchema.Net): that a caller's schema is one (tools' parameters,
/// the expected output), and that a model's answer fits it. Each schema is built with its own registry and no fetch, so
/// a <c>$ref</c> to a URL is never downloaded (a schema cannot make the server call out) and one caller's <c>$id</c>
/// never clashes with another's.
/// </summary>
public static class JsonSchemaGate
{
    /// <summary>Errors reported per answer, at most (the re-ask quotes them).</summary>
    public const int MaxErrors = 10;

    /// <summary>Characters of one <c>pattern</c> (or <c>patternProperties</c> key), at most.</summary>
    public const int MaxPatternLength = 1_000;

    /// <summary>
    /// The schema, or null and why it is not one. Its patterns run on the backtracking regex engine without a timeout
    /// (the library compiles them), so a pattern whose repeated group itself repeats (<c>(a+)+</c>, <c>(\w*)*</c>: the
    /// shapes that backtrack exponentially) is refused here, before any answer meets it.
    /// </summary>
    public static (JsonSchema? Schema, string? Error) Compile(JsonElement schema)
    {
        if (UnsafePattern(schema) is { } unsafePattern) return (null, unsafePattern);
        try
        {
            var built = JsonSchema.Build(schema, new BuildOptions { SchemaRegistry = new SchemaRegistry() });
            return (built, null);
        }
        catch (Exception e) when (e is JsonSchemaException or JsonException or ArgumentException or InvalidOperationException or RefResolutionException or FormatException)
        {
            return (null, e.Message);
        }
    }

    /// <summary>Why a pattern anywhere in the schema is refused, or null when all are acceptable.</summary>
    private static string? UnsafePattern(JsonElement schema, int depth = 0)
    {
        if (depth > 64) return "the schema nests deeper than 64 levels.";
        switch (schema.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in schema.EnumerateObject())
                {
                    if (p.Name == "pattern" && p.Value.ValueKind == JsonValueKind.String && Refusal(p.Value.GetString()!) is { } r1) return r1;
                    if (p.Name == "patternProperties" && p.Value.ValueKind == JsonValueKind.Object)
                        foreach (var key in p.Value.EnumerateObject())
                            if (Refusal(key.Name) is { } r2) return r2;
                    if (UnsafePattern(p.Value, depth + 1) is { } inner) return inner;
                }
                return null;
            case JsonValueKind.Array:
                foreach (var item in schema.EnumerateArray())
                    if (UnsafePattern(item, depth + 1) is { } inner) return inner;
                return null;
            default:
                return null;
        }
    }

    /// <summary>Why a pattern is refused: too long, or a quantified group holding a quantifier (nested quantifiers).</summary>
    public static string? Refusal(string pattern)
    {
        if (pattern.Length > MaxPatternLength) return $"a pattern of {pattern.Length} characters: at most {MaxPatternLength}.";
        var groups = new Stack<bool>(); // per open group: does it hold a quantifier?
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\') { i++; continue; }
            if (inClass) { if (c == ']') inClass = false; continue; }
            switch (c)
            {
                case '[': inClass = true; break;
                case '(': groups.Push(false); break;
                case ')':
                    var quantifiedInside = groups.Count > 0 && groups.Pop();
                    var quantifiedAfter = i + 1 < pattern.Length && pattern[i + 1] is '*' or '+' or '{';
                    if (quantifiedInside && quantifiedAfter)
                        return $"the pattern '{pattern}' repeats a group that itself repeats (nested quantifiers backtrack exponentially).";
                    if (quantifiedInside && groups.Count > 0) { groups.Pop(); groups.Push(true); }
                    if (quantifiedAfter && groups.Count > 0) { groups.Pop(); groups.Push(true); }
                    break;
                case '*' or '+' or '{':
                    if (groups.Count > 0) { groups.Pop(); groups.Push(true); }
                    break;
            }
        }
        return null;
    }

    /// <summary>Where and why <paramref name="instance"/> does not fit (empty when it does), as "&lt;JSON pointer&gt;: message".</summary>
    public static IReadOnlyList<string> Check(JsonSchema schema, JsonElement instance)
    {
        var results = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid) return [];
        var errors = new List<string>();
        foreach (var detail in (results.Details ?? []).Prepend(results))
        {
            if (detail.Errors is null) continue;
            foreach (var (keyword, message) in detail.Errors)
            {
                var at = detail.InstanceLocation.ToString();
                errors.Add($"{(at.Length == 0 ? "/" : at)}: {message} ({keyword})");
                if (errors.Count == MaxErrors) return errors;
            }
        }
        return errors.Count > 0 ? errors : ["/: does not match the schema"];
    }
}
