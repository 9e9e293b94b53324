using System.Collections.Frozen;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Platform.Http;

/// <summary>
/// Unknown query parameters are refused, as unknown body fields are: a misspelt filter (<c>?stauts=failed</c>) must not
/// silently list everything. What a route accepts is read once from the endpoints' own declarations through ASP.NET
/// Core's API explorer — the source the OpenAPI document is generated from — so the document lists exactly the query
/// parameters a route accepts, and a new route needs nothing more than its handler's signature. Names compare
/// case-insensitively, as minimal APIs bind them.
/// </summary>
public sealed class QueryParameters(IServiceProvider services)
{
    private readonly Lazy<FrozenDictionary<string, FrozenSet<string>>> _declared = new(() => Declarations(services));

    /// <summary>The query parameters an endpoint declares, by the endpoint's display name ("HTTP: GET /api/v1/runs/ => ListAsync").</summary>
    private static FrozenDictionary<string, FrozenSet<string>> Declarations(IServiceProvider services)
    {
        var byEndpoint = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var description in services.GetRequiredService<IApiDescriptionGroupCollectionProvider>().ApiDescriptionGroups.Items.SelectMany(g => g.Items))
        {
            if (description.ActionDescriptor.DisplayName is not { } endpoint) continue;
            if (!byEndpoint.TryGetValue(endpoint, out var names)) byEndpoint[endpoint] = names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            names.UnionWith(description.ParameterDescriptions.Where(p => p.Source == BindingSource.Query).Select(p => p.Name));
        }
        return byEndpoint.ToFrozenDictionary(e => e.Key, e => e.Value.ToFrozenSet(StringComparer.OrdinalIgnoreCase), StringComparer.Ordinal);
    }

    /// <summary>An endpoint the API explorer does not describe (the OpenAPI document itself) declares none.</summary>
    public IReadOnlySet<string> DeclaredBy(Endpoint endpoint) =>
        endpoint.DisplayName is { } name && _declared.Value.TryGetValue(name, out var declared) ? declared : FrozenSet<string>.Empty;

    /// <summary>The names in the query that are not declared, in order. Pure.</summary>
    public static IReadOnlyList<string> Unknown(IEnumerable<string> sent, IReadOnlySet<string> declared) =>
        [.. sent.Where(name => !declared.Contains(name)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    public static ApiProblem Problem(IReadOnlyList<string> unknown) =>
        new(StatusCodes.Status400BadRequest, "unknown_parameter", "Bad request",
            $"Unknown query parameter{(unknown.Count == 1 ? "" : "s")}: {string.Join(", ", unknown)}. A route's parameters are listed in /api/openapi.json.",
            unknown.ToDictionary(name => name, _ => new[] { "is not a query parameter of this route." }, StringComparer.Ordinal));

    /// <summary>Middleware (after routing and access, before the endpoint binds anything) for the self-host.</summary>
    public static Task Middleware(HttpContext http, RequestDelegate next)
    {
        // Only mapped routes: static files have no endpoint, and the router's own 405/415 answers are plain endpoints.
        if (http.Request.QueryString.HasValue && http.GetEndpoint() is RouteEndpoint endpoint)
        {
            var unknown = Unknown(http.Request.Query.Keys, http.RequestServices.GetRequiredService<QueryParameters>().DeclaredBy(endpoint));
            if (unknown.Count > 0) throw Problem(unknown);
        }
        return next(http);
    }
}
