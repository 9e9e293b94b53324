using AgentOps.Blobs;
using AgentOps.SelfHost.Analytics;
using AgentOps.Ingest;
using AgentOps.Platform;
using AgentOps.SelfHost.Approvals;
using AgentOps.SelfHost.Blobs;
using AgentOps.SelfHost.Ingest;
using AgentOps.SelfHost.Notifications;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.SelfHost;

/// <summary>
/// The self-host runtime: what runs beside the application when it is not on Azure. The accepted-batch queue in
/// Postgres (group commit) and the ingest workers, the backlog sampler, the approval expiry sweeper, the analytics rollup, the webhook
/// delivery loop and the blob folder. The Azure host puts a storage queue and its trigger, timer triggers and Blob
/// Storage in their place; the decisions both make (poison batches, retry schedules, sweeps, delivery rounds) are the
/// application's, and each runtime only calls them.
/// </summary>
public static class SelfHostRuntime
{
    /// <summary>Registers the runtime; its settings (<see cref="SelfHostOptions"/>) fail start-up here when invalid.</summary>
    public static IServiceCollection AddAgentOpsSelfHost(this IServiceCollection services, AgentOpsOptions options)
    {
        var runtime = SelfHostOptions.Read(options.Settings);
        options.Settings.ThrowIfInvalid();
        services.AddSingleton(runtime);
        services.AddSingleton<IBlobStore>(sp => new FileBlobStore(Path.GetFullPath(runtime.BlobDirectory), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IngestSignal>();
        services.AddSingleton<PostgresBatchQueue>();
        services.AddSingleton<IAcceptedBatchSink>(sp => sp.GetRequiredService<PostgresBatchQueue>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresBatchQueue>());
        services.AddSingleton<IngestWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestWorker>());
        services.AddHostedService<IngestBacklogSampler>();
        // After the queue: hosted services stop in reverse order, so the buffer flushes while the queue still takes batches.
        services.AddDecisionEventBuffer();
        services.AddHostedService<ApprovalExpirySweeper>();
        services.AddHostedService<RollupWorker>();
        services.AddSingleton<WebhookDeliveryWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDeliveryWorker>());
        return services;
    }
}
