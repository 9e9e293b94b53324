using AgentOps.Analytics;
using AgentOps.Analytics.ClickHouse;
using AgentOps.Platform;

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
        Assert.Equal(TimeSpan.FromMilliseconds(50), o.IngestLinger);
    }

    [Fact]
    public void The_ingest_linger_is_set_in_milliseconds_and_bounded()
    {
        (string, string)[] required = [("AGENTOPS_DATABASE_URL", "postgresql://a:b@h/d"), ("AGENTOPS_JWT_SECRET", new string('x', 40))];
        Assert.Equal(TimeSpan.Zero, AgentOpsOptions.FromConfiguration(Env([.. required, ("AGENTOPS_INGEST_LINGER_MS", "0")])).IngestLinger);
        Assert.Equal(TimeSpan.FromMilliseconds(200), AgentOpsOptions.FromConfiguration(Env([.. required, ("AGENTOPS_INGEST_LINGER_MS", "200")])).IngestLinger);
        var e = Assert.Throws<InvalidOperationException>(() => AgentOpsOptions.FromConfiguration(Env([.. required, ("AGENTOPS_INGEST_LINGER_MS", "5000")])));
        Assert.Contains("AGENTOPS_INGEST_LINGER_MS", e.Message);
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
        Func<string, string?> env(string? allow) => key => key switch
        {
            "AGENTOPS_DATABASE_URL" => "postgresql://app:x@db/agentops",
            "AGENTOPS_JWT_SECRET" => new string('x', 40),
            "AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS" => allow,
            _ => null,
        };
        Assert.False(AgentOpsOptions.FromConfiguration(env(null)).WebhooksAllowPrivateTargets);
        Assert.True(AgentOpsOptions.FromConfiguration(env("true")).WebhooksAllowPrivateTargets);
        var e = Assert.Throws<InvalidOperationException>(() => AgentOpsOptions.FromConfiguration(env("yes please")));
        Assert.Contains("AGENTOPS_WEBHOOKS_ALLOW_PRIVATE_TARGETS must be true or false", e.Message);
    }

    [Fact]
    public void ClickHouse_compression_is_one_of_its_names()
    {
        Func<string, string?> env(string? compression) => key => key switch
        {
            "AGENTOPS_DATABASE_URL" => "postgresql://app:x@db/agentops",
            "AGENTOPS_JWT_SECRET" => new string('x', 40),
            "AGENTOPS_CLICKHOUSE_COMPRESSION" => compression,
            _ => null,
        };
        // Analytics reads its own settings from the platform's, and start-up fails on them the same way.
        AnalyticsOptions Read(string? compression)
        {
            var settings = AgentOpsOptions.FromConfiguration(env(compression)).Settings;
            var analytics = AnalyticsOptions.Read(settings);
            settings.ThrowIfInvalid();
            return analytics;
        }
        Assert.Equal(ClickHouseCompression.Auto, Read(null).ClickHouseCompression);
        Assert.Equal(ClickHouseCompression.Gzip, Read("GZIP").ClickHouseCompression);
        Assert.Equal(ClickHouseCompression.None, Read("none").ClickHouseCompression);
        foreach (var bad in new[] { "zstd", "1" })
            Assert.Contains("AGENTOPS_CLICKHOUSE_COMPRESSION must be one of auto, gzip, none", Assert.Throws<InvalidOperationException>(() => Read(bad)).Message);
    }
}
