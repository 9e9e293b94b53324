using AgentOps.Blobs;
using AgentOps.Functions.Blobs;
using AgentOps.Functions.Http;
using AgentOps.Functions.Ingest;
using AgentOps.Ingest;
using AgentOps.Orchestrations;
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Functions;

/// <summary>
/// What the Azure host puts where the self-host runtime (AgentOps.SelfHost) has its Postgres batch queue, its ingest
/// workers and its blob folder: the storage-queue sink (<see cref="StorageQueueBatchSink"/>, processed
/// by the <see cref="IngestBatchesFunction"/> trigger), Blob Storage (<see cref="AzureBlobStore"/>,
/// <see cref="IngestBatchBlobs"/>) and the application's request pipeline for the catch-all HTTP function.
/// The storage account is read the way the Functions host reads the queue trigger's Connection setting: a connection
/// string in AgentOpsStorage (Azurite), or identity-based AgentOpsStorage__queueServiceUri and __blobServiceUri with
/// __credential=managedidentity and __clientId (Azure: the app's user-assigned identity).
/// Also runs the decision-event buffer (policy.decision / approval.decision events) over that sink.
/// </summary>
public static class AzureServices
{
    /// <summary>The storage account of the ingest queue and the "payloads" and "ingest-batches" containers.</summary>
    public const string StorageConnection = "AgentOpsStorage";
    public const string IngestQueueSetting = "IngestQueueName";

    public static IServiceCollection AddAgentOpsAzure(this IServiceCollection services, IConfiguration configuration)
    {
        // Clients are built now, so a missing setting stops the start-up naming it.
        var connection = configuration.GetSection(StorageConnection);
        var (blobService, queueService) = StorageClientsFrom(connection);
        var queue = configuration[IngestQueueSetting] is { Length: > 0 } name
            ? name
            : throw new InvalidOperationException($"{IngestQueueSetting} is required: the storage queue of accepted ingest batches.");

        services.AddSingleton(new IngestQueues(queueService.GetQueueClient(queue), queueService.GetQueueClient(IngestQueues.PoisonName(queue))));
        services.AddSingleton(new IngestBatchBlobs(blobService.GetBlobContainerClient(IngestBatchBlobs.ContainerName)));
        services.AddSingleton<IAcceptedBatchSink>(sp => new StorageQueueBatchSink(sp.GetRequiredService<IngestQueues>().Batches,
            sp.GetRequiredService<IngestBatchBlobs>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IBlobStore>(sp =>
            new AzureBlobStore(blobService.GetBlobContainerClient(AzureBlobStore.ContainerName), sp.GetRequiredService<TimeProvider>()));
        // Policy and approval decisions reach their runs through this instance's buffer, flushed to the queue sink
        // above (per instance: a scale-in or crash loses at most its last 100 ms of decision events).
        services.AddDecisionEventBuffer();
        services.AddRouting();
        services.AddSingleton<AgentOpsRequestPipeline>();
        // The job orchestration's classes (the wrappers in Jobs/ call them), and the orchestration client per request.
        services.AddAgentOpsOrchestrations();
        services.AddSingleton(new TaskHubIdentity(configuration["TASKHUB_NAME"] is { Length: > 0 } hub ? hub : "azure"));
        services.AddScoped<BoundDurableClient>();
        services.AddScoped<DurableTaskClient>(BoundDurableClient.Resolve);
        return services;
    }

    // Base64, as the queue trigger expects by default (host.json extensions.queues.messageEncoding).
    private static readonly QueueClientOptions QueueOptions = new() { MessageEncoding = QueueMessageEncoding.Base64 };

    private static (BlobServiceClient, QueueServiceClient) StorageClientsFrom(IConfigurationSection connection)
    {
        if (connection.Value is { Length: > 0 } connectionString)
            return (new BlobServiceClient(connectionString), new QueueServiceClient(connectionString, QueueOptions));
        var credential = Credential(connection);
        return (new BlobServiceClient(new Uri(Required(connection, "blobServiceUri")), credential),
            new QueueServiceClient(new Uri(Required(connection, "queueServiceUri")), credential, QueueOptions));
    }

    private static TokenCredential Credential(IConfigurationSection connection) =>
        string.Equals(connection["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(connection["clientId"] is { Length: > 0 } clientId
                ? ManagedIdentityId.FromUserAssignedClientId(clientId)
                : ManagedIdentityId.SystemAssigned)
            : new DefaultAzureCredential();

    private static string Required(IConfigurationSection connection, string key) => connection[key] is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException(
            $"{connection.Key} is not configured: set {connection.Key} to a connection string, or {connection.Key}__{key} (with __credential and __clientId).");
}
