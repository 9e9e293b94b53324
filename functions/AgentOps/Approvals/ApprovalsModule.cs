using AgentOps.Contracts;
using AgentOps.Platform.Events;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Approvals;

public sealed class ApprovalsModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings)
    {
        services.AddSingleton<ApprovalWaiters>();
        services.AddSingleton<ApprovalService>();
        services.AddAfterCommit<ApprovalOutcomes, ApprovalsDecided>();
        services.AddSingleton<ApprovalExpiry>();
        services.AddReaction<RejectApprovalsOfStoppedAgents, AgentsStopped>().AddReaction<RejectApprovalsOfStoppedAgents, KillSwitchPulled>();
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapApprovalsApi();
}
