using AgentOps.Contracts;
using AgentOps.Platform.Events;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Policies;

public sealed class PoliciesModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings)
    {
        services.AddAfterCommit<OrgPolicyCache, KillSwitchPulled>().AddAfterCommit<OrgPolicyCache, KillSwitchLifted>();
        services.AddSingleton<PolicyChecker>();
        services.AddSingleton<PolicyService>();
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api)
    {
        api.MapPoliciesApi();
        api.MapPolicyCheckApi();
    }
}
