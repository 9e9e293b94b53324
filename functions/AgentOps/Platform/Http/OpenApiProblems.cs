using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AgentOps.Platform.Http;

/// <summary>
/// Endpoint metadata: problem statuses an operation answers beyond those its declarations imply (409 conflicts, 410,
/// 429 on the anonymous routes that count attempts). See <see cref="OpenApiProblems"/>.
/// </summary>
public sealed record ProblemResponses(IReadOnlyList<int> Statuses);

/// <summary>Endpoint metadata: with ?format=csv the operation answers text/csv instead of JSON (an export).</summary>
public sealed record CsvExport;

/// <summary>
/// Endpoint metadata: the handler reads its body itself, in any of <see cref="Encodings"/>, and answers 415 for
/// others — after access is checked, so an unauthenticated caller learns nothing about the route. Declared to routing as
/// accepting any content type (so the router does not answer 415 before access), and to the OpenAPI document as the
/// encodings named here, each with the <see cref="IAcceptsMetadata.RequestType"/>'s schema.
/// </summary>
public sealed record ReadsBody(Type Body, params string[] Encodings) : Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata
{
    public const string AnyContentType = "*/*";
    IReadOnlyList<string> Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata.ContentTypes => [AnyContentType];
    Type? Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata.RequestType => Body;
    bool Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata.IsOptional => false;
}

public static class ProblemResponseExtensions
{
    /// <summary>Declares problem statuses the route's metadata does not imply (see <see cref="OpenApiProblems"/>).</summary>
    public static TBuilder Problems<TBuilder>(this TBuilder builder, params int[] statuses) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ProblemResponses(statuses));

    /// <summary>The operation also answers text/csv (?format=csv).</summary>
    public static TBuilder ExportsCsv<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new CsvExport());
}

/// <summary>
/// Lists in the OpenAPI document the problems (RFC 9457, <c>application/problem+json</c>, schema <c>Problem</c> with its
/// stable <c>code</c>) each operation can answer, derived from what the route declares — so a new route is documented
/// by its declarations alone:
/// <list type="bullet">
/// <item>400 on every operation: an unknown query parameter, an unreadable request (the error middleware's rules).</item>
/// <item>401 and 403 when the route requires a permission; 429 too when an API key may hold it (keys are rate limited).</item>
/// <item>404 when the route has a path parameter (another organization's resource is 404 as well: existence never leaks).</item>
/// <item>413 and 415 when it reads a body; 422 when it reads a body or query parameters (validation, every error at once).</item>
/// <item>503 when the route requires a permission or reads a body (both reach the database): a conflicting concurrent
/// change or a database outage, to retry.</item>
/// <item>What no declaration implies (409, 410, 429 of login and signup) the route names with <see cref="ProblemResponseExtensions.Problems{TBuilder}"/>.</item>
/// </list>
/// </summary>
public static class OpenApiProblems
{
    public const string SchemaName = "Problem";
    public const string ContentType = "application/problem+json";

    public static void Configure(OpenApiOptions options) => options.AddOperationTransformer(Transform);

    /// <summary>The statuses an operation's problems can have, from its endpoint metadata and parameters. Pure.</summary>
    public static SortedSet<int> StatusesOf(IReadOnlyList<object> metadata, bool readsBody, bool hasPathParameter, bool hasQueryParameter)
    {
        var statuses = new SortedSet<int> { StatusCodes.Status400BadRequest };
        if (metadata.OfType<RequiresPermission>().LastOrDefault() is { } required)
        {
            statuses.Add(StatusCodes.Status401Unauthorized);
            statuses.Add(StatusCodes.Status403Forbidden);
            if (Rbac.KeysMayHold(required.Permission)) statuses.Add(StatusCodes.Status429TooManyRequests);
        }
        if (hasPathParameter) statuses.Add(StatusCodes.Status404NotFound);
        if (readsBody)
        {
            statuses.Add(StatusCodes.Status413PayloadTooLarge);
            statuses.Add(StatusCodes.Status415UnsupportedMediaType);
        }
        if (readsBody || hasQueryParameter) statuses.Add(StatusCodes.Status422UnprocessableEntity);
        if (statuses.Contains(StatusCodes.Status401Unauthorized) || readsBody) statuses.Add(StatusCodes.Status503ServiceUnavailable);
        foreach (var declared in metadata.OfType<ProblemResponses>()) statuses.UnionWith(declared.Statuses);
        return statuses;
    }

    private static Task Transform(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var parameters = description.ParameterDescriptions;
        var readsBody = parameters.Any(p => p.Source == BindingSource.Body) || description.SupportedRequestFormats.Count > 0;
        var statuses = StatusesOf([.. metadata], readsBody, parameters.Any(p => p.Source == BindingSource.Path),
            parameters.Any(p => p.Source == BindingSource.Query));
        var document = context.Document ?? throw new InvalidOperationException("The operation transformer runs without its document.");
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        document.Components.Schemas.TryAdd(SchemaName, ProblemSchema());
        operation.Responses ??= [];
        foreach (var status in statuses)
        {
            var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            operation.Responses[key] = new OpenApiResponse
            {
                Description = Describe(status),
                Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
                {
                    [ContentType] = new() { Schema = new OpenApiSchemaReference(SchemaName, document) },
                },
            };
        }
        if (metadata.OfType<ReadsBody>().LastOrDefault() is { } reads && operation.RequestBody is OpenApiRequestBody { Content: { } accepted }
            && accepted.TryGetValue(ReadsBody.AnyContentType, out var any) && accepted.Remove(ReadsBody.AnyContentType))
            foreach (var encoding in reads.Encodings) accepted[encoding] = new OpenApiMediaType { Schema = any.Schema };
        if (metadata.OfType<CsvExport>().Any() && operation.Responses.TryGetValue("200", out var ok) && ok is OpenApiResponse success)
        {
            success.Content ??= new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal);
            success.Content["text/csv"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
        }
        return Task.CompletedTask;
    }

    private static string Describe(int status) => status switch
    {
        400 => "Unreadable request: malformed JSON, a wrong type, an unknown field or query parameter (code names which).",
        401 => "No valid credentials: a Bearer access token or API key is required.",
        403 => "The caller's role or API key scopes do not allow this operation.",
        404 => "No such resource in the caller's organization.",
        409 => "The resource's state does not allow this now (code says why).",
        410 => "The resource existed but is no longer usable (code says why).",
        413 => "The body is larger than this operation accepts.",
        415 => "The body's content type or encoding is not accepted.",
        422 => "The request is readable but invalid: errors lists every field at fault, keyed by JSON path.",
        429 => "Over a rate limit: wait for the Retry-After header's seconds.",
        503 => "A concurrent change or a database outage; nothing was changed. Retry.",
        _ => "A problem.",
    };

    /// <summary>What <see cref="ErrorHandlingMiddleware.ToProblemDetails"/> writes.</summary>
    private static OpenApiSchema ProblemSchema()
    {
        OpenApiSchema Text(string description, bool nullable = false) =>
            new() { Type = nullable ? JsonSchemaType.String | JsonSchemaType.Null : JsonSchemaType.String, Description = description };
        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "An RFC 9457 problem. Clients branch on code (stable), never on title or detail.",
            Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal)
            {
                ["type"] = Text("https://agentops.dev/problems/<code with dashes>"),
                ["title"] = Text("A short human summary of the status."),
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
                ["detail"] = Text("What went wrong and what to do, for people.", nullable: true),
                ["instance"] = Text("The request path."),
                ["code"] = Text("The stable machine-readable error code (docs/api.md lists them), e.g. validation_failed, not_found, rate_limited."),
                ["trace_id"] = Text("Quote it when reporting a problem."),
                ["errors"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = "Per field (JSON path, or query parameter name): what is wrong with it. Present on 400/422 when fields are at fault.",
                    AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                },
            },
            Required = new HashSet<string>(StringComparer.Ordinal) { "type", "title", "status", "instance", "code", "trace_id" },
        };
    }
}
