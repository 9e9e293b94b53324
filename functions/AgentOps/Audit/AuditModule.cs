using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Audit;

public sealed class AuditModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings) => services.AddSingleton<AuditService>();

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapAuditApi();
}
