using System.Collections.Concurrent;

namespace AgentOps.Providers.Resilience;

/// <summary>The limits of the resilience layer (one set per process).</summary>
public sealed record ResilienceOptions
{
    /// <summary>Deployments whose breaker and limiter are kept; beyond it the least recently used idle ones are forgotten.</summary>
    public const int DefaultMaxDeployments = 10_000;

    /// <summary>The time a call has in all (every target, attempt and wait) when its caller gives none.</summary>
    public static readonly TimeSpan DefaultCallTimeout = TimeSpan.FromSeconds(120);

    public int MaxAttemptsPerTarget { get; init; } = Backoff.MaxAttempts;

    public TimeSpan BaseDelay { get; init; } = Backoff.BaseDelay;

    public TimeSpan MaxDelay { get; init; } = Backoff.MaxDelay;

    public TimeSpan DefaultTimeout { get; init; } = DefaultCallTimeout;

    public int MaxDeployments { get; init; } = DefaultMaxDeployments;

    public CircuitBreakerOptions Breaker { get; init; } = new();

    public ConcurrencyOptions Concurrency { get; init; } = new();
}

/// <summary>The state kept per deployment: its circuit breaker and its concurrency limiter.</summary>
public sealed class DeploymentHealth(CircuitBreaker breaker, AdaptiveConcurrency concurrency)
{
    public CircuitBreaker Breaker { get; } = breaker;

    public AdaptiveConcurrency Concurrency { get; } = concurrency;

    internal long LastUsed;

    /// <summary>Nothing would be lost by forgetting it: the circuit is closed with no failures counted and no call holds or waits for a slot.</summary>
    internal bool IsIdle => Breaker.Snapshot == CircuitSnapshot.Initial && Concurrency.IsIdle;
}

/// <summary>
/// Every deployment's breaker and limiter, shared by all calls of the process (a singleton): keyed by the deployment
/// key (connection + model), at most <see cref="ResilienceOptions.MaxDeployments"/> of them. When full, the least
/// recently used idle ones are forgotten (an idle one holds nothing but a learnt limit); a deployment that is open or
/// busy is never forgotten, so a flood of new keys cannot reset a breaker.
/// </summary>
public sealed class ResilienceRegistry(ResilienceOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, DeploymentHealth> _deployments = new(StringComparer.Ordinal);
    private readonly object _evicting = new();
    private long _clock;

    public ResilienceOptions Options { get; } = options;

    public int Count => _deployments.Count;

    public DeploymentHealth For(string deploymentKey)
    {
        var health = _deployments.GetOrAdd(deploymentKey,
            _ => new DeploymentHealth(new CircuitBreaker(Options.Breaker, time), new AdaptiveConcurrency(Options.Concurrency, time)));
        Volatile.Write(ref health.LastUsed, Interlocked.Increment(ref _clock));
        if (_deployments.Count > Options.MaxDeployments) Evict(deploymentKey);
        return health;
    }

    /// <summary>Forgets idle deployments, least recently used first, down to 90 % of the limit (so eviction is not paid on every new key).</summary>
    private void Evict(string keep)
    {
        lock (_evicting)
        {
            var target = Options.MaxDeployments * 9 / 10;
            if (_deployments.Count <= Options.MaxDeployments) return;
            foreach (var (key, health) in _deployments.OrderBy(d => Volatile.Read(ref d.Value.LastUsed)).ToList())
            {
                if (_deployments.Count <= target) break;
                if (key != keep && health.IsIdle) _deployments.TryRemove(new KeyValuePair<string, DeploymentHealth>(key, health));
            }
        }
    }
}
