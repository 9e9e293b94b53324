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

    /// <summary>The schema, or null and why it is not one.</summary>
    public static (JsonSchema? Schema, string? Error) Compile(JsonElement schema)
    {
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
