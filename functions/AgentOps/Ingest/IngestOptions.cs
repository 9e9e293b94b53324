namespace AgentOps.Ingest;

/// <summary>Ingest's settings, read and validated by <see cref="IngestModule"/>.</summary>
public sealed record IngestOptions
{
    /// <summary>
    /// Accepted-but-unprocessed events above which ingest answers 503 with Retry-After: lag stays bounded (and with it
    /// how fresh queries are) instead of growing for as long as clients send faster than workers store.
    /// </summary>
    public int MaxBacklogEvents { get; init; } = 20_000;

    /// <summary>Reads AGENTOPS_INGEST_MAX_BACKLOG_EVENTS (1,000–100,000,000); what is wrong is added to the settings' errors.</summary>
    public static IngestOptions Read(Settings settings) => new()
    {
        MaxBacklogEvents = settings.Int("AGENTOPS_INGEST_MAX_BACKLOG_EVENTS", 20_000, 1000, 100_000_000),
    };
}
