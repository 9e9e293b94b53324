
namespace AgentOps.OrchestrationMonitor;

public sealed class OrchestrationMonitorModule : IFeatureModule
{
    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapOrchestrationsApi();
}
