using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Controls;

public sealed class ControlsModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings) => services.AddSingleton<ControlService>();

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapControlsApi();
}
