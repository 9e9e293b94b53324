namespace AgentOps.Ingest;

/// <summary>What became of a batch processed alone: processed (committed with the caller's transaction), or poison.</summary>
/// <param name="Processed">What processing did; null when the batch is poison.</param>
/// <param name="PoisonReason">Why it is set aside (safe to log and store); null when it was processed.</param>
public sealed record AloneOutcome(ProcessResult? Processed, string? PoisonReason);

/// <summary>
/// The poison-batch policy of both runtimes — the self-host's IngestWorker (after a failed group, each batch it had
/// taken) and the Azure host's IngestBatches queue trigger (every message is one batch). A batch is judged alone, never
/// beside others: a failure of its own data is final, and the batch is set aside (self-host: ingest_dead_letters, in
/// the same transaction; Azure: the poison queue) with <see cref="AloneOutcome.PoisonReason"/>; any other failure (the
/// database unavailable) propagates and the batch is tried again later (self-host: after a pause; Azure: after the
/// queue's visibility timeout, up to host.json's maxDequeueCount).
/// </summary>
public static class PoisonBatches
{
    /// <summary>
    /// Failures that would repeat forever for a batch processed on its own: its data (Postgres classes 22, 23) or its
    /// encoding (<see cref="BatchCodec.Decode"/> throws a JsonException). Anything else is retried.
    /// </summary>
    public static bool IsPoison(Exception e) => e is System.Text.Json.JsonException
        || e is PostgresException { SqlState: var state } && (state.StartsWith("22", StringComparison.Ordinal) || state.StartsWith("23", StringComparison.Ordinal));

    /// <summary>
    /// Processes <paramref name="batch"/> alone in the caller's transaction, under a savepoint: when it is poison, only
    /// its own work is rolled back and the reason comes back, for the caller to set it aside; any other failure throws.
    /// </summary>
    public static async Task<AloneOutcome> ProcessAloneAsync(BatchProcessor processor, AcrossOrgs orgs, AcceptedBatch batch, CancellationToken ct)
    {
        // A savepoint of the transaction's events too: a poison batch's reactions (budgets, pauses) are forgotten with it.
        var alone = await orgs.Unscoped.SavepointAsync("alone", ct);
        try
        {
            return new AloneOutcome(await processor.ProcessAsync(orgs, [batch], ct), null);
        }
        catch (Exception e) when (IsPoison(e))
        {
            await orgs.Unscoped.RollbackToAsync(alone, ct);
            return new AloneOutcome(null, SafeErrors.Message(e));
        }
    }
}
