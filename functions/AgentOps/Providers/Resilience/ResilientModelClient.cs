using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using AgentOps.Providers.RateBudgets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Providers.Resilience;

/// <summary>
/// Runs a model call over a fallback chain of targets (a larger model, then a smaller one; one provider, then another).
/// Per target and attempt: an open circuit skips the target, a spent rate budget skips it (the reason is kept), then a
/// concurrency slot is taken (interactive before batch) and the adapter makes its one HTTP call. A transient failure is
/// retried on the same target with full-jitter backoff, never sooner than the provider's retry-after, within
/// <see cref="ResilienceOptions.MaxAttemptsPerTarget"/> and the call's deadline (a wait past the deadline moves to the
/// next target at once); a bad request or blocked content stops the chain (it would fail anywhere); a refused
/// credential, an invalid response or an exhausted quota moves on. Every attempt's outcome is reported to the
/// deployment's breaker and limiter (so the limiter sees every 429) and every reservation is settled.
/// Streams fall back and retry only before their first delta; once one went out, a failure ends the stream with the
/// adapter's <see cref="ProviderException"/> (a stream that just stops ends with <see cref="ProviderErrorKind.StreamCut"/>),
/// never silently.
/// </summary>
public sealed class ResilientModelClient(ResilienceRegistry registry, IRateBudget budget, TimeProvider time,
    ILogger<ResilientModelClient>? logger = null, Random? random = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;
    private readonly Random _random = random ?? Random.Shared;
    private ResilienceOptions Options => registry.Options;

    /// <summary>The answer of the first target that gives one; <see cref="ModelCallFailedException"/> when none does.</summary>
    public async Task<ResilientResult> CompleteAsync(ModelRequest request, IReadOnlyList<ModelTarget> chain, ModelCallOptions? options = null,
        CancellationToken ct = default)
    {
        using var run = Start(request, chain, options, ct);
        for (var t = 0; t < chain.Count; t++)
        {
            var target = chain[t];
            var health = registry.For(target.DeploymentKey);
            var waited = TimeSpan.Zero;
            for (var attempt = 1; ; attempt++)
            {
                var admission = await AdmitAsync(run, t, attempt, health, waited);
                if (admission is null) break;
                TimeSpan? retryIn = null;
                try
                {
                    var result = await target.Provider.CompleteAsync(request with { Model = target.Model }, target.Credential, run.Token);
                    admission.UsedTokens = result.Usage.InputTokens + (long)result.Usage.OutputTokens;
                    Succeeded(run, admission, health);
                    return new ResilientResult(result, target, run.Attempts);
                }
                catch (ProviderException e)
                {
                    admission.Observed = e.RateLimits;
                    retryIn = AfterFailure(run, admission, health, e);
                }
                catch (OperationCanceledException e)
                {
                    Interrupted(run, admission, health, e);
                }
                finally
                {
                    await admission.DisposeAsync();
                }
                if (run.Stopped) throw run.Failed();
                if (retryIn is not { } wait) break;
                waited = await WaitAsync(run, wait);
            }
        }
        throw run.Failed();
    }

    /// <summary>
    /// The answer as it is written, from the first target that starts one (retries and fallback happen before the first
    /// delta only). Read <see cref="ResilientStream.Attempts"/> after the stream ended (or failed) for the attempt log.
    /// </summary>
    public ResilientStream StreamAsync(ModelRequest request, IReadOnlyList<ModelTarget> chain, ModelCallOptions? options = null) =>
        new(this, request, chain, options);

    internal async IAsyncEnumerable<ModelDelta> RunStreamAsync(ModelRequest request, IReadOnlyList<ModelTarget> chain, ModelCallOptions? options,
        ResilientStream stream, [EnumeratorCancellation] CancellationToken ct)
    {
        using var run = Start(request, chain, options, ct);
        stream.Run = run;
        var open = await OpenStreamAsync(run, request, chain);
        stream.Target = open.Target;
        var (admission, health, deltas) = (open.Admission, open.Health, open.Deltas);
        var pending = open.First;
        var ended = false;
        try
        {
            while (true)
            {
                if (pending is FinishDelta finish)
                {
                    admission.UsedTokens = finish.Usage.InputTokens + (long)finish.Usage.OutputTokens;
                    Succeeded(run, admission, health);
                    ended = true;
                    yield return finish;
                    yield break;
                }
                yield return pending;
                ExceptionDispatchInfo? failure = null;
                var more = false;
                try
                {
                    more = await deltas.MoveNextAsync();
                }
                catch (ProviderException e)
                {
                    admission.Observed = e.RateLimits;
                    failure = ExceptionDispatchInfo.Capture(e);
                }
                catch (OperationCanceledException e)
                {
                    health.Breaker.OnNoVerdict();
                    ended = true;
                    if (run.CallerCancelled)
                    {
                        run.Log(admission, AttemptOutcome.Cancelled, null, "the caller cancelled during the stream");
                        throw;
                    }
                    // Output went out already: the stream ends with a provider error, as a cut one does.
                    var late = new ProviderException(ProviderErrorKind.Timeout, $"{open.Target.Provider.Name}: the call's deadline passed during the stream.", innerException: e);
                    run.Log(admission, AttemptOutcome.DeadlineExceeded, late, "after output was sent: the stream ends with this error");
                    throw late;
                }
                if (!more && failure is null)
                    failure = ExceptionDispatchInfo.Capture(new ProviderException(ProviderErrorKind.StreamCut,
                        $"{open.Target.Provider.Name}: the stream ended before the model finished."));
                if (failure is not null)
                {
                    var e = (ProviderException)failure.SourceException;
                    Report(health, e);
                    run.Log(admission, AttemptOutcome.Failed, e, "after output was sent: the stream ends with this error, no retry or fallback");
                    ended = true;
                    failure.Throw();
                }
                pending = deltas.Current;
            }
        }
        finally
        {
            if (!ended)
            {
                // The reader stopped early: no verdict on the deployment.
                health.Breaker.OnNoVerdict();
                run.Log(admission, AttemptOutcome.Cancelled, null, "the reader stopped before the stream ended");
            }
            await deltas.DisposeAsync();
            await admission.DisposeAsync();
        }
    }

    private sealed record OpenStream(ModelTarget Target, DeploymentHealth Health, Admission Admission, IAsyncEnumerator<ModelDelta> Deltas, ModelDelta First);

    /// <summary>The retry and fallback loop of a stream, up to its first delta: the open stream and that delta, or the call's failure.</summary>
    private async Task<OpenStream> OpenStreamAsync(CallRun run, ModelRequest request, IReadOnlyList<ModelTarget> chain)
    {
        for (var t = 0; t < chain.Count; t++)
        {
            var target = chain[t];
            var health = registry.For(target.DeploymentKey);
            var waited = TimeSpan.Zero;
            for (var attempt = 1; ; attempt++)
            {
                var admission = await AdmitAsync(run, t, attempt, health, waited);
                if (admission is null) break;
                TimeSpan? retryIn = null;
                IAsyncEnumerator<ModelDelta>? deltas = null;
                try
                {
                    deltas = target.Provider.StreamAsync(request with { Model = target.Model }, target.Credential, run.Token).GetAsyncEnumerator(run.Token);
                    if (!await deltas.MoveNextAsync())
                        throw new ProviderException(ProviderErrorKind.StreamCut, $"{target.Provider.Name}: the stream ended before any output.");
                    var open = new OpenStream(target, health, admission, deltas, deltas.Current);
                    deltas = null;
                    admission = null;
                    return open;
                }
                catch (ProviderException e)
                {
                    admission!.Observed = e.RateLimits;
                    retryIn = AfterFailure(run, admission, health, e);
                }
                catch (OperationCanceledException e)
                {
                    Interrupted(run, admission!, health, e);
                }
                finally
                {
                    if (deltas is not null) await deltas.DisposeAsync();
                    if (admission is not null) await admission.DisposeAsync();
                }
                if (run.Stopped) throw run.Failed();
                if (retryIn is not { } wait) break;
                waited = await WaitAsync(run, wait);
            }
        }
        throw run.Failed();
    }

    private CallRun Start(ModelRequest request, IReadOnlyList<ModelTarget> chain, ModelCallOptions? options, CancellationToken ct)
    {
        if (chain.Count == 0) throw new ArgumentException("A call needs at least one target.", nameof(chain));
        options ??= ModelCallOptions.Interactive;
        return new CallRun(time, options, options.Timeout ?? Options.DefaultTimeout, options.EstimatedTokens ?? TokenEstimate.Of(request), chain, ct);
    }

    /// <summary>
    /// The gates before an attempt: the breaker, the rate budget, a concurrency slot — in that order, the cheap ones
    /// first. Null when the target is skipped (the log says why); a slot and a reservation otherwise.
    /// </summary>
    private async Task<Admission?> AdmitAsync(CallRun run, int t, int attempt, DeploymentHealth health, TimeSpan waited)
    {
        var target = run.Chain[t];
        if (run.Remaining <= TimeSpan.Zero || run.DeadlinePassed) throw run.PastDeadline(t, attempt, waited, "before this attempt");
        if (!health.Breaker.TryPass())
        {
            run.Skip(t, attempt, AttemptOutcome.SkippedCircuitOpen, waited, "circuit open: the deployment failed repeatedly and is cooling down");
            return null;
        }
        RateReservation reservation;
        try
        {
            switch (await budget.ReserveAsync(target.RateKey, run.EstimatedTokens, run.Token))
            {
                case RateAdmission.Exhausted spent:
                    health.Breaker.OnNoVerdict();
                    run.NoteRetryAfter(spent.RetryAfter);
                    run.Skip(t, attempt, AttemptOutcome.SkippedBudgetExhausted, waited,
                        $"rate budget ({spent.Budget} per minute) spent; refills in {Seconds(spent.RetryAfter)}");
                    return null;
                case RateAdmission.Admitted admitted:
                    reservation = admitted.Reservation;
                    break;
                default:
                    throw new InvalidOperationException("A rate budget answered neither admitted nor exhausted.");
            }
        }
        catch (OperationCanceledException) when (!run.CallerCancelled)
        {
            health.Breaker.OnNoVerdict();
            throw run.PastDeadline(t, attempt, waited, "while the rate budget was asked");
        }
        catch
        {
            health.Breaker.OnNoVerdict();
            throw;
        }
        var queued = time.GetTimestamp();
        (ConcurrencyLease? Lease, ConcurrencyRefusal? Refusal) slot;
        try
        {
            slot = await health.Concurrency.AcquireAsync(run.Options.Priority, run.Remaining, run.Token);
        }
        catch (OperationCanceledException)
        {
            health.Breaker.OnNoVerdict();
            await SettleAsync(reservation, 0, null);
            if (run.CallerCancelled) throw;
            throw run.PastDeadline(t, attempt, waited + time.GetElapsedTime(queued), "while waiting for a concurrency slot");
        }
        waited += time.GetElapsedTime(queued);
        if (slot.Lease is null)
        {
            health.Breaker.OnNoVerdict();
            await SettleAsync(reservation, 0, null);
            run.Skip(t, attempt, AttemptOutcome.SkippedConcurrency, waited, slot.Refusal == ConcurrencyRefusal.QueueFull
                ? $"concurrency queue full ({health.Concurrency.Waiting} waiting, limit {health.Concurrency.Limit} in flight)"
                : "no concurrency slot freed in time");
            return null;
        }
        return new Admission(this, t, attempt, waited, slot.Lease, reservation, time.GetTimestamp());
    }

    private void Succeeded(CallRun run, Admission admission, DeploymentHealth health)
    {
        health.Breaker.OnSuccess();
        health.Concurrency.OnSuccess();
        run.Log(admission, AttemptOutcome.Succeeded, null, "answered");
    }

    /// <summary>Reports a failed attempt and decides: the wait before a retry on the same target, or null (next target, or the end).</summary>
    private TimeSpan? AfterFailure(CallRun run, Admission admission, DeploymentHealth health, ProviderException e)
    {
        Report(health, e);
        if (e.RetryAfter is { } after) run.NoteRetryAfter(after);
        if (e.Kind is ProviderErrorKind.BadRequest or ProviderErrorKind.ContentBlocked)
        {
            run.Stop(e);
            run.Log(admission, AttemptOutcome.Failed, e, "the request itself was refused: it would fail on any target, the chain stops");
            return null;
        }
        if (!e.IsTransient || e.ProviderErrorType is "insufficient_quota")
        {
            run.Log(admission, AttemptOutcome.Failed, e, "not worth retrying here: next target");
            return null;
        }
        switch (Backoff.Next(admission.Attempt, Options.MaxAttemptsPerTarget, e.RetryAfter, run.Remaining, _random.NextDouble(), Options.BaseDelay, Options.MaxDelay))
        {
            case BackoffDecision.Wait w:
                run.Log(admission, AttemptOutcome.Failed, e, $"retry in {Seconds(w.Delay)}{(e.RetryAfter is { } ra ? $" (retry-after {Seconds(ra)})" : "")}");
                return w.Delay;
            case BackoffDecision.GiveUp { Reason: GiveUpReason.PastDeadline } g:
                run.Log(admission, AttemptOutcome.Failed, e, $"the wait ({Seconds(g.WouldWait)}) would pass the call's deadline: next target");
                return null;
            default:
                run.Log(admission, AttemptOutcome.Failed, e, $"{admission.Attempt} attempts made: next target");
                return null;
        }
    }

    /// <summary>The caller cancelled (rethrown as is) or the call's deadline passed (the call fails with a timeout, no target is left to try).</summary>
    private static void Interrupted(CallRun run, Admission admission, DeploymentHealth health, OperationCanceledException e)
    {
        health.Breaker.OnNoVerdict();
        if (run.CallerCancelled)
        {
            run.Log(admission, AttemptOutcome.Cancelled, null, "the caller cancelled");
            ExceptionDispatchInfo.Throw(e);
        }
        run.Log(admission, AttemptOutcome.DeadlineExceeded, null, "the call's deadline passed during the attempt");
        throw run.Failed();
    }

    /// <summary>Every attempt's outcome reaches the breaker and the limiter: a 429 or an overload halves the limit.</summary>
    private static void Report(DeploymentHealth health, ProviderException e)
    {
        health.Breaker.OnFailure(e);
        if (e.Kind is ProviderErrorKind.RateLimited or ProviderErrorKind.Overloaded) health.Concurrency.OnOverload();
    }

    private async Task<TimeSpan> WaitAsync(CallRun run, TimeSpan wait)
    {
        var started = time.GetTimestamp();
        try
        {
            await Task.Delay(wait, time, run.Token);
        }
        catch (OperationCanceledException) when (!run.CallerCancelled)
        {
            // The deadline came first: the next admission finds no time left and ends the call.
        }
        return time.GetElapsedTime(started);
    }

    /// <summary>Settles a reservation whatever happened; a budget store that fails here must not hide the call's outcome (the reservation expires by itself).</summary>
    private async Task SettleAsync(RateReservation reservation, long usedTokens, RateLimitInfo? observed)
    {
        try
        {
            await budget.SettleAsync(reservation, usedTokens, observed, CancellationToken.None);
        }
#pragma warning disable CA1031 // Any failure of the budget store is logged; the reservation expires by itself.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogWarning(e, "Settling the rate reservation {Reservation} failed; it expires at {ExpiresAt}", reservation.Id, reservation.ExpiresAt);
        }
    }

    internal static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.###} s";

    /// <summary>An attempt's slot and reservation: released and settled (with what was used, 0 on failure) when disposed.</summary>
    internal sealed class Admission(ResilientModelClient client, int target, int attempt, TimeSpan waited, ConcurrencyLease lease,
        RateReservation reservation, long startedAt) : IAsyncDisposable
    {
        public int Target { get; } = target;

        public int Attempt { get; } = attempt;

        public TimeSpan Waited { get; } = waited;

        public long StartedAt { get; } = startedAt;

        public long UsedTokens { get; set; }

        public RateLimitInfo? Observed { get; set; }

        private bool _disposed;

        public async ValueTask DisposeAsync()
        {
            if (_disposed) return;
            _disposed = true;
            lease.Dispose();
            await client.SettleAsync(reservation, UsedTokens, Observed);
        }
    }

    /// <summary>One call's run: its deadline, its attempt log, and what the final error will say.</summary>
    internal sealed class CallRun : IDisposable
    {
        private readonly TimeProvider _time;
        private readonly CancellationTokenSource _deadline;
        private readonly CancellationTokenSource _linked;
        private readonly CancellationToken _caller;
        private readonly DateTimeOffset _deadlineAt;
        private readonly List<CallAttempt> _attempts = [];
        private ProviderException? _last;
        private ProviderException? _stop;
        private TimeSpan? _retryAfter;

        public CallRun(TimeProvider time, ModelCallOptions options, TimeSpan timeout, long estimatedTokens, IReadOnlyList<ModelTarget> chain, CancellationToken caller)
        {
            _time = time;
            Options = options;
            EstimatedTokens = estimatedTokens;
            Chain = chain;
            _caller = caller;
            _deadlineAt = time.GetUtcNow() + timeout;
            _deadline = new CancellationTokenSource(timeout, time);
            _linked = CancellationTokenSource.CreateLinkedTokenSource(caller, _deadline.Token);
        }

        public ModelCallOptions Options { get; }

        public long EstimatedTokens { get; }

        public IReadOnlyList<ModelTarget> Chain { get; }

        /// <summary>Cancelled by the caller or at the deadline.</summary>
        public CancellationToken Token => _linked.Token;

        public bool CallerCancelled => _caller.IsCancellationRequested;

        /// <summary>The deadline's timer fired (it may run a little ahead of the clock <see cref="Remaining"/> reads).</summary>
        public bool DeadlinePassed => _deadline.IsCancellationRequested;

        public TimeSpan Remaining => _deadlineAt - _time.GetUtcNow();

        public IReadOnlyList<CallAttempt> Attempts
        {
            get { lock (_attempts) return [.. _attempts]; }
        }

        public void NoteRetryAfter(TimeSpan after) => _retryAfter = _retryAfter is { } r && r <= after ? r : after;

        public void Stop(ProviderException e) => _stop = e;

        /// <summary>A request fault ended the chain: no other target is tried.</summary>
        public bool Stopped => _stop is not null;

        public void Skip(int t, int attempt, AttemptOutcome outcome, TimeSpan waited, string detail) =>
            Add(new CallAttempt(t, Chain[t].DeploymentKey, Chain[t].Provider.Name, Chain[t].Model, attempt, outcome, null, null, waited, TimeSpan.Zero, detail));

        /// <summary>The deadline ends the call: no target is left time to try.</summary>
        public ModelCallFailedException PastDeadline(int t, int attempt, TimeSpan waited, string when)
        {
            Skip(t, attempt, AttemptOutcome.DeadlineExceeded, waited, $"the call's deadline passed {when}");
            return Failed();
        }

        public void Log(Admission a, AttemptOutcome outcome, ProviderException? e, string detail)
        {
            if (e is not null) _last = e;
            var target = Chain[a.Target];
            Add(new CallAttempt(a.Target, target.DeploymentKey, target.Provider.Name, target.Model, a.Attempt, outcome, e?.Kind, e?.StatusCode,
                a.Waited, _time.GetElapsedTime(a.StartedAt), e is null ? detail : $"{e.Message} — {detail}"));
        }

        private void Add(CallAttempt attempt)
        {
            lock (_attempts) _attempts.Add(attempt);
        }

        /// <summary>The call's one error: the decisive kind, and per target why it gave nothing.</summary>
        public ModelCallFailedException Failed()
        {
            var attempts = Attempts;
            var decisive = _stop ?? _last;
            var lastEntry = attempts.Count > 0 ? attempts[^1] : null;
            var kind = _stop?.Kind ?? lastEntry?.Outcome switch
            {
                AttemptOutcome.Failed => lastEntry.Kind ?? ProviderErrorKind.Overloaded,
                AttemptOutcome.SkippedBudgetExhausted => ProviderErrorKind.RateLimited,
                AttemptOutcome.DeadlineExceeded => ProviderErrorKind.Timeout,
                _ => ProviderErrorKind.Overloaded, // open circuits, full queues: no capacity now
            };
            var why = attempts.GroupBy(a => a.Target).Select(g =>
            {
                var last = g.Last();
                var tries = g.Count(a => a.Outcome is AttemptOutcome.Succeeded or AttemptOutcome.Failed or AttemptOutcome.Cancelled);
                return $"{last.Provider}/{last.Model}: {(tries > 0 ? $"{tries} attempt{(tries == 1 ? "" : "s")}, " : "")}{Describe(last)}";
            });
            var untried = Chain.Count - attempts.Select(a => a.Target).Distinct().Count();
            var message = (_stop is not null ? "The model call was refused: " : "The model call failed on every target: ")
                + string.Join("; ", why) + (untried > 0 ? $" ({untried} target{(untried == 1 ? "" : "s")} not tried)" : "") + ".";
            return new ModelCallFailedException(kind, message, decisive?.StatusCode, _retryAfter, attempts, decisive);
        }

        private static string Describe(CallAttempt a) => a.Outcome switch
        {
            AttemptOutcome.Failed => $"{a.Kind}{(a.StatusCode is { } s ? $" ({s})" : "")}: {a.Detail}",
            _ => a.Detail,
        };

        public void Dispose()
        {
            _linked.Dispose();
            _deadline.Dispose();
        }
    }
}

/// <summary>
/// A resilient stream: enumerate it once. <see cref="Attempts"/> is the attempt log (complete once the stream ended or
/// failed), <see cref="Target"/> the target that is answering (null until one started).
/// </summary>
public sealed class ResilientStream : IAsyncEnumerable<ModelDelta>
{
    private readonly ResilientModelClient _client;
    private readonly ModelRequest _request;
    private readonly IReadOnlyList<ModelTarget> _chain;
    private readonly ModelCallOptions? _options;
    private int _enumerated;

    internal ResilientStream(ResilientModelClient client, ModelRequest request, IReadOnlyList<ModelTarget> chain, ModelCallOptions? options)
    {
        _client = client;
        _request = request;
        _chain = chain;
        _options = options;
    }

    internal ResilientModelClient.CallRun? Run { get; set; }

    public ModelTarget? Target { get; internal set; }

    public IReadOnlyList<CallAttempt> Attempts => Run?.Attempts ?? [];

    public IAsyncEnumerator<ModelDelta> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0) throw new InvalidOperationException("A resilient stream is read once.");
        return _client.RunStreamAsync(_request, _chain, _options, this, cancellationToken).GetAsyncEnumerator(cancellationToken);
    }
}
