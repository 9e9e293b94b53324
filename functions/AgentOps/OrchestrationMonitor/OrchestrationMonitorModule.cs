using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.OrchestrationMonitor;

public sealed class OrchestrationMonitorModule : IFeatureModule
{
    /// <summary>Per request: the Functions host binds its DurableTaskClient to each request (the self-host's is one for all).</summary>
    public void AddServices(IServiceCollection services, Settings settings) => services.AddScoped<OrchestrationService>();

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapOrchestrationsApi();
}
