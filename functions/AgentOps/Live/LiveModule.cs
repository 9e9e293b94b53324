using AgentOps.Contracts;
using AgentOps.Platform.Events;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Live;

public sealed class LiveModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings)
    {
        services.AddSingleton(LiveOptions.Read(settings)).AddSingleton<LiveStreams>();
        services.AddAfterCommit<LiveMarks, EventsStored>().AddAfterCommit<LiveMarks, ApprovalRequested>().AddAfterCommit<LiveMarks, ApprovalsDecided>()
            .AddAfterCommit<LiveMarks, KillSwitchPulled>().AddAfterCommit<LiveMarks, KillSwitchLifted>().AddAfterCommit<LiveMarks, AgentsStopped>()
            .AddAfterCommit<LiveMarks, AgentsResumed>().AddAfterCommit<LiveMarks, NotificationPublished>().AddAfterCommit<LiveMarks, JobChanged>();
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapLiveApi();
}
