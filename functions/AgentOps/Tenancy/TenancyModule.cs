using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Tenancy;

public sealed class TenancyModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings) =>
        services.AddSingleton(TenancyOptions.Read(settings)).AddSingleton<OrgService>().AddSingleton<MemberService>();

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api)
    {
        api.MapOrgsApi();
        api.MapMembersApi();
    }
}
