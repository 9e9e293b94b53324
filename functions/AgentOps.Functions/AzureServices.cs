using AgentOps.Blobs;
using AgentOps.Functions.Blobs;
using AgentOps.Functions.Ingest;
using AgentOps.Ingest;
using Azure.Core;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AgentOps.Functions;

/// <summary>
/// What the Azure host puts where the self-host has its Postgres batch queue, its ingest workers and its blob folder
/// (AddAgentOpsSelfHostWorkers, FileBlobStore): the Service Bus sink (<see cref="ServiceBusBatchSink"/>, processed by
/// the <see cref="IngestBatchesFunction"/> trigger) and Blob Storage (<see cref="AzureBlobStore"/>, <see cref="IngestBatchBlobs"/>).
/// Connections are read the way the Functions host reads a trigger's Connection setting: a connection string in
/// &lt;name&gt; (local emulators), or identity-based &lt;name&gt;__fullyQualifiedNamespace / &lt;name&gt;__blobServiceUri
/// with &lt;name&gt;__credential=managedidentity and &lt;name&gt;__clientId (Azure: the app's user-assigned identity).
/// Also runs the decision-event buffer (policy.decision / approval.decision events) over that sink.
/// </summary>
public static class AzureServices
{
    /// <summary>The Service Bus namespace: the trigger's Connection and the sink's client.</summary>
    public const string ServiceBusConnection = "ServiceBusConnection";
    public const string IngestQueueSetting = "IngestQueueName";
    /// <summary>The storage account of the "payloads" and "ingest-batches" containers.</summary>
    public const string StorageConnection = "AgentOpsStorage";

    public static IServiceCollection AddAgentOpsAzure(this IServiceCollection services, IConfiguration configuration)
    {
        // Clients are built now, so a missing setting stops the start-up naming it; they are registered through
        // factories, so the container disposes them at shutdown.
        var serviceBus = ServiceBusClientFrom(configuration.GetSection(ServiceBusConnection));
        var storage = BlobServiceClientFrom(configuration.GetSection(StorageConnection));
        var queue = configuration[IngestQueueSetting] is { Length: > 0 } name
            ? name
            : throw new InvalidOperationException($"{IngestQueueSetting} is required: the Service Bus queue of accepted ingest batches.");

        services.AddSingleton(_ => serviceBus);
        services.AddSingleton(_ => new IngestBatchBlobs(storage.GetBlobContainerClient(IngestBatchBlobs.ContainerName)));
        services.AddSingleton<IAcceptedBatchSink>(sp => new ServiceBusBatchSink(sp.GetRequiredService<ServiceBusClient>().CreateSender(queue),
            sp.GetRequiredService<IngestBatchBlobs>(), sp.GetRequiredService<TimeProvider>()));
        services.Replace(ServiceDescriptor.Singleton<IBlobStore>(sp =>
            new AzureBlobStore(storage.GetBlobContainerClient(AzureBlobStore.ContainerName), sp.GetRequiredService<TimeProvider>())));
        // Policy and approval decisions reach their runs through this instance's buffer, flushed to the Service Bus
        // sink above (per instance: a scale-in or crash loses at most its last 100 ms of decision events).
        services.AddDecisionEventBuffer();
        return services;
    }

    private static ServiceBusClient ServiceBusClientFrom(IConfigurationSection connection) => connection.Value is { Length: > 0 } connectionString
        ? new ServiceBusClient(connectionString)
        : new ServiceBusClient(Required(connection, "fullyQualifiedNamespace"), Credential(connection));

    private static BlobServiceClient BlobServiceClientFrom(IConfigurationSection connection) => connection.Value is { Length: > 0 } connectionString
        ? new BlobServiceClient(connectionString)
        : new BlobServiceClient(new Uri(Required(connection, "blobServiceUri")), Credential(connection));

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
