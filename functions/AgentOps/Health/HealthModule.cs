namespace AgentOps.Health;

public sealed class HealthModule : IFeatureModule
{
    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => root.MapHealthApi();
}
