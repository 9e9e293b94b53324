using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Runs;

public sealed class RunsModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings) => services.AddSingleton<RunService>();

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapRunsApi();
}
