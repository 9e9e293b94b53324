
namespace AgentOps.Runs;

public sealed class RunsModule : IFeatureModule
{
    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapRunsApi();
}
