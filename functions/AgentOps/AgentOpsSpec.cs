using AgentOps.Ingest.Contracts;
using AgentOps.Platform.Http;

namespace AgentOps;

/// <summary>
/// The contract files committed under sdk/spec/ (sdk/spec/README.md): the OpenAPI document and the JSON Schema of one
/// ingest event. `./agentops spec` writes them; an integration test fails when the served document differs from them.
/// </summary>
public static class AgentOpsSpec
{
    public const string OpenApiFile = "openapi.json";
    public const string EventSchemaFile = "events.schema.json";
    public const string EventSchemaId = "https://agentops.dev/schemas/ingest-event.json";

    /// <summary>The files by name, from the canonical OpenAPI document.</summary>
    public static IReadOnlyDictionary<string, string> Files(string canonicalOpenApi) => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        [OpenApiFile] = canonicalOpenApi,
        [EventSchemaFile] = OpenApiSpec.ComponentSchema(canonicalOpenApi, nameof(IngestEventInput), EventSchemaId),
    };

    public static async Task<IReadOnlyDictionary<string, string>> GenerateAsync(IServiceProvider services, CancellationToken ct) =>
        Files(await OpenApiSpec.GenerateAsync(services, ct));
}
