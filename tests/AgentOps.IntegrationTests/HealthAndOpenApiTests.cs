using AgentOps.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.IntegrationTests;

[Collection(ApiCollection.Name)]
public class HealthAndOpenApiTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    [Fact]
    public async Task Live_and_ready_answer_without_credentials()
    {
        Assert.Equal("ok", (await _client.Get("/api/health")).Expect(200).Str("status"));
        var ready = (await _client.Get("/api/health/ready")).Expect(200);
        Assert.Equal("ready", ready.Str("status"));
        Assert.Equal(AgentOps.Platform.Database.Migrator.LatestVersion, ready.Body.GetProperty("schema_version").GetInt32());
    }

    [Fact]
    public async Task The_openapi_document_lists_every_api_route()
    {
        var doc = (await _client.Get("/api/openapi.json")).Expect(200);
        var paths = doc.Body.GetProperty("paths").EnumerateObject().Select(p => p.Name.TrimEnd('/')).ToHashSet();
        var routes = fx.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/').TrimEnd('/'))
            .Where(r => r.StartsWith("/api/v1", StringComparison.Ordinal))
            .Select(r => r.Replace("{id:guid}", "{id}", StringComparison.Ordinal).Replace("{**", "{", StringComparison.Ordinal));
        Assert.All(routes, r => Assert.Contains(r, paths));
    }
}
