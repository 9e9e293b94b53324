using AgentOps;
using AgentOps.Functions;
using AgentOps.Platform;
using AgentOps.Platform.Database;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

// The Azure host: reads configuration (app settings / local.settings.json), registers the application and serves its
// HTTP API through one catch-all function (HttpApiFunction). Like the self-host's Program.cs, this file only wires;
// everything it calls lives in the application.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

var options = AgentOpsOptions.FromConfiguration(key => builder.Configuration[key]);
builder.Services.AddAgentOps(options);
// Not the self-host runtime (AgentOps.SelfHost): accepted ingest batches go to a storage queue (processed by the
// IngestBatches trigger) and large payloads to Blob Storage instead of its Postgres queue, workers and blob folder.
builder.Services.AddAgentOpsAzure(builder.Configuration);

// Logs and traces go to Application Insights (APPLICATIONINSIGHTS_CONNECTION_STRING); the self-host's OTLP/JSON-console
// logging is not used here, the Functions host owns the console.
builder.Services.AddApplicationInsightsTelemetryWorkerService().ConfigureFunctionsApplicationInsights();

var host = builder.Build();

// The same start-up checks as the self-host: migrate when the schema owner's connection is configured, and refuse to
// serve as a role that bypasses row-level security.
using (var startup = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
{
    var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AgentOps.Functions");
    if (options.MigrationsConnectionString is { } owner)
        await AgentOpsApplication.PrepareDatabaseAsync(owner, log, startup.Token);
    await AgentOpsApplication.AssertRoleRespectsRlsAsync(host.Services.GetRequiredService<NpgsqlDataSource>(), startup.Token);
}

await host.RunAsync();
