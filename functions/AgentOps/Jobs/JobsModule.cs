using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Jobs;

public sealed class JobsModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings)
    {
        services.AddSingleton(JobsOptions.Read(settings));
        services.AddSingleton<JobSignal>();
        services.AddSingleton<JobService>();
        services.AddSingleton<JobDispatcher>();
        services.AddSingleton<JobActivities>();
        services.AddSingleton<IJobKind, ReindexJobKind>();
        services.AddSingleton<IJobKind, CustomJobKind>();
        services.AddSingleton<ICustomJobActivity, CountEventsByType>();
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapJobsApi();
}
