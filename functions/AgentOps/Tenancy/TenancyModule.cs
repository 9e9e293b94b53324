using AgentOps.Platform;

namespace AgentOps.Tenancy;

public sealed class TenancyModule : IFeatureModule
{
    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api)
    {
        api.MapOrgsApi();
        api.MapMembersApi();
    }
}
