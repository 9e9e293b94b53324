namespace AgentOps.Providers.Resilience;

public enum CircuitState
{
    /// <summary>Calls go through; consecutive counted failures are counted.</summary>
    Closed,
    /// <summary>Calls are skipped until the cooldown has passed.</summary>
    Open,
    /// <summary>The cooldown passed: one probe call goes through; its outcome closes or reopens the circuit.</summary>
    HalfOpen,
}

/// <summary>When a deployment's circuit opens and for how long.</summary>
public sealed record CircuitBreakerOptions
{
    /// <summary>Consecutive counted failures that open the circuit (a success in between starts the count again).</summary>
    public const int DefaultFailureThreshold = 5;

    /// <summary>How long an open circuit skips the deployment before letting one probe through.</summary>
    public static readonly TimeSpan DefaultCooldown = TimeSpan.FromSeconds(30);

    public int FailureThreshold { get; init; } = DefaultFailureThreshold;

    public TimeSpan Cooldown { get; init; } = DefaultCooldown;
}

/// <summary>A circuit's state: consecutive failures, when it opened, and whether the half-open probe is out.</summary>
public sealed record CircuitSnapshot(CircuitState State, int ConsecutiveFailures, DateTimeOffset? OpenedAt, bool ProbeInFlight)
{
    public static CircuitSnapshot Initial { get; } = new(CircuitState.Closed, 0, null, false);
}

/// <summary>
/// The breaker's pure rules. It opens after <see cref="CircuitBreakerOptions.FailureThreshold"/> consecutive counted
/// failures — consecutive rather than a ratio over a window, because a deployment's traffic may be a trickle (a ratio
/// over 3 calls means nothing) and a run of failures in a row is the signal a dead endpoint gives. It stays open for the
/// cooldown; then one probe is let through (half-open): success closes it, failure opens it for another cooldown.
/// </summary>
public static class CircuitRules
{
    /// <summary>
    /// Whether a failure says the deployment is unhealthy: transient failures (5xx, overload, timeouts, broken
    /// connections, cut streams) and invalid responses do; the request's own faults (BadRequest, ContentBlocked) and the
    /// credential's (Unauthorized) do not, nor does a 429: that is the provider telling us to slow down (backoff, the
    /// concurrency limit and the rate budget answer it) — except a 429 for an exhausted quota, which no waiting fixes.
    /// </summary>
    public static bool Counts(ProviderException e) => e.Kind switch
    {
        ProviderErrorKind.RateLimited => e.ProviderErrorType is "insufficient_quota",
        ProviderErrorKind.Overloaded or ProviderErrorKind.Timeout or ProviderErrorKind.ConnectionFailed
            or ProviderErrorKind.StreamCut or ProviderErrorKind.InvalidResponse => true,
        _ => false,
    };

    /// <summary>Whether a call may go now, and the state after it was let through (a half-open circuit sends one probe).</summary>
    public static (bool Allowed, CircuitSnapshot Next) TryPass(CircuitSnapshot s, DateTimeOffset now, CircuitBreakerOptions o) => s.State switch
    {
        CircuitState.Closed => (true, s),
        CircuitState.Open when now - s.OpenedAt >= o.Cooldown => (true, s with { State = CircuitState.HalfOpen, ProbeInFlight = true }),
        CircuitState.HalfOpen when !s.ProbeInFlight => (true, s with { ProbeInFlight = true }),
        _ => (false, s),
    };

    /// <summary>A success closes the circuit (a half-open probe's above all); a late success of a call that started before it opened does not.</summary>
    public static CircuitSnapshot OnSuccess(CircuitSnapshot s) => s.State == CircuitState.Open ? s : CircuitSnapshot.Initial;

    /// <summary>A counted failure: one more in a row, or the circuit opens (a failed probe reopens it at once).</summary>
    public static CircuitSnapshot OnFailure(CircuitSnapshot s, DateTimeOffset now, CircuitBreakerOptions o) => s.State switch
    {
        CircuitState.HalfOpen => new(CircuitState.Open, s.ConsecutiveFailures + 1, now, false),
        // A late failure of a call that started before the circuit opened changes nothing.
        CircuitState.Open => s,
        _ when s.ConsecutiveFailures + 1 >= o.FailureThreshold => new(CircuitState.Open, s.ConsecutiveFailures + 1, now, false),
        _ => s with { ConsecutiveFailures = s.ConsecutiveFailures + 1 },
    };

    /// <summary>A call that ended without a verdict on the deployment (cancelled, refused before sending, a request fault): the probe slot frees.</summary>
    public static CircuitSnapshot OnNoVerdict(CircuitSnapshot s) => s.State == CircuitState.HalfOpen ? s with { ProbeInFlight = false } : s;
}

/// <summary>One deployment's circuit breaker (a provider connection and model), over <see cref="CircuitRules"/>; thread-safe.</summary>
public sealed class CircuitBreaker(CircuitBreakerOptions? options = null, TimeProvider? time = null)
{
    private readonly object _gate = new();
    private readonly CircuitBreakerOptions _options = options ?? new CircuitBreakerOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private CircuitSnapshot _state = CircuitSnapshot.Initial;

    public CircuitSnapshot Snapshot { get { lock (_gate) return _state; } }

    /// <summary>The state as a caller would find it now (an open circuit whose cooldown passed reads half-open).</summary>
    public CircuitState State
    {
        get
        {
            lock (_gate)
                return _state.State == CircuitState.Open && _time.GetUtcNow() - _state.OpenedAt >= _options.Cooldown ? CircuitState.HalfOpen : _state.State;
        }
    }

    /// <summary>Whether a call may go to the deployment now; every call let through must end in one of the On… reports.</summary>
    public bool TryPass()
    {
        lock (_gate)
        {
            (var allowed, _state) = CircuitRules.TryPass(_state, _time.GetUtcNow(), _options);
            return allowed;
        }
    }

    public void OnSuccess()
    {
        lock (_gate) _state = CircuitRules.OnSuccess(_state);
    }

    /// <summary>A failed call: counted when <see cref="CircuitRules.Counts"/> says so, otherwise no verdict.</summary>
    public void OnFailure(ProviderException e)
    {
        lock (_gate) _state = CircuitRules.Counts(e) ? CircuitRules.OnFailure(_state, _time.GetUtcNow(), _options) : CircuitRules.OnNoVerdict(_state);
    }

    public void OnNoVerdict()
    {
        lock (_gate) _state = CircuitRules.OnNoVerdict(_state);
    }
}
