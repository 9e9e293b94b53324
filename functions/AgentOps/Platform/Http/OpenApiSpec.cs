using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace AgentOps.Platform.Http;

/// <summary>
/// The API's contract as files a review can diff and SDKs can generate from (sdk/spec/): the OpenAPI document the
/// server serves at /api/openapi.json, and standalone JSON Schemas (2020-12) of chosen components. Deterministic:
/// object keys sorted, the request-dependent <c>servers</c> left out, two-space indentation, LF line ends.
/// </summary>
public static class OpenApiSpec
{
    public const string DocumentName = "v1";

    /// <summary>The document as the application generates it (no request needed), in its canonical text.</summary>
    public static async Task<string> GenerateAsync(IServiceProvider services, CancellationToken ct)
    {
        var document = await services.GetRequiredKeyedService<IOpenApiDocumentProvider>(DocumentName).GetOpenApiDocumentAsync(ct);
        var json = await document.SerializeAsJsonAsync(OpenApiSpecVersion.OpenApi3_1, ct);
        return Canonical(json);
    }

    /// <summary>An OpenAPI document's text (as served or generated) in the canonical form the committed file has.</summary>
    public static string Canonical(string openApiJson)
    {
        var root = JsonNode.Parse(openApiJson)!.AsObject();
        root.Remove("servers");
        return Write(root);
    }

    /// <summary>
    /// One component of a canonical document as a standalone JSON Schema 2020-12 (OpenAPI 3.1 schemas are that dialect):
    /// the components it refers to, transitively, move under $defs.
    /// </summary>
    public static string ComponentSchema(string canonicalOpenApi, string component, string id)
    {
        var schemas = JsonNode.Parse(canonicalOpenApi)?["components"]?["schemas"]?.AsObject()
            ?? throw new InvalidOperationException("The OpenAPI document has no component schemas: were the endpoints mapped?");
        var root = schemas[component]?.DeepClone().AsObject() ?? throw new InvalidOperationException($"The OpenAPI document has no component {component}.");
        var defs = new JsonObject();
        var pending = new Queue<JsonNode>([root]);
        while (pending.TryDequeue(out var node))
            foreach (var reference in References(node))
            {
                var name = reference.GetValue<string>()["#/components/schemas/".Length..];
                reference.ReplaceWith(JsonValue.Create("#/$defs/" + name));
                if (name == component || defs.ContainsKey(name)) continue;
                var copy = schemas[name]!.DeepClone();
                defs[name] = copy;
                pending.Enqueue(copy);
            }
        root["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        root["$id"] = id;
        root["title"] = component;
        if (defs.Count > 0) root["$defs"] = defs;
        return Write(root);
    }

    /// <summary>The $ref values under a node that point at components.</summary>
    private static List<JsonValue> References(JsonNode node)
    {
        var found = new List<JsonValue>();
        void Walk(JsonNode? n)
        {
            switch (n)
            {
                case JsonObject o:
                    foreach (var (key, value) in o.ToList())
                        if (key == "$ref" && value is JsonValue v && v.GetValue<string>().StartsWith("#/components/schemas/", StringComparison.Ordinal)) found.Add(v);
                        else Walk(value);
                    break;
                case JsonArray a:
                    foreach (var item in a) Walk(item);
                    break;
            }
        }
        Walk(node);
        return found;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 2, NewLine = "\n", Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Write(JsonNode node) => Sorted(node)!.ToJsonString(Indented) + "\n";

    /// <summary>A copy with every object's keys in ordinal order (arrays keep theirs: their order means something).</summary>
    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sorted)]),
        _ => node?.DeepClone(),
    };

    /// <summary>Writes each file (UTF-8, no byte order mark) into the directory.</summary>
    public static async Task WriteAsync(string directory, IReadOnlyDictionary<string, string> files, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        foreach (var (name, text) in files) await File.WriteAllTextAsync(Path.Combine(directory, name), text, new UTF8Encoding(false), ct);
    }
}
