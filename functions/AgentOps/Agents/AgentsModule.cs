using AgentOps.Contracts;
using AgentOps.Platform.Events;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Agents;

public sealed class AgentsModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings) =>
        services.AddSingleton<AgentService>().AddAfterCommit<AgentDirectory, AgentsStopped>().AddAfterCommit<AgentDirectory, AgentsResumed>()
            .AddAfterCommit<AgentDirectory, KillSwitchPulled>().AddAfterCommit<AgentDirectory, KillSwitchLifted>();

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapAgentsApi();
}
