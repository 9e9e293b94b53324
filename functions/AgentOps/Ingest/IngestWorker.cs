using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentOps.Ingest;

/// <summary>
/// The self-host's ingest workers: AGENTOPS_INGEST_WORKERS loops (default 2), each taking up to
/// AGENTOPS_INGEST_BATCHES_PER_TRANSACTION accepted batches (default 16; SKIP LOCKED, so loops and replicas never take
/// the same batch) and processing them in the transaction that deletes them. Woken by the queue after each commit;
/// otherwise they poll every <see cref="PollInterval"/>. Unless the last transaction was full, a loop lingers
/// AGENTOPS_INGEST_LINGER_MS (default 50) before taking, so that a trickle of batches is processed several per
/// transaction rather than one each. A crash (even kill -9) rolls the transaction back and the
/// batches are taken again.
/// </summary>
public sealed class IngestWorker(Db db, BatchProcessor processor, IngestSignal signal, Controls.ControlEffects effects, Platform.AgentOpsOptions options, ILogger<IngestWorker> logger) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private int BatchesPerTransaction => options.IngestBatchesPerTransaction;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.IngestWorkers).Select(_ => LoopAsync(stoppingToken)));

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var taken = new List<Guid>();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                taken.Clear();
                var result = await ProcessOnceAsync(taken, stoppingToken);
                if (result.Batches == BatchesPerTransaction) continue; // more may be waiting
                if (result.Batches > 0) signal.Pulse(); // let a sibling look too
                await signal.WaitAsync(PollInterval, stoppingToken);
                // Woken (or the poll is due): let the batches accepted in the next moment join this transaction.
                if (options.IngestLinger > TimeSpan.Zero) await Task.Delay(options.IngestLinger, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogError("Ingest processing of {Batches} batches failed, retrying them one by one: {Error}", taken.Count, ErrorHandlingMiddleware.SafeMessage(e));
                try { await IsolateAsync(taken, stoppingToken); }
                catch (Exception again) when (!stoppingToken.IsCancellationRequested)
                {
                    // Not the batches' fault (the database is unavailable, say): pause before taking them again.
                    logger.LogError("Ingest processing failed again: {Error}", ErrorHandlingMiddleware.SafeMessage(again));
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            }
        }
    }

    /// <summary>
    /// After a failed transaction: exactly the batches it had taken, each alone in its own transaction, so one bad batch
    /// cannot hold the others back (or every organization's ingest, once the backlog sheds load). Only a batch that fails
    /// on its own, twice, because of its data goes to ingest_dead_letters; a neighbour never does. A batch another worker
    /// holds meanwhile is left to that worker, and one already gone is skipped, so nothing is set aside twice. A transient
    /// failure (database unavailable) sets nothing aside: it propagates, and the batches are taken again later.
    /// </summary>
    private async Task IsolateAsync(IReadOnlyList<Guid> batchIds, CancellationToken ct)
    {
        foreach (var id in batchIds)
        {
            Exception? failure = null;
            for (var attempt = 0; attempt < PoisonAttempts; attempt++)
            {
                try
                {
                    Committed(await db.InOrgAsync(Guid.Empty, async tx =>
                    {
                        var one = await tx.ListAsync("SELECT id, org_id, accepted_at, payload FROM ingest_take_batch($1)", ReadBatch, ct, id);
                        return one.Count == 0 ? ProcessResult.None : await processor.ProcessAsync(tx, one, ct);
                    }, ct));
                    failure = null;
                    break;
                }
                catch (Exception e) when (BatchProcessor.IsPoison(e)) { failure = e; }
            }
            if (failure is null) continue;
            var error = ErrorHandlingMiddleware.SafeMessage(failure);
            var moved = await db.WithoutOrgAsync(tx => tx.ListAsync("SELECT org_id, event_count FROM ingest_dead_letter($1, $2)",
                r => (Org: r.GetGuid(0), Events: r.GetInt32(1)), ct, id, error), ct);
            foreach (var (org, events) in moved)
                logger.LogError("Moved accepted batch {Batch} of organization {Org} ({Events} events) to ingest_dead_letters: it failed on its own {Attempts} times: {Error}",
                    id, org, events, PoisonAttempts, error);
        }
    }

    /// <summary>A batch is set aside only when it failed this many times alone: a deterministic failure repeats, a fluke does not.</summary>
    private const int PoisonAttempts = 2;

    private static AcceptedBatch ReadBatch(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetGuid(1), r.Time(2), (byte[])r[3]);

    /// <summary>Takes and processes one transaction's worth of batches; <paramref name="taken"/> receives their ids (also when processing fails).</summary>
    public async Task<ProcessResult> ProcessOnceAsync(List<Guid> taken, CancellationToken ct)
    {
        var result = await db.InOrgAsync(Guid.Empty, async tx =>
        {
            var batches = await tx.ListAsync("SELECT id, org_id, accepted_at, payload FROM ingest_take_batches($1)", ReadBatch, ct, BatchesPerTransaction);
            taken.AddRange(batches.Select(b => b.Id));
            return batches.Count == 0 ? ProcessResult.None : await processor.ProcessAsync(tx, batches, ct);
        }, ct);
        Committed(result);
        return result;
    }

    /// <summary>After commit: a budget that paused agents takes effect on this replica at once; rejected approvals are announced.</summary>
    private void Committed(ProcessResult result)
    {
        foreach (var (org, rejected) in result.Paused) effects.Committed(org, rejected);
    }
}
