using AgentOps.Contracts;
using AgentOps.Platform.Events;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Auth;

public sealed class AuthModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings)
    {
        services.AddSingleton<Sessions>();
        services.AddSingleton<AuthService>();
        services.AddReaction<EndSessionsOfRemovedMembers, MemberRemoved>();
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapAuthApi();
}
