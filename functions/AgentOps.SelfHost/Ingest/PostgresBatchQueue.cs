using System.Threading.Channels;
using AgentOps.Ingest;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NpgsqlTypes;

namespace AgentOps.SelfHost.Ingest;

/// <summary>Wakes the workers when batches were committed (they also poll, for batches left by another process).</summary>
public sealed class IngestSignal
{
    private readonly Channel<bool> _pulses = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Pulse() => _pulses.Writer.TryWrite(true);

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try { await _pulses.Reader.ReadAsync(cts.Token); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
    }
}

/// <summary>
/// The self-host's durable accept: requests hand their batch to a writer loop, which commits everything waiting in
/// one transaction (group commit: one WAL flush for many requests) and then completes them all. Bounded: when
/// <see cref="Capacity"/> batches wait, callers wait too (back-pressure rather than unbounded memory).
/// </summary>
public sealed class PostgresBatchQueue(Db db, IngestSignal signal, ILogger<PostgresBatchQueue> logger) : BackgroundService, IAcceptedBatchSink
{
    public const int Capacity = 4096;
    /// <summary>One commit carries at most this many batches.</summary>
    public const int MaxBatchesPerCommit = 256;
    /// <summary>Writer loops: while one flushes, the next fills.</summary>
    public const int Writers = 2;

    private sealed record Pending(Guid OrgId, byte[] Payload, int Count, TaskCompletionSource Done);

    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait });

    public async Task AcceptAsync(Guid orgId, IngestEvent[] events, CancellationToken ct)
    {
        var pending = new Pending(orgId, BatchCodec.Encode(events), events.Length, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await _queue.Writer.WriteAsync(pending, ct);
        // Once queued the batch is written even if this caller goes away; the caller only stops waiting.
        await pending.Done.Task.WaitAsync(ct);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => WriteLoopAsync(stoppingToken)));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Accept nothing new; what is queued is still written before the loops end.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var group = new List<Pending>(MaxBatchesPerCommit);
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (group.Count < MaxBatchesPerCommit && _queue.Reader.TryRead(out var p)) group.Add(p);
            if (group.Count == 0) continue;
            try
            {
                await WriteAsync(group, CancellationToken.None);
                foreach (var p in group) p.Done.TrySetResult();
                signal.Pulse();
            }
            catch (Exception e)
            {
                logger.LogError("Could not store {Batches} accepted batches: {Error}", group.Count, e.Message);
                foreach (var p in group) p.Done.TrySetException(e);
            }
            group.Clear();
        }
        _ = stoppingToken;
    }

    private Task WriteAsync(List<Pending> group, CancellationToken ct) =>
        db.AcrossOrgsAsync(async orgs =>
        {
            foreach (var org in group.GroupBy(p => p.OrgId))
            {
                var batch = org.ToList();
                var tx = await orgs.EnterAsync(org.Key, ct);
                await tx.ExecuteAsync("""
                    INSERT INTO ingest_batches (id, org_id, event_count, payload)
                    SELECT gen_random_uuid(), $1, c, p FROM unnest($2::int[], $3::bytea[]) AS t(c, p)
                    """, ct, org.Key, batch.Select(p => p.Count).ToArray(),
                    new Npgsql.NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea, Value = batch.Select(p => p.Payload).ToArray() });
            }
        }, ct);
}
