using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.IntegrationTests;

/// <summary>
/// A query parameter a route does not declare is 400 unknown_parameter naming it, on every route; the OpenAPI
/// document lists exactly the parameters each route accepts. Generated from the document, so new routes are covered.
/// </summary>
[Collection(ApiCollection.Name)]
public class QueryParametersTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private sealed record Operation(string Method, string Path, string[] Query);

    private async Task<List<Operation>> OperationsAsync()
    {
        var doc = (await _client.Get("/api/openapi.json")).Expect(200).Body;
        return [.. doc.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject().Select(op => new Operation(
            op.Name.ToUpperInvariant(), path.Name,
            op.Value.TryGetProperty("parameters", out var ps)
                ? [.. ps.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query").Select(p => p.GetProperty("name").GetString()!)]
                : [])))];
    }

    /// <summary>A concrete URL for a documented path (route values that match each route's constraints).</summary>
    private static string Url(string path) => path
        .Replace("{id}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
        .Replace("{runId}", "run-1", StringComparison.Ordinal)
        .Replace("{day}", "2026-01-01", StringComparison.Ordinal)
        .Replace("{name}", "core", StringComparison.Ordinal);

    [Fact]
    public async Task Every_route_refuses_a_query_parameter_it_does_not_declare()
    {
        var tenant = await _client.SignupAsync();
        var operations = await OperationsAsync();
        Assert.True(operations.Count > 60, $"{operations.Count} operations");
        foreach (var op in operations)
        {
            var r = await _client.Send(new HttpMethod(op.Method), Url(op.Path) + "?limit=1&stauts=failed", null, tenant.AdminToken);
            Assert.True(r.Code == 400 && r.ProblemCode == "unknown_parameter", $"{op.Method} {op.Path}: {r}");
            var errors = r.Body.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
            Assert.Equal(op.Query.Contains("limit") ? ["stauts"] : ["limit", "stauts"], errors);
        }
        // Refused before the handler ran: the session is still alive, no account or key was made.
        (await _client.Get("/api/v1/orgs/profile", tenant.AdminToken)).Expect(200);
        Assert.Empty((await _client.Get("/api/v1/api-keys", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Every_documented_query_parameter_is_accepted()
    {
        var tenant = await _client.SignupAsync();
        foreach (var op in (await OperationsAsync()).Where(o => o.Query.Length > 0))
        {
            // Values may be wrong for the parameter (400/422 on it); the name itself is never refused.
            var query = string.Join("&", op.Query.Select(q => q + "=1"));
            var r = await _client.Send(new HttpMethod(op.Method), $"{Url(op.Path)}?{query}", null, tenant.AdminToken);
            Assert.True(r.ProblemCode != "unknown_parameter" && r.Code < 500, $"{op.Method} {op.Path}?{query}: {r}");
        }
        // Names bind case-insensitively, as minimal APIs read them.
        (await _client.Get("/api/v1/jobs/schedules?LIMIT=1", tenant.AdminToken)).Expect(200);
    }

    [Fact]
    public async Task The_document_lists_exactly_what_each_route_accepts()
    {
        var documented = (await OperationsAsync()).ToDictionary(o => $"{o.Method} {o.Path}", o => o.Query.Order().ToArray());
        var declared = fx.Factory.Services.GetRequiredService<QueryParameters>();
        var endpoints = fx.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/v1", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(endpoints);
        foreach (var endpoint in endpoints)
        {
            var path = "/" + endpoint.RoutePattern.RawText!.Trim('/').Replace("{id:guid}", "{id}", StringComparison.Ordinal).Replace("{**", "{", StringComparison.Ordinal);
            foreach (var method in endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods)
            {
                var key = documented.Keys.Single(k => k.Equals($"{method} {path}", StringComparison.Ordinal) || k.Equals($"{method} {path}/", StringComparison.Ordinal));
                Assert.Equal(documented[key], declared.DeclaredBy(endpoint).Order().ToArray());
            }
        }
    }

    [Fact]
    public async Task Credentials_are_checked_first_and_every_unknown_name_is_reported()
    {
        (await _client.Get("/api/v1/agents?stauts=x")).ExpectProblem(401, "missing_credentials");
        var tenant = await _client.SignupAsync();
        var r = (await _client.Get("/api/v1/agents?stauts=x&tags=a&status=active", tenant.AdminToken)).ExpectProblem(400, "unknown_parameter");
        Assert.Equal(["stauts", "tags"], r.Body.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Equal(JsonValueKind.Array, r.Body.GetProperty("errors").GetProperty("tags").ValueKind);
        (await _client.Get("/api/v1/agents?status=active&tag=a", tenant.AdminToken)).Expect(200);
    }
}
