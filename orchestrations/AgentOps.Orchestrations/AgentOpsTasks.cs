using AgentOps.Orchestrations.Jobs;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Orchestrations;

/// <summary>
/// Which task hub this process's orchestrations run on (its name on Azure Storage, a per-process name in memory):
/// part of every shard owner, so two hubs never run one shard at once.
/// </summary>
public sealed record TaskHubIdentity(string Name);

/// <summary>Every orchestrator and activity, registered once for any durabletask-dotnet worker (the self-host's engine; the Azure host's triggers call the same classes).</summary>
public static class AgentOpsTasks
{
    public static DurableTaskRegistry AddAgentOpsTasks(this DurableTaskRegistry registry) => registry
        .AddOrchestrator<JobOrchestrator>()
        .AddActivity<PlanJob>()
        .AddActivity<RunShard>()
        .AddActivity<FinishJob>();

    /// <summary>What the orchestrations' activities and the job timer need from DI, on either host.</summary>
    public static IServiceCollection AddAgentOpsOrchestrations(this IServiceCollection services) => services
        .AddSingleton<JobStarter>()
        // Resolved by the Azure host's trigger wrappers; the durabletask worker creates its own per run.
        .AddTransient<PlanJob>().AddTransient<RunShard>().AddTransient<FinishJob>();
}
