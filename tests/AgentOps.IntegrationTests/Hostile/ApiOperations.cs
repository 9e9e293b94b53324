using System.Text.Json;
using System.Text.RegularExpressions;
using AgentOps.Platform;
using AgentOps.Platform.Auth;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.IntegrationTests.Hostile;

public sealed record QueryParameter(string Name, string? Format);

/// <summary>A top-level property of an operation's JSON body as the OpenAPI document declares it.</summary>
public sealed record BodyProperty(string Name, string? Format);

/// <summary>
/// One operation of the OpenAPI document, completed with what the running application's endpoint declares and the
/// document does not say: who may call it and how large its body may be.
/// </summary>
public sealed record ApiOperation(string Method, string Path, IReadOnlyList<string> PathParameters, IReadOnlyList<QueryParameter> Query,
    bool DeclaresBody, IReadOnlyList<BodyProperty> BodyProperties, bool Anonymous, Permission? Permission, long BodyLimit)
{
    public string Route => $"{Method} {Path}";

    /// <summary>The resource group the operation belongs to: the first path segment after /api/v1 (or after /api).</summary>
    public string Group => Path.Split('/', StringSplitOptions.RemoveEmptyEntries) is var s && s.Length > 2 && s[1] == "v1" ? s[2] : s[^1];
}

public static partial class ApiOperations
{
    private static readonly string[] Methods = ["get", "post", "put", "patch", "delete"];

    /// <summary>Every operation of the document, in document order.</summary>
    public static IReadOnlyList<ApiOperation> From(JsonElement document, IServiceProvider services)
    {
        var endpoints = Endpoints(services);
        var defaultLimit = services.GetRequiredService<AgentOpsOptions>().MaxRequestBytes;
        var components = document.TryGetProperty("components", out var c) && c.TryGetProperty("schemas", out var s) ? s : default;
        var operations = new List<ApiOperation>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            var shared = path.Value.TryGetProperty("parameters", out var p) ? p.EnumerateArray().ToList() : [];
            foreach (var method in Methods)
            {
                if (!path.Value.TryGetProperty(method, out var op)) continue;
                var parameters = shared.Concat(op.TryGetProperty("parameters", out var own) ? own.EnumerateArray() : []).ToList();
                var pathParameters = PathParameterNames().Matches(path.Name).Select(m => m.Groups[1].Value).ToList();
                var query = parameters.Where(x => x.GetProperty("in").GetString() == "query")
                    .Select(x => new QueryParameter(x.GetProperty("name").GetString()!, Format(x.TryGetProperty("schema", out var sc) ? sc : default, components)))
                    .ToList();
                var body = op.TryGetProperty("requestBody", out var rb) && rb.TryGetProperty("content", out var content) && content.TryGetProperty("application/json", out var json)
                    ? Resolve(json.TryGetProperty("schema", out var bs) ? bs : default, components)
                    : (JsonElement?)null;
                var properties = body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty("properties", out var props)
                    ? props.EnumerateObject().Select(x => new BodyProperty(x.Name, Format(x.Value, components))).ToList()
                    : [];
                var verb = method.ToUpperInvariant();
                var key = $"{verb} {path.Name.TrimEnd('/')}";
                if (!endpoints.TryGetValue(key, out var endpoint))
                    throw new InvalidOperationException($"The OpenAPI document lists {key}, but the application maps no such endpoint.");
                var metadata = endpoint.Metadata;
                operations.Add(new ApiOperation(verb, path.Name.TrimEnd('/'), pathParameters, query, body is not null, properties,
                    metadata.GetMetadata<Anonymous>() is not null, metadata.GetMetadata<RequiresPermission>()?.Permission,
                    metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? defaultLimit));
            }
        }
        return operations;
    }

    /// <summary>The application's endpoints by "METHOD /path" with route constraints and catch-alls written as the document writes them.</summary>
    private static Dictionary<string, RouteEndpoint> Endpoints(IServiceProvider services)
    {
        var byRoute = new Dictionary<string, RouteEndpoint>(StringComparer.Ordinal);
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var path = "/" + RouteParameter().Replace(endpoint.RoutePattern.RawText!.Trim('/'), "{$1}");
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                byRoute.TryAdd($"{method} {path}", endpoint);
        }
        return byRoute;
    }

    /// <summary>Follows $ref and skips the null branch of a nullable oneOf.</summary>
    private static JsonElement Resolve(JsonElement schema, JsonElement components)
    {
        for (var i = 0; i < 10 && schema.ValueKind == JsonValueKind.Object; i++)
        {
            if (schema.TryGetProperty("$ref", out var r) && components.ValueKind == JsonValueKind.Object)
                schema = components.GetProperty(r.GetString()!.Split('/')[^1]);
            else if (schema.TryGetProperty("oneOf", out var one) || schema.TryGetProperty("anyOf", out one))
                schema = one.EnumerateArray().FirstOrDefault(x => !(x.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "null"));
            else break;
        }
        return schema;
    }

    private static string? Format(JsonElement schema, JsonElement components) =>
        Resolve(schema, components) is { ValueKind: JsonValueKind.Object } s && s.TryGetProperty("format", out var f) ? f.GetString() : null;

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex PathParameterNames();

    /// <summary>{id:guid}, {**id} and {name} all become {name}.</summary>
    [GeneratedRegex(@"\{\*{0,2}([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")]
    private static partial Regex RouteParameter();
}
