using AgentOps.Analytics.ClickHouse;

namespace AgentOps.Analytics;

/// <summary>Analytics' settings: ClickHouse when configured, else the same queries over Postgres.</summary>
public sealed record AnalyticsOptions
{
    /// <summary>
    /// ClickHouse for analytics (http://user:password@host:8123/database); null: not configured, analytics read Postgres.
    /// When set, the schema is ensured at start-up and the dashboard's aggregate queries read ClickHouse.
    /// </summary>
    public string? ClickHouseUrl { get; init; }

    /// <summary>How long one ClickHouse request may take (per attempt; failed attempts are retried with backoff).</summary>
    public TimeSpan ClickHouseTimeout { get; init; } = TimeSpan.FromSeconds(ClickHouseSettings.DefaultRequestTimeoutSeconds);

    /// <summary>gzip, none, or auto (the default: none to a loopback address, gzip to any other).</summary>
    public ClickHouseCompression ClickHouseCompression { get; init; }

    /// <summary>
    /// The hourly rollup worker does not run (tests that roll up themselves; a database being restored). Queries still
    /// use the rollups that are valid, and read the rest raw.
    /// </summary>
    public bool RollupsPaused { get; init; }

    /// <summary>The parsed ClickHouse connection, or null when not configured.</summary>
    public ClickHouseSettings? ClickHouse() => ClickHouseUrl is null ? null
        : ClickHouseSettings.Parse(ClickHouseUrl, "AGENTOPS_CLICKHOUSE_URL", []) with { RequestTimeout = ClickHouseTimeout, Compression = ClickHouseCompression };

    /// <summary>Reads AGENTOPS_CLICKHOUSE_*; what is wrong is added to the settings' errors.</summary>
    public static AnalyticsOptions Read(Settings settings)
    {
        var options = new AnalyticsOptions
        {
            ClickHouseUrl = settings.Text("AGENTOPS_CLICKHOUSE_URL"),
            ClickHouseTimeout = TimeSpan.FromSeconds(settings.Int("AGENTOPS_CLICKHOUSE_TIMEOUT_SECONDS", ClickHouseSettings.DefaultRequestTimeoutSeconds, 1, 600)),
            ClickHouseCompression = settings.Choice("AGENTOPS_CLICKHOUSE_COMPRESSION", ClickHouseCompression.Auto),
            RollupsPaused = settings.Bool("AGENTOPS_ANALYTICS_ROLLUPS_PAUSED"),
        };
        if (options.ClickHouseUrl is { } url) ClickHouseSettings.Parse(url, "AGENTOPS_CLICKHOUSE_URL", settings.Errors);
        return options;
    }
}
