
namespace AgentOps.Audit;

public sealed class AuditModule : IFeatureModule
{
    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapAuditApi();
}
