using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentOps.Ingest;

/// <summary>
/// Puts decisions on their runs' timelines (policy.decision, approval.decision events) without making the check wait
/// for a durable write: events are buffered in process and handed to the <see cref="IAcceptedBatchSink"/> (the same
/// durable path as ingest) at most <see cref="MaxDelay"/> after the first of them arrived, or as soon as
/// <see cref="MaxEvents"/> are waiting, as one batch per organization.
/// <para>The trade-off, on purpose: the check's p99 budget is 5 ms, a durable write is not. A crash loses at most the
/// last <see cref="MaxDelay"/> (100 ms) of decision events; what must not be lost is written synchronously elsewhere
/// (approval requests and decisions are rows with their audit rows). A shutdown flushes what is buffered. When the
/// sink falls behind by <see cref="Capacity"/> events, further events are dropped and counted rather than holding
/// checks up or growing memory without bound.</para>
/// Both hosts run it as a hosted service, registered after their sink so that it stops (and flushes) first.
/// </summary>
public sealed class DecisionEventBuffer(IAcceptedBatchSink sink, ILogger<DecisionEventBuffer> logger) : BackgroundService
{
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(100);
    public const int MaxEvents = 500;
    public const int Capacity = 100_000;

    private readonly Channel<(Guid OrgId, IngestEvent Event)> _events = Channel.CreateBounded<(Guid, IngestEvent)>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private long _dropped;

    /// <summary>Events dropped because the buffer was full (the sink could not keep up).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Never waits: a full buffer drops the event (and says so in the log once per 1,000).</summary>
    public void Add(Guid orgId, IngestEvent e)
    {
        if (_events.Writer.TryWrite((orgId, e))) return;
        if (Interlocked.Increment(ref _dropped) % 1000 == 1)
            logger.LogWarning("Decision event buffer full ({Capacity}); {Dropped} decision events dropped so far", Capacity, Dropped);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<(Guid OrgId, IngestEvent Event)>(MaxEvents);
        // Ends when StopAsync completes the channel and everything buffered has been read: a shutdown flushes.
        while (await _events.Reader.WaitToReadAsync(CancellationToken.None))
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(MaxDelay.TotalSeconds * Stopwatch.Frequency);
            while (batch.Count < MaxEvents)
            {
                if (_events.Reader.TryRead(out var item)) { batch.Add(item); continue; }
                var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                if (left <= TimeSpan.Zero) break;
                using var window = new CancellationTokenSource(left);
                try { if (!await _events.Reader.WaitToReadAsync(window.Token)) break; }
                catch (OperationCanceledException) { break; }
            }
            await FlushAsync(batch);
            batch.Clear();
        }
        _ = stoppingToken;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _events.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private async Task FlushAsync(List<(Guid OrgId, IngestEvent Event)> batch)
    {
        foreach (var org in batch.GroupBy(b => b.OrgId))
        {
            var events = org.Select(b => b.Event).ToArray();
            try { await sink.AcceptAsync(org.Key, events, CancellationToken.None); }
            catch (Exception e)
            {
                // The decisions were answered already; their events are lost, which the log says (the audit trail keeps approvals).
                logger.LogError("Could not store {Count} decision events of organization {OrgId}: {Error}", events.Length, org.Key, SafeErrors.Message(e));
            }
        }
    }
}
