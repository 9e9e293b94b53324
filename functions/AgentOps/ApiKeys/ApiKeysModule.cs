using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.ApiKeys;

public sealed class ApiKeysModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings) =>
        services.AddSingleton<ApiKeyService>().AddSingleton<IApiKeyCredentials, ApiKeyLookup>();

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapApiKeysApi();
}
