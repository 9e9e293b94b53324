using AgentOps.Notifications;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentOps.IntegrationTests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}

/// <summary>
/// The application hosted once for the whole collection over the real database. Tests isolate themselves by working
/// in organizations they create (every tenant row is scoped to one), so no reset between tests is needed.
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public const string JwtSecret = "integration-tests-signing-key-0123456789abcdef";

    /// <summary>The master key of provider credentials (32 bytes, hex) the tests' servers share.</summary>
    public const string SecretsKey = "7465737473206d6173746572206b6579206f6620333220627974657321212121";
    public LogCapture Logs { get; } = new();

    /// <summary>Webhook retries in milliseconds instead of minutes (the schedule's shape is unit-tested): 100, 200, 400 ms, 4 attempts.</summary>
    public static readonly WebhookRetrySchedule FastRetries = new(TimeSpan.FromMilliseconds(100), 2, TimeSpan.FromMilliseconds(400), 4, 0);

    public WebApplicationFactory<Program> Factory { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("AGENTOPS_DATABASE_URL", TestDatabase.AppUrl);
        Environment.SetEnvironmentVariable("AGENTOPS_MIGRATIONS_DATABASE_URL", TestDatabase.OwnerUrl);
        Environment.SetEnvironmentVariable("AGENTOPS_JWT_SECRET", JwtSecret);
        Environment.SetEnvironmentVariable("AGENTOPS_SECRETS_KEY", SecretsKey);
        // Provider connections to fake servers on 127.0.0.1 over http; ConnectionRulesTests (unit) proves the default refuses them.
        Environment.SetEnvironmentVariable("AGENTOPS_LLM_ALLOW_PRIVATE_ENDPOINTS", "true");
        // Every test request comes from the same (absent) client address: per-IP limits would couple the tests.
        Environment.SetEnvironmentVariable("AGENTOPS_LOGIN_PER_MINUTE_PER_IP", "100000");
        Environment.SetEnvironmentVariable("AGENTOPS_SIGNUPS_PER_HOUR_PER_IP", "100000");
        // Webhook tests receive on 127.0.0.1 over http; WebhooksTests also proves the default refuses exactly that.
        Environment.SetEnvironmentVariable("AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true");
        // Jobs: a dispatcher tick every second and short retry backoffs, so job tests take seconds.
        Environment.SetEnvironmentVariable("AGENTOPS_JOBS_DISPATCH_SECONDS", "1");
        // The analytics tests roll up hours themselves and assert what is rolled: no worker racing them.
        Environment.SetEnvironmentVariable("AGENTOPS_ANALYTICS_ROLLUPS_PAUSED", "true");
        Environment.SetEnvironmentVariable("AGENTOPS_JOB_RETRY_FIRST_MS", "200");
        // The fault hook's routes exist, so the role matrix, the hostile suite and the spec see them (FaultInjectionTests
        // proves they are absent when off). Faults are per organization and every test works in its own.
        Environment.SetEnvironmentVariable("AGENTOPS_FAULT_INJECTION", "true");
        // Orchestrations on Azurite, in one task hub for every server of the run (ServerProcess inherits these).
        Environment.SetEnvironmentVariable("AGENTOPS_TASK_HUB_STORAGE", TestStorage.ConnectionString);
        Environment.SetEnvironmentVariable("AGENTOPS_TASK_HUB_NAME", TestStorage.TaskHubName);
        Factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b.ConfigureLogging(l =>
        {
            l.AddProvider(Logs);
            l.SetMinimumLevel(LogLevel.Trace);
        }).ConfigureTestServices(s => s.AddSingleton(FastRetries)));
        _ = Factory.Server; // start now: applies migrations
        return Task.CompletedTask;
    }

    public HttpClient Client() => Factory.CreateClient();

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
