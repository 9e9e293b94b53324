using System.Collections.Concurrent;
using AgentOps.Functions.Http;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform;
using AgentOps.Platform.Database;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentOps.Functions.Tests.Infrastructure;

/// <summary>
/// The Azure host's services (AddAgentOps + AddAgentOpsAzure, as its Program.cs registers them) over the real Postgres
/// and Azurite, behind what the Functions worker's ASP.NET Core integration does with an HTTP invocation: Kestrel
/// receives the request, the worker's routing matches the function's catch-all route, the function is created from
/// DI and runs, and its IActionResult is executed (FunctionsHttpProxyingMiddleware). Every queue name is new per
/// fixture, so runs never see each other's messages.
/// </summary>
public sealed class AzureHost : IAsyncDisposable
{
    public const string JwtSecret = "functions-tests-signing-key-0123456789abcdef";
    /// <summary>The request header that names a request, so a test can ask which endpoint the application matched.</summary>
    public const string RequestIdHeader = "X-Test-Request";

    private readonly WebApplication _app;

    private AzureHost(WebApplication app, string ingestQueue, LogCapture logs)
    {
        _app = app;
        IngestQueue = ingestQueue;
        Logs = logs;
    }

    public IServiceProvider Services => _app.Services;
    public LogCapture Logs { get; }
    public string IngestQueue { get; }
    /// <summary>Per <see cref="RequestIdHeader"/>: the display name of the endpoint the application's routing chose (null: none).</summary>
    public ConcurrentDictionary<string, string?> Matched { get; } = new();

    public HttpClient Client() => new() { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(60) };

    public static Dictionary<string, string?> Settings(string ingestQueue) => new()
    {
        ["AGENTOPS_DATABASE_URL"] = TestDatabase.AppUrl,
        ["AGENTOPS_JWT_SECRET"] = JwtSecret,
        ["AGENTOPS_SECRETS_KEY"] = "7465737473206d6173746572206b6579206f6620333220627974657321212121",
        // Every test request comes from the same client address: per-IP limits would couple the tests.
        ["AGENTOPS_LOGIN_PER_MINUTE_PER_IP"] = "100000",
        ["AGENTOPS_SIGNUPS_PER_HOUR_PER_IP"] = "100000",
        ["AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS"] = "true",
        [AzureServices.StorageConnection] = TestStorage.ConnectionString,
        [AzureServices.IngestQueueSetting] = ingestQueue,
    };

    /// <summary>Starts a host; <paramref name="change"/> edits its settings first (e.g. an unreachable database).</summary>
    public static async Task<AzureHost> StartAsync(Action<Dictionary<string, string?>>? change = null)
    {
        var ingestQueue = $"ingest-{Guid.NewGuid():N}"; // 39 characters; queue names may have 63
        var settings = Settings(ingestQueue);
        change?.Invoke(settings);
        // Only these settings: the test process's environment must not leak into the host.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var options = AgentOpsOptions.FromConfiguration(key => configuration[key]);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddAgentOps(options).AddAgentOpsAzure(configuration);
        var logs = new LogCapture();
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Information);
        var app = builder.Build();
        var host = new AzureHost(app, ingestQueue, logs);

        // What the [DurableClient] binding hands the function: here a client over an in-memory task hub.
        var durable = new Orchestrations.Engine.TaskHubClient(
            new Microsoft.DurableTask.Testing.Sidecar.InMemoryOrchestrationService(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance),
            Microsoft.DurableTask.Converters.JsonDataConverter.Default);
        app.Map("/{*path}", async context =>
        {
            var function = ActivatorUtilities.CreateInstance<HttpApiFunction>(context.RequestServices);
            var result = await function.Run(context.Request, durable);
            await result.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
            if (context.Request.Headers[RequestIdHeader] is [{ } id]) host.Matched[id] = context.GetEndpoint()?.DisplayName;
        });

        var queues = new QueueServiceClient(TestStorage.ConnectionString);
        await queues.GetQueueClient(ingestQueue).CreateIfNotExistsAsync();
        await queues.GetQueueClient(Ingest.IngestQueues.PoisonName(ingestQueue)).CreateIfNotExistsAsync();
        var blobs = new BlobServiceClient(TestStorage.ConnectionString);
        await blobs.GetBlobContainerClient(Blobs.AzureBlobStore.ContainerName).CreateIfNotExistsAsync();
        await blobs.GetBlobContainerClient(Ingest.IngestBatchBlobs.ContainerName).CreateIfNotExistsAsync();

        await app.StartAsync();
        return host;
    }

    /// <summary>The migrations the Azure host's start-up applies (Program.cs), once per test process.</summary>
    public static Task MigrateAsync() => Migrated.Value;

    private static readonly Lazy<Task> Migrated = new(() =>
        Migrator.ApplyAsync(TestDatabase.ConnectionString(TestDatabase.OwnerUrl), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None));

    public async ValueTask DisposeAsync()
    {
        await new QueueServiceClient(TestStorage.ConnectionString).DeleteQueueAsync(IngestQueue);
        await new QueueServiceClient(TestStorage.ConnectionString).DeleteQueueAsync(Ingest.IngestQueues.PoisonName(IngestQueue));
        await _app.DisposeAsync();
    }
}

/// <summary>One Azure host per test collection, over a migrated database.</summary>
public sealed class AzureHostFixture : IAsyncLifetime
{
    public AzureHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await AzureHost.MigrateAsync();
        Host = await AzureHost.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (Host is not null) await Host.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class AzureHostCollection : ICollectionFixture<AzureHostFixture>
{
    public const string Name = "azure host";
}
