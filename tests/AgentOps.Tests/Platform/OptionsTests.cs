using AgentOps.Analytics;
using AgentOps.Analytics.ClickHouse;
using AgentOps.Ingest;
using AgentOps.Jobs;
using AgentOps.Notifications;
using AgentOps.Orchestrations.Engine;
using AgentOps.Platform;
using AgentOps.SelfHost;
using AgentOps.Tenancy;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Tests.Platform;

public class OptionsTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] values) =>
        key => values.FirstOrDefault(v => v.Key == key).Value;

    [Fact]
    public void Postgres_urls_become_connection_strings()
    {
        var o = AgentOpsOptions.FromConfiguration(Env(
            ("AGENTOPS_DATABASE_URL", "postgresql://app:p%40ss@db.example:6543/agentops?sslmode=Require"),
            ("AGENTOPS_JWT_SECRET", new string('x', 40))));
        Assert.Contains("Host=db.example", o.DatabaseConnectionString);
        Assert.Contains("Port=6543", o.DatabaseConnectionString);
        Assert.Contains("Password=p@ss", o.DatabaseConnectionString);
        Assert.Contains("SSL Mode=Require", o.DatabaseConnectionString);
        Assert.Equal("http://127.0.0.1:7071", o.ListenUrl);
        Assert.Equal(100, o.ApiKeyRequestsPerSecond);
        Assert.Equal(200, o.ApiKeyBurst);
    }

    private static readonly (string, string)[] Required = [("AGENTOPS_DATABASE_URL", "postgresql://a:b@h/d"), ("AGENTOPS_JWT_SECRET", new string('x', 40))];

    /// <summary>A feature's or runtime's own settings, read as its module reads them, failing as start-up fails.</summary>
    private static T Read<T>(Func<Settings, T> read, params (string, string)[] values)
    {
        var settings = AgentOpsOptions.FromConfiguration(Env([.. Required, .. values])).Settings;
        var options = read(settings);
        settings.ThrowIfInvalid();
        return options;
    }

    [Fact]
    public void The_ingest_linger_is_set_in_milliseconds_and_bounded()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(50), Read(SelfHostOptions.Read).IngestLinger);
        Assert.Equal(TimeSpan.Zero, Read(SelfHostOptions.Read, ("AGENTOPS_INGEST_LINGER_MS", "0")).IngestLinger);
        Assert.Equal(TimeSpan.FromMilliseconds(200), Read(SelfHostOptions.Read, ("AGENTOPS_INGEST_LINGER_MS", "200")).IngestLinger);
        var e = Assert.Throws<InvalidOperationException>(() => Read(SelfHostOptions.Read, ("AGENTOPS_INGEST_LINGER_MS", "5000")));
        Assert.Contains("AGENTOPS_INGEST_LINGER_MS", e.Message);
    }

    [Fact]
    public void Each_module_fails_start_up_on_its_own_invalid_settings_and_names_them_all()
    {
        var options = AgentOpsOptions.FromConfiguration(Env([.. Required,
            ("AGENTOPS_INGEST_MAX_BACKLOG_EVENTS", "10"), ("AGENTOPS_JOB_LEASE_SECONDS", "1"), ("AGENTOPS_INVITATION_DAYS", "365"),
            ("AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "maybe"), ("AGENTOPS_CLICKHOUSE_TIMEOUT_SECONDS", "0")]));
        var e = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddAgentOps(options));
        foreach (var name in new[] { "AGENTOPS_INGEST_MAX_BACKLOG_EVENTS", "AGENTOPS_JOB_LEASE_SECONDS", "AGENTOPS_INVITATION_DAYS",
                     "AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "AGENTOPS_CLICKHOUSE_TIMEOUT_SECONDS" })
            Assert.Contains(name, e.Message);

        // The runtimes read theirs when they register.
        var runtime = AgentOpsOptions.FromConfiguration(Env([.. Required, ("AGENTOPS_INGEST_WORKERS", "100")]));
        Assert.Contains("AGENTOPS_INGEST_WORKERS", Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddAgentOpsSelfHost(runtime)).Message);
        var engine = AgentOpsOptions.FromConfiguration(Env([.. Required, ("AGENTOPS_TASK_HUB_NAME", "9-lives")]));
        Assert.Contains("AGENTOPS_TASK_HUB_NAME must be 3–45 letters and digits", Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddAgentOpsEngine(engine)).Message);
    }

    [Fact]
    public void Defaults_hold_when_nothing_is_set()
    {
        Assert.Equal(20_000, Read(IngestOptions.Read).MaxBacklogEvents);
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60)), (Read(JobsOptions.Read).RetryFirstDelay, Read(JobsOptions.Read).Lease));
        Assert.Equal(TimeSpan.FromDays(7), Read(TenancyOptions.Read).InvitationLifetime);
        Assert.Equal((2, 16, "agentops-data/blobs"), (Read(SelfHostOptions.Read).IngestWorkers, Read(SelfHostOptions.Read).IngestBatchesPerTransaction, Read(SelfHostOptions.Read).BlobDirectory));
        var engine = Read(s => EngineOptions.Read(s, "http://127.0.0.1:7311"));
        Assert.Equal((4, "agentops", $"{Environment.MachineName}-7311", (string?)null), (engine.JobWorkers, engine.TaskHubName, engine.TaskHubWorkerId, engine.TaskHubStorage));
    }

    [Fact]
    public void Errors_name_every_bad_variable_but_never_its_value()
    {
        var e = Assert.Throws<InvalidOperationException>(() => AgentOpsOptions.FromConfiguration(Env(
            ("AGENTOPS_JWT_SECRET", "short-secret-value"),
            ("AGENTOPS_API_KEY_BURST", "lots"))));
        Assert.Contains("AGENTOPS_DATABASE_URL is required", e.Message);
        Assert.Contains("AGENTOPS_JWT_SECRET must hold at least 32 bytes", e.Message);
        Assert.Contains("AGENTOPS_API_KEY_BURST must be a whole number", e.Message);
        Assert.DoesNotContain("short-secret-value", e.Message);
        Assert.DoesNotContain("lots", e.Message);
    }

    [Fact]
    public void Webhooks_stay_off_private_targets_unless_allowed()
    {
        Assert.False(Read(WebhookOptions.Read).AllowPrivateTargets);
        Assert.True(Read(WebhookOptions.Read, ("AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true")).AllowPrivateTargets);
        var e = Assert.Throws<InvalidOperationException>(() => Read(WebhookOptions.Read, ("AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS", "yes please")));
        Assert.Contains("AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS must be true or false", e.Message);
    }

    [Fact]
    public void ClickHouse_compression_is_one_of_its_names()
    {
        ClickHouseCompression Compression(string compression) => Read(AnalyticsOptions.Read, ("AGENTOPS_CLICKHOUSE_COMPRESSION", compression)).ClickHouseCompression;
        Assert.Equal(ClickHouseCompression.Auto, Read(AnalyticsOptions.Read).ClickHouseCompression);
        Assert.Equal(ClickHouseCompression.Gzip, Compression("GZIP"));
        Assert.Equal(ClickHouseCompression.None, Compression("none"));
        foreach (var bad in new[] { "zstd", "1" })
            Assert.Contains("AGENTOPS_CLICKHOUSE_COMPRESSION must be one of auto, gzip, none", Assert.Throws<InvalidOperationException>(() => Compression(bad)).Message);
    }
}
