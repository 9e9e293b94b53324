using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentOps.Ingest;

/// <summary>
/// The self-host's ingest workers: AGENTOPS_INGEST_WORKERS loops (default 2), each taking up to
/// AGENTOPS_INGEST_BATCHES_PER_TRANSACTION accepted batches (default 16; SKIP LOCKED, so loops and replicas never take
/// the same batch) and processing them in the transaction that deletes them. Woken by the queue after each commit;
/// otherwise they poll every <see cref="PollInterval"/>. A crash (even kill -9) rolls the transaction back and the
/// batches are taken again.
/// </summary>
public sealed class IngestWorker(Db db, BatchProcessor processor, IngestSignal signal, Platform.AgentOpsOptions options, ILogger<IngestWorker> logger) : BackgroundService
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
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogError("Ingest processing failed, retrying: {Error}", Platform.Http.ErrorHandlingMiddleware.SafeMessage(e));
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Takes and processes one transaction's worth of batches.</summary>
    public Task<ProcessResult> ProcessOnceAsync(CancellationToken ct) =>
        db.InOrgAsync(Guid.Empty, async tx =>
        {
            var batches = await tx.ListAsync("SELECT id, org_id, accepted_at, payload FROM ingest_take_batches($1)",
                r => new AcceptedBatch(r.GetGuid(0), r.GetGuid(1), r.Time(2), (byte[])r[3]), ct, BatchesPerTransaction);
            return batches.Count == 0 ? new ProcessResult(0, 0, 0) : await processor.ProcessAsync(tx, batches, ct);
        }, ct);
}
