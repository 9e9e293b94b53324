using AgentOps.Ingest;
using AgentOps.Platform;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentOps.SelfHost.Ingest;

/// <summary>
/// The self-host's ingest workers: AGENTOPS_INGEST_WORKERS loops (default 2), each taking up to
/// AGENTOPS_INGEST_BATCHES_PER_TRANSACTION accepted batches (default 16; SKIP LOCKED, so loops and replicas never take
/// the same batch) and processing them in the transaction that deletes them. Woken by the queue after each commit;
/// otherwise they poll every <see cref="PollInterval"/>. Unless the last transaction was full, a loop lingers
/// AGENTOPS_INGEST_LINGER_MS (default 50) before taking, so that a trickle of batches is processed several per
/// transaction rather than one each. A crash (even kill -9) rolls the transaction back and the
/// batches are taken again.
/// </summary>
public sealed class IngestWorker(Db db, BatchProcessor processor, IngestSignal signal, SelfHostOptions options, ILogger<IngestWorker> logger) : BackgroundService
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
                logger.LogError("Ingest processing of {Batches} batches failed: {Error}", taken.Count, SafeErrors.Message(e));
                try
                {
                    if (taken.Count > 0)
                    {
                        await IsolateAsync(taken, stoppingToken);
                        continue;
                    }
                }
                catch (Exception again) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError("Ingest processing failed again: {Error}", SafeErrors.Message(again));
                }
                // Not the batches' fault (the database is unavailable, say): pause before trying again.
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private sealed record Isolated(Guid Org, int Events, string? Error);

    /// <summary>
    /// After a failed transaction: exactly the batches it had taken, each alone in its own transaction, so one bad batch
    /// cannot hold the others back (or every organization's ingest, once the backlog sheds load). A batch that fails on
    /// its own because of its data (<see cref="PoisonBatches"/>, the policy the Azure host's trigger applies too) goes to
    /// ingest_dead_letters in the same transaction that held it; a neighbour never does. A batch another worker holds
    /// meanwhile is left to that worker and one already gone is skipped, so nothing is set aside twice. Any other
    /// failure (database unavailable) sets nothing aside: it propagates, and the batches are taken again later.
    /// </summary>
    private async Task IsolateAsync(IReadOnlyList<Guid> batchIds, CancellationToken ct)
    {
        foreach (var id in batchIds)
        {
            var outcome = await db.AcrossOrgsAsync(async orgs =>
            {
                var one = await orgs.Unscoped.ListAsync("SELECT id, org_id, accepted_at, payload FROM ingest_lock_batch($1)", ReadBatch, ct, id);
                if (one.Count == 0) return null;
                // Held (locked) across the attempt: no other worker can take it again before the verdict.
                var alone = await PoisonBatches.ProcessAloneAsync(processor, orgs, one[0], ct);
                if (alone.Processed is not null)
                {
                    await orgs.Unscoped.ExecuteAsync("SELECT ingest_delete_batch($1)", ct, id);
                    return new Isolated(one[0].OrgId, 0, null);
                }
                var events = await orgs.Unscoped.ScalarAsync<int>("SELECT event_count FROM ingest_set_aside($1, $2)", ct, id, alone.PoisonReason);
                return new Isolated(one[0].OrgId, events, alone.PoisonReason);
            }, ct);
            if (outcome is { Error: { } error })
                logger.LogError("Moved accepted batch {Batch} of organization {Org} ({Events} events) to ingest_dead_letters: it failed on its own: {Error}",
                    id, outcome.Org, outcome.Events, error);
        }
    }

    private static AcceptedBatch ReadBatch(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetGuid(1), r.Time(2), (byte[])r[3]);

    /// <summary>Takes and processes one transaction's worth of batches; <paramref name="taken"/> receives their ids (also when processing fails).</summary>
    public async Task<ProcessResult> ProcessOnceAsync(List<Guid> taken, CancellationToken ct)
    {
        var result = await db.AcrossOrgsAsync(async orgs =>
        {
            var batches = await orgs.Unscoped.ListAsync("SELECT id, org_id, accepted_at, payload FROM ingest_take_batches($1)", ReadBatch, ct, BatchesPerTransaction);
            taken.AddRange(batches.Select(b => b.Id));
            return batches.Count == 0 ? ProcessResult.None : await processor.ProcessAsync(orgs, batches, ct);
        }, ct);
        return result;
    }
}
