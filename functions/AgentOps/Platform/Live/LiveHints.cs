using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AgentOps.Platform.Live;

/// <summary>
/// Hints that something changed — "runs", "approvals", "controls" in an organization — for the open live streams of
/// every replica. A hint carries no data, only its topic: a client that gets one reads what it shows again, through the
/// API and its permissions. Hints are best effort and coalesced:
/// - <see cref="Mark"/> (after a commit, on any replica) only notes the organization and topic;
/// - every <see cref="FlushInterval"/> the noted pairs go out as one Postgres NOTIFY per organization on
///   <see cref="Channel"/>, so a busy ingest costs at most 4 notifications a second per organization, and no NOTIFY ever
///   runs inside a feature's transaction (a NOTIFY serializes commits);
/// - each replica LISTENs on one connection and hands the topics to its subscribers of that organization; a subscriber
///   keeps a set of pending topics, so a slow reader coalesces instead of queueing.
/// When the listening connection was lost and comes back, every subscriber gets <see cref="Resync"/>: hints may have
/// been missed, so clients read everything again.
/// </summary>
public sealed class LiveHints(NpgsqlDataSource dataSource, ILogger<LiveHints> logger) : BackgroundService
{
    public const string Channel = "agentops_live";
    /// <summary>A topic every subscriber gets after a gap in hints (read everything again).</summary>
    public const string Resync = "resync";
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan RetryAfterError = TimeSpan.FromSeconds(5);
    /** The listening connection is proved alive this often (a connection dropped silently would leave the replica deaf). */
    private static readonly TimeSpan ListenProbe = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<(Guid Org, string Topic), byte> _marked = new();
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<LiveSubscription, byte>> _subscribers = new();
    private int _subscriptionCount;

    /// <summary>Open subscriptions on this replica.</summary>
    public int SubscriptionCount => Volatile.Read(ref _subscriptionCount);

    /// <summary>Open subscriptions of one organization on this replica.</summary>
    public int SubscriptionsOf(Guid orgId) => _subscribers.TryGetValue(orgId, out var set) ? set.Count : 0;

    /// <summary>Notes that <paramref name="topic"/> changed in the organization (cheap; sent within a flush interval).</summary>
    public void Mark(Guid orgId, string topic) => _marked.TryAdd((orgId, topic), 0);

    public LiveSubscription Subscribe(Guid orgId)
    {
        var subscription = new LiveSubscription(this, orgId);
        _subscribers.GetOrAdd(orgId, _ => new()).TryAdd(subscription, 0);
        Interlocked.Increment(ref _subscriptionCount);
        return subscription;
    }

    internal void Unsubscribe(LiveSubscription subscription)
    {
        if (_subscribers.TryGetValue(subscription.OrgId, out var set) && set.TryRemove(subscription, out _)) Interlocked.Decrement(ref _subscriptionCount);
    }

    /// <summary>Hands topics to this replica's subscribers of the organization (what a received NOTIFY does).</summary>
    internal void Deliver(Guid orgId, IEnumerable<string> topics)
    {
        if (!_subscribers.TryGetValue(orgId, out var set)) return;
        var list = topics.ToList();
        foreach (var subscription in set.Keys) subscription.Add(list);
    }

    private void DeliverToAll(string topic)
    {
        foreach (var set in _subscribers.Values)
        foreach (var subscription in set.Keys) subscription.Add([topic]);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Task.Run(() => SendLoopAsync(stoppingToken), stoppingToken), Task.Run(() => ListenLoopAsync(stoppingToken), stoppingToken));

    /// <summary>Every flush interval, sends what was noted (nothing noted: no database work at all).</summary>
    private async Task SendLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(FlushInterval);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await timer.WaitForNextTickAsync(ct);
                if (!_marked.IsEmpty) await FlushAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e)
            {
                // Kept for the next round (FlushAsync put them back): clients do not poll while their stream is up.
                logger.LogWarning("Live hints could not be sent, retrying in {Seconds} s: {Error}", RetryAfterError.TotalSeconds, SafeErrors.Message(e));
                await Task.Delay(RetryAfterError, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Sends every noted (organization, topic) pair, one NOTIFY per organization (per 50 topics).</summary>
    internal async Task FlushAsync(CancellationToken ct)
    {
        var pairs = _marked.Keys.ToList();
        foreach (var pair in pairs) _marked.TryRemove(pair, out _);
        if (pairs.Count == 0) return;
        var sent = 0;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            foreach (var org in pairs.GroupBy(p => p.Org))
            {
                await using var notify = new NpgsqlCommand("SELECT pg_notify($1, $2)", connection);
                notify.Parameters.Add(new NpgsqlParameter { Value = Channel });
                notify.Parameters.Add(new NpgsqlParameter { Value = JsonSerializer.Serialize(new Message(org.Key, [.. org.Select(p => p.Topic)])) });
                await notify.ExecuteNonQueryAsync(ct);
                sent += org.Count();
            }
        }
        catch
        {
            // Not sent: noted again (pairs are grouped in order, so the first `sent` went out).
            foreach (var pair in pairs.OrderBy(p => p.Org).Skip(sent)) _marked.TryAdd(pair, 0);
            throw;
        }
    }

    private sealed record Message(Guid O, string[] T);

    private async Task ListenLoopAsync(CancellationToken ct)
    {
        var lost = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(ct);
                connection.Notification += (_, n) => Received(n.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection)) await listen.ExecuteNonQueryAsync(ct);
                if (lost) DeliverToAll(Resync);
                lost = false;
                while (!ct.IsCancellationRequested)
                {
                    if (await connection.WaitAsync(ListenProbe, ct)) continue;
                    await using var probe = new NpgsqlCommand("SELECT 1", connection);
                    await probe.ExecuteScalarAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e)
            {
                if (!lost) logger.LogWarning("Live hints connection lost, reconnecting every {Seconds} s: {Error}", RetryAfterError.TotalSeconds, SafeErrors.Message(e));
                lost = true;
                await Task.Delay(RetryAfterError, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private void Received(string payload)
    {
        try
        {
            var message = JsonSerializer.Deserialize<Message>(payload);
            if (message?.T is { } topics) Deliver(message.O, topics);
        }
        catch (JsonException) { /* not ours: another writer on the channel; ignored */ }
    }
}

/// <summary>One open live stream's pending topics: a set (coalescing) and a signal.</summary>
public sealed class LiveSubscription(LiveHints hub, Guid orgId) : IDisposable
{
    private readonly HashSet<string> _pending = [];
    private readonly SemaphoreSlim _signal = new(0, 1);

    public Guid OrgId => orgId;

    internal void Add(IReadOnlyCollection<string> topics)
    {
        lock (_pending)
        {
            var before = _pending.Count;
            _pending.UnionWith(topics);
            if (before == 0 && _pending.Count > 0 && _signal.CurrentCount == 0) _signal.Release();
        }
    }

    /// <summary>The topics pending now, waiting up to <paramref name="timeout"/> for some (empty: none came).</summary>
    public async Task<string[]> NextAsync(TimeSpan timeout, CancellationToken ct)
    {
        await _signal.WaitAsync(timeout, ct);
        lock (_pending)
        {
            var topics = _pending.Order(StringComparer.Ordinal).ToArray();
            _pending.Clear();
            // A release that raced with the swap leaves the semaphore at 1 with nothing pending: drain it.
            if (_signal.CurrentCount == 1 && topics.Length > 0) _signal.Wait(0, CancellationToken.None);
            return topics;
        }
    }

    public void Dispose() => hub.Unsubscribe(this);
}
