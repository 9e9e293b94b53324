
namespace AgentOps.ApiKeys;

public sealed class ApiKeysModule : IFeatureModule
{
    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapApiKeysApi();
}
