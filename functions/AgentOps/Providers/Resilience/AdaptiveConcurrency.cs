namespace AgentOps.Providers.Resilience;

/// <summary>Who is waiting: a person (the gateway, the playground) or batch work (evals, synthetic data) that can wait.</summary>
public enum CallPriority { Interactive, Batch }

/// <summary>The limits of one deployment's concurrency limiter.</summary>
public sealed record ConcurrencyOptions
{
    /// <summary>The limit a deployment starts at: a few calls at once until successes earn more.</summary>
    public const int DefaultInitialLimit = 8;

    /// <summary>The most calls at once to one deployment, however well it answers.</summary>
    public const int DefaultMaxLimit = 64;

    /// <summary>The share of the limit batch calls may hold, so interactive calls find a free slot right away.</summary>
    public const double DefaultBatchShare = 0.5;

    /// <summary>Callers waiting for a slot at most; the next one is refused at once rather than piling up.</summary>
    public const int DefaultMaxQueueLength = 256;

    /// <summary>How long a caller waits for a slot at most before it is refused.</summary>
    public static readonly TimeSpan DefaultMaxQueueWait = TimeSpan.FromSeconds(10);

    public int InitialLimit { get; init; } = DefaultInitialLimit;

    public int MaxLimit { get; init; } = DefaultMaxLimit;

    public double BatchShare { get; init; } = DefaultBatchShare;

    public int MaxQueueLength { get; init; } = DefaultMaxQueueLength;

    public TimeSpan MaxQueueWait { get; init; } = DefaultMaxQueueWait;
}

/// <summary>
/// Additive increase, multiplicative decrease — TCP's congestion rule, applied to concurrent calls: a 429 or an overload
/// halves the limit at once; every <c>limit</c> successes add one (about +1 per "round trip" of the whole window).
/// Pure arithmetic; <see cref="AdaptiveConcurrency"/> keeps the state.
/// </summary>
public static class Aimd
{
    /// <summary>The smallest limit: one call at a time still probes whether the provider recovered.</summary>
    public const int MinLimit = 1;

    public static int Decrease(int limit) => Math.Max(MinLimit, limit / 2);

    /// <summary>One more success at <paramref name="limit"/>: the new limit and the successes counted towards the next step.</summary>
    public static (int Limit, int Successes) Increase(int limit, int successes, int maxLimit)
    {
        successes++;
        if (successes < limit) return (limit, successes);
        return (Math.Min(maxLimit, limit + 1), 0);
    }

    /// <summary>Slots batch calls may hold at <paramref name="limit"/>: the share, at least one (batch work is never starved for good).</summary>
    public static int BatchSlots(int limit, double share) => Math.Max(1, (int)Math.Floor(limit * share));
}

/// <summary>Why a caller got no slot.</summary>
public enum ConcurrencyRefusal
{
    /// <summary><see cref="ConcurrencyOptions.MaxQueueLength"/> callers were waiting already.</summary>
    QueueFull,
    /// <summary>No slot freed within <see cref="ConcurrencyOptions.MaxQueueWait"/> (or before the call's deadline).</summary>
    WaitedTooLong,
}

/// <summary>A slot: the call holds it while it talks to the provider and disposes it after (once; later disposals do nothing).</summary>
public sealed class ConcurrencyLease : IDisposable
{
    private readonly AdaptiveConcurrency _owner;
    private readonly CallPriority _priority;
    private int _released;

    internal ConcurrencyLease(AdaptiveConcurrency owner, CallPriority priority)
    {
        _owner = owner;
        _priority = priority;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) _owner.Release(_priority);
    }
}

/// <summary>
/// One deployment's concurrency limit (AIMD, see <see cref="Aimd"/>) and its admission queue. Interactive callers are
/// served first: a batch waiter never gets a slot while an interactive one waits, and batch calls hold at most
/// <see cref="ConcurrencyOptions.BatchShare"/> of the limit. There is no preemption: a batch call that has a slot keeps
/// it until it ends. The queue is bounded in length and in waiting time; beyond either a caller is refused, never
/// queued without end. The retry loop reports every attempt (<see cref="OnSuccess"/>, <see cref="OnOverload"/>), so
/// the limit sees every 429 — no retry hides one below it.
/// </summary>
public sealed class AdaptiveConcurrency
{
    private readonly object _gate = new();
    private readonly ConcurrencyOptions _options;
    private readonly TimeProvider _time;
    private readonly LinkedList<Waiter> _interactive = new();
    private readonly LinkedList<Waiter> _batch = new();
    private int _limit;
    private int _successes;
    private int _inFlight;
    private int _batchInFlight;

    public AdaptiveConcurrency(ConcurrencyOptions? options = null, TimeProvider? time = null)
    {
        _options = options ?? new ConcurrencyOptions();
        if (_options.MaxLimit < Aimd.MinLimit) throw new ArgumentException("MaxLimit must be at least 1.", nameof(options));
        if (_options.BatchShare is <= 0 or > 1) throw new ArgumentException("BatchShare must be in (0, 1].", nameof(options));
        _time = time ?? TimeProvider.System;
        _limit = Math.Clamp(_options.InitialLimit, Aimd.MinLimit, _options.MaxLimit);
    }

    public int Limit { get { lock (_gate) return _limit; } }

    public int InFlight { get { lock (_gate) return _inFlight; } }

    public int Waiting { get { lock (_gate) return _interactive.Count + _batch.Count; } }

    /// <summary>Whether nothing holds or waits for a slot (the registry may forget an idle deployment).</summary>
    public bool IsIdle { get { lock (_gate) return _inFlight == 0 && _interactive.Count == 0 && _batch.Count == 0; } }

    /// <summary>
    /// A slot now, or after waiting in the queue for at most <see cref="ConcurrencyOptions.MaxQueueWait"/> (and at most
    /// <paramref name="maxWait"/>, the time the call has left); a refusal otherwise. The caller's cancellation throws.
    /// </summary>
    public async Task<(ConcurrencyLease? Lease, ConcurrencyRefusal? Refusal)> AcquireAsync(CallPriority priority, TimeSpan? maxWait, CancellationToken ct)
    {
        Waiter waiter;
        lock (_gate)
        {
            if (CanRunNow(priority)) return (Grant(priority), null);
            if (_interactive.Count + _batch.Count >= _options.MaxQueueLength) return (null, ConcurrencyRefusal.QueueFull);
            waiter = new Waiter(priority);
            waiter.Node = (priority == CallPriority.Interactive ? _interactive : _batch).AddLast(waiter);
        }
        var wait = maxWait is { } m && m < _options.MaxQueueWait ? m : _options.MaxQueueWait;
        if (wait < TimeSpan.Zero) wait = TimeSpan.Zero;
        using var timeout = new CancellationTokenSource(wait, _time);
        using var onTimeout = timeout.Token.Register(() => Abandon(waiter, null));
        using var onCancel = ct.Register(() => Abandon(waiter, ct));
        var granted = await waiter.Done.Task.ConfigureAwait(false);
        return granted ? (new ConcurrencyLease(this, priority), null) : (null, ConcurrencyRefusal.WaitedTooLong);
    }

    /// <summary>An attempt succeeded: one step towards a larger limit.</summary>
    public void OnSuccess()
    {
        lock (_gate)
        {
            (_limit, _successes) = Aimd.Increase(_limit, _successes, _options.MaxLimit);
            Dispatch();
        }
    }

    /// <summary>An attempt was answered 429 or overloaded: the limit halves (calls already running finish; none is cut).</summary>
    public void OnOverload()
    {
        lock (_gate)
        {
            _limit = Aimd.Decrease(_limit);
            _successes = 0;
        }
    }

    internal void Release(CallPriority priority)
    {
        lock (_gate)
        {
            _inFlight--;
            if (priority == CallPriority.Batch) _batchInFlight--;
            Dispatch();
        }
    }

    private bool CanRunNow(CallPriority priority) => _inFlight < _limit && (priority == CallPriority.Interactive
        ? _interactive.Count == 0
        : _interactive.Count == 0 && _batch.Count == 0 && _batchInFlight < Aimd.BatchSlots(_limit, _options.BatchShare));

    private ConcurrencyLease Grant(CallPriority priority)
    {
        _inFlight++;
        if (priority == CallPriority.Batch) _batchInFlight++;
        return new ConcurrencyLease(this, priority);
    }

    /// <summary>Hands free slots to waiters: interactive first; batch only when no interactive caller waits.</summary>
    private void Dispatch()
    {
        while (_inFlight < _limit)
        {
            LinkedList<Waiter> queue;
            if (_interactive.Count > 0) queue = _interactive;
            else if (_batch.Count > 0 && _batchInFlight < Aimd.BatchSlots(_limit, _options.BatchShare)) queue = _batch;
            else return;
            var waiter = queue.First!.Value;
            queue.RemoveFirst();
            waiter.Node = null;
            _inFlight++;
            if (waiter.Priority == CallPriority.Batch) _batchInFlight++;
            // Continuations run elsewhere (RunContinuationsAsynchronously): nothing runs under the lock.
            waiter.Done.TrySetResult(true);
        }
    }

    /// <summary>A waiter that timed out or was cancelled leaves the queue; one already granted keeps its slot.</summary>
    private void Abandon(Waiter waiter, CancellationToken? cancelled)
    {
        lock (_gate)
        {
            if (waiter.Node is null) return;
            waiter.Node.List!.Remove(waiter.Node);
            waiter.Node = null;
            // An interactive waiter leaving may let a batch waiter behind it through.
            Dispatch();
        }
        if (cancelled is { } ct) waiter.Done.TrySetCanceled(ct);
        else waiter.Done.TrySetResult(false);
    }

    private sealed class Waiter(CallPriority priority)
    {
        public CallPriority Priority { get; } = priority;

        public LinkedListNode<Waiter>? Node { get; set; }

        public TaskCompletionSource<bool> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
