using AgentOps;
using AgentOps.Demo;
using AgentOps.Orchestrations.Engine;
using AgentOps.Platform;
using AgentOps.Platform.Database;
using AgentOps.Platform.Http;
using AgentOps.Platform.Telemetry;
using AgentOps.SelfHost;

// The self-host: reads configuration, runs one-shot commands (migrate, seed-demo) or serves the application on
// Kestrel. Everything it calls lives in the application; this file only wires it.
// The content root is the build output, not the working directory: the host watches its content root recursively for
// appsettings changes, and ./agentops runs from the repository, whose .agentops/ holds the Postgres and ClickHouse data
// directories — every WAL and part write woke the watcher (measured: 2% of the server's CPU during an export).
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
string? Setting(string key) => builder.Configuration[key];
var options = AgentOpsOptions.FromConfiguration(Setting);

AgentOpsTelemetry.ConfigureLogging(builder.Logging, Setting);

builder.WebHost.UseUrls(options.ListenUrl);
builder.WebHost.ConfigureKestrel(k =>
{
    k.Limits.MaxRequestBodySize = options.MaxRequestBytes;
    // Let the application answer long request lines, large headers and undecodable header values as problems (RequestHead).
    k.Limits.MaxRequestLineSize = RequestHead.ServerRequestLineBytes;
    k.Limits.MaxRequestHeadersTotalSize = RequestHead.ServerHeaderBytes;
    k.Limits.MaxRequestHeaderCount = RequestHead.ServerHeaderCount;
    k.RequestHeaderEncodingSelector = _ => RequestHead.HeaderEncoding;
});
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
builder.Services.AddAgentOps(options).AddAgentOpsSelfHost(options).AddAgentOpsEngine(options);

var app = builder.Build();
var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AgentOps.Server");
using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(2));

// `spec DIR`: writes the contract files (sdk/spec/) from this wiring's endpoints; touches no database.
if (args is ["spec", ..])
{
    // Building the request pipeline registers its endpoints with routing, where the OpenAPI generator reads them.
    _ = new AgentOpsRequestPipeline(app.Services, options);
    var directory = args.Length > 1 ? args[1] : Path.Combine("sdk", "spec");
    var files = await AgentOpsSpec.GenerateAsync(app.Services, startup.Token);
    await OpenApiSpec.WriteAsync(directory, files, startup.Token);
    log.LogInformation("Wrote {Files} to {Directory}", string.Join(", ", files.Keys), directory);
    return;
}
// Started before migrations so that start-up work is traced too; disposed last to flush.
var telemetry = AgentOpsTelemetry.ExportEnabled(Setting) ? AgentOpsTelemetry.StartProviders(Setting) : [];

try
{
    if (options.MigrationsConnectionString is { } owner)
        await AgentOpsApplication.PrepareDatabaseAsync(owner, log, startup.Token);
    if (args is ["migrate", ..])
    {
        if (options.MigrationsConnectionString is null) throw new InvalidOperationException("migrate needs AGENTOPS_MIGRATIONS_DATABASE_URL (the schema owner).");
        log.LogInformation("Database schema is at version {Version}", Migrator.LatestVersion);
        return;
    }

    await AgentOpsApplication.AssertRoleRespectsRlsAsync(app.Services.GetRequiredService<Npgsql.NpgsqlDataSource>(), startup.Token);

    if (args is ["seed-demo", ..])
    {
        var created = await DemoData.EnsureAsync(app.Services.GetRequiredService<Db>(), app.Services.GetRequiredService<AgentOps.Ingest.BatchProcessor>(),
            DemoData.Credentials.From(Setting), startup.Token);
        log.LogInformation(created ? "Demo organization created" : "Demo organization already present");
        return;
    }

    app.UseAgentOps(options);
    if (options.DashboardDirectory is { } dashboard) app.UseDashboard(dashboard);
    app.MapAgentOps();
    await app.RunAsync();
}
finally
{
    foreach (var provider in telemetry) provider.Dispose();
}

/// <summary>Entry point type, visible to WebApplicationFactory in the integration tests.</summary>
public partial class Program;
