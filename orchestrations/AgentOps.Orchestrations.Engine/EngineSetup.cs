using AgentOps.Platform;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentOps.Orchestrations.Engine;

public static class EngineSetup
{
    /// <summary>
    /// The self-host's orchestration engine: the task hub (Azure Storage when AGENTOPS_TASK_HUB_STORAGE is set, else in
    /// memory), the durabletask worker over it with every AgentOps orchestration (unless AGENTOPS_JOB_WORKERS is 0:
    /// then this process only serves), a <see cref="DurableTaskClient"/> for the application, and the job timer.
    /// </summary>
    public static IServiceCollection AddAgentOpsEngine(this IServiceCollection services, AgentOpsOptions platform)
    {
        var options = EngineOptions.Read(platform.Settings, platform.ListenUrl);
        platform.Settings.ThrowIfInvalid();
        services.AddSingleton(options);
        services.AddAgentOpsOrchestrations();
        // The provider logs every status read and queue poll at Information: an operator wants its warnings.
        services.AddLogging(b => b.AddFilter("DurableTask.AzureStorage", LogLevel.Warning).AddFilter("DurableTask.Core", LogLevel.Warning));
        services.AddSingleton(new TaskHubIdentity(options.TaskHubStorage is null ? $"memory-{Guid.NewGuid():N}" : options.TaskHubName));
        services.AddSingleton<IOrchestrationService>(sp => options.TaskHubStorage is { } storage
            ? new AzureStorageOrchestrationService(Settings(options, storage, sp.GetRequiredService<ILoggerFactory>()))
            : new InMemoryOrchestrationService(sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(sp => new TaskHubClient((IOrchestrationServiceClient)sp.GetRequiredService<IOrchestrationService>(), JsonDataConverter.Default));
        services.AddSingleton<DurableTaskClient>(sp => sp.GetRequiredService<TaskHubClient>());
        if (options.JobWorkers > 0)
        {
            services.AddDurableTaskWorker(b =>
            {
                b.AddTasks(r => r.AddAgentOpsTasks());
                b.UseBuildTarget<TaskHubEngine>();
            });
            services.AddHostedService<JobDispatchTimer>();
        }
        return services;
    }

    /// <summary>
    /// The Azure Storage provider tuned for one box (measured, docs/jobs.md#engine-settings): one partition (a control
    /// queue polled instead of four), a short polling ceiling (the first job after idle starts in a fraction of a second,
    /// not 10–30 s), visibility timeouts of 30 s (a message a stopped or killed worker held comes back in 30 s, not 5
    /// minutes), a stable worker id (a restarted worker owns its partition again at once instead of waiting out the
    /// lease), and AGENTOPS_JOB_WORKERS activities at once.
    /// </summary>
    public static AzureStorageOrchestrationServiceSettings Settings(EngineOptions options, string connectionString, ILoggerFactory loggers) => new()
    {
        TaskHubName = options.TaskHubName,
        StorageAccountClientProvider = new StorageAccountClientProvider(connectionString),
        PartitionCount = options.TaskHubPartitions,
        MaxQueuePollingInterval = options.TaskHubPollingInterval,
        ControlQueueVisibilityTimeout = options.TaskHubVisibilityTimeout,
        WorkItemQueueVisibilityTimeout = options.TaskHubVisibilityTimeout,
        WorkerId = options.TaskHubWorkerId,
        MaxConcurrentTaskActivityWorkItems = Math.Max(1, options.JobWorkers),
        LoggerFactory = loggers,
    };
}
