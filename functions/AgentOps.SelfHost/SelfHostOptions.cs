using AgentOps.Platform;

namespace AgentOps.SelfHost;

/// <summary>The self-host runtime's settings, read and validated by <see cref="SelfHostRuntime.AddAgentOpsSelfHost"/>.</summary>
public sealed record SelfHostOptions
{
    /// <summary>Ingest processing loops (0: this replica only accepts; another processes).</summary>
    public int IngestWorkers { get; init; } = 2;

    /// <summary>Accepted batches one processing transaction takes.</summary>
    public int IngestBatchesPerTransaction { get; init; } = 16;

    /// <summary>
    /// How long an ingest worker, woken by an accept, waits before taking the queue, so that batches accepted
    /// meanwhile share its transaction. A processing transaction has a fixed cost (~10 ms of database work on the
    /// reference machine) whatever it holds: one batch per transaction cost 2.4× more per event than sixteen.
    /// </summary>
    public TimeSpan IngestLinger { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The blob folder (large event payloads).</summary>
    public string BlobDirectory { get; init; } = "agentops-data/blobs";

    /// <summary>
    /// Reads AGENTOPS_INGEST_WORKERS (0–64), AGENTOPS_INGEST_BATCHES_PER_TRANSACTION (1–1,000),
    /// AGENTOPS_INGEST_LINGER_MS (0–1,000) and AGENTOPS_BLOB_DIR; what is wrong is added to the settings' errors.
    /// </summary>
    public static SelfHostOptions Read(Settings settings) => new()
    {
        IngestWorkers = settings.Int("AGENTOPS_INGEST_WORKERS", 2, 0, 64),
        IngestBatchesPerTransaction = settings.Int("AGENTOPS_INGEST_BATCHES_PER_TRANSACTION", 16, 1, 1000),
        IngestLinger = TimeSpan.FromMilliseconds(settings.Int("AGENTOPS_INGEST_LINGER_MS", 50, 0, 1000)),
        BlobDirectory = settings.Text("AGENTOPS_BLOB_DIR") ?? "agentops-data/blobs",
    };
}
