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
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var result = await ProcessOnceAsync(stoppingToken);
                if (result.Batches == BatchesPerTransaction) continue; // more may be waiting
                if (result.Batches > 0) signal.Pulse(); // let a sibling look too
                await signal.WaitAsync(PollInterval, stoppingToken);
                // Woken (or the poll is due): let the batches accepted in the next moment join this transaction.
                if (options.IngestLinger > TimeSpan.Zero) await Task.Delay(options.IngestLinger, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogError("Ingest processing failed, retrying batch by batch: {Error}", ErrorHandlingMiddleware.SafeMessage(e));
                try { await IsolateAsync(stoppingToken); }
                catch (Exception again) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError("Ingest processing failed again: {Error}", ErrorHandlingMiddleware.SafeMessage(again));
                }
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>
    /// After a failed transaction: the oldest batches one per transaction, so one bad batch cannot hold the others back
    /// (or every organization's ingest, once the backlog sheds load). A batch that fails on its own because of its data
    /// goes to ingest_dead_letters with the error; a transient failure (database unavailable) dead-letters nothing.
    /// </summary>
    private async Task IsolateAsync(CancellationToken ct)
    {
        for (var i = 0; i < BatchesPerTransaction; i++)
        {
            AcceptedBatch? taken = null;
            try
            {
                var result = await db.InOrgAsync(Guid.Empty, async tx =>
                {
                    var one = await tx.ListAsync("SELECT id, org_id, accepted_at, payload FROM ingest_take_batches(1)",
                        r => new AcceptedBatch(r.GetGuid(0), r.GetGuid(1), r.Time(2), (byte[])r[3]), ct);
                    if (one.Count == 0) return ProcessResult.None;
                    taken = one[0];
                    return await processor.ProcessAsync(tx, one, ct);
                }, ct);
                Committed(result);
                if (result.Batches == 0) return;
            }
            catch (Exception e) when (taken is not null && BatchProcessor.IsPoison(e))
            {
                var events = await db.WithoutOrgAsync(tx => tx.ScalarAsync<int?>("SELECT ingest_dead_letter($1, $2)", ct, taken.Id, ErrorHandlingMiddleware.SafeMessage(e)), ct);
                logger.LogError("Moved accepted batch {Batch} of organization {Org} ({Events} events) to ingest_dead_letters: {Error}",
                    taken.Id, taken.OrgId, events, ErrorHandlingMiddleware.SafeMessage(e));
            }
        }
    }

    /// <summary>Takes and processes one transaction's worth of batches.</summary>
    public async Task<ProcessResult> ProcessOnceAsync(CancellationToken ct)
    {
        var result = await db.InOrgAsync(Guid.Empty, async tx =>
        {
            var batches = await tx.ListAsync("SELECT id, org_id, accepted_at, payload FROM ingest_take_batches($1)",
                r => new AcceptedBatch(r.GetGuid(0), r.GetGuid(1), r.Time(2), (byte[])r[3]), ct, BatchesPerTransaction);
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
