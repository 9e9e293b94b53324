namespace AgentOps.Ingest;

/// <summary>
/// Where accepted batches go. Returns only once the batch is durable (the 202 waits for it). Each runtime brings its
/// own: the self-host's Postgres queue (AgentOps.SelfHost), the Azure host's storage queue.
/// </summary>
public interface IAcceptedBatchSink
{
    Task AcceptAsync(Guid orgId, IngestEvent[] events, CancellationToken ct);
}
