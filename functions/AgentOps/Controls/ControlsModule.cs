
namespace AgentOps.Controls;

public sealed class ControlsModule : IFeatureModule
{
    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapControlsApi();
}
