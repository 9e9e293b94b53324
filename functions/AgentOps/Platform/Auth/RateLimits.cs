using System.Threading.RateLimiting;

namespace AgentOps.Platform.Auth;

/// <summary>
/// In-process rate limits (per server process; with N replicas the effective limit is up to N times higher —
/// documented in docs/configuration.md):
/// - per API key: token bucket, <see cref="AgentOpsOptions.ApiKeyRequestsPerSecond"/> sustained with bursts of
///   <see cref="AgentOpsOptions.ApiKeyBurst"/>, refilled every 100 ms (every second when the rate is not a multiple of 10);
/// - login: sliding minute per e-mail address and per client IP;
/// - signup: sliding hour per client IP.
/// Exceeding any answers 429 rate_limited with Retry-After.
/// </summary>
public sealed class RateLimits : IDisposable
{
    private readonly PartitionedRateLimiter<Guid> _apiKeys;
    private readonly PartitionedRateLimiter<string> _loginByEmail;
    private readonly PartitionedRateLimiter<string> _loginByIp;
    private readonly PartitionedRateLimiter<string> _signupByIp;

    public RateLimits(AgentOpsOptions options)
    {
        var refillsPerSecond = options.ApiKeyRequestsPerSecond % 10 == 0 ? 10 : 1;
        _apiKeys = PartitionedRateLimiter.Create<Guid, Guid>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.ApiKeyBurst,
            TokensPerPeriod = options.ApiKeyRequestsPerSecond / refillsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1.0 / refillsPerSecond),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        _loginByEmail = Sliding(options.LoginAttemptsPerMinutePerEmail, TimeSpan.FromMinutes(1));
        _loginByIp = Sliding(options.LoginAttemptsPerMinutePerIp, TimeSpan.FromMinutes(1));
        _signupByIp = Sliding(options.SignupsPerHourPerIp, TimeSpan.FromHours(1));
    }

    /// <summary>Sliding windows move in sixths: a refused caller can retry after one segment.</summary>
    private const int Segments = 6;

    private static PartitionedRateLimiter<string> Sliding(int permits, TimeSpan window) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetSlidingWindowLimiter(key, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = window,
            SegmentsPerWindow = Segments,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public void ApiKey(Guid keyId) => Acquire(_apiKeys, keyId, "This API key is over its request rate.", 1);

    public void Login(string email, string? ip)
    {
        Acquire(_loginByIp, ip ?? "unknown", "Too many login attempts from this address.", 60 / Segments);
        Acquire(_loginByEmail, email, "Too many login attempts for this account.", 60 / Segments);
    }

    public void Signup(string? ip) => Acquire(_signupByIp, ip ?? "unknown", "Too many signups from this address.", 3600 / Segments);

    private static void Acquire<T>(PartitionedRateLimiter<T> limiter, T key, string detail, int fallbackSeconds)
    {
        using var lease = limiter.AttemptAcquire(key);
        if (lease.IsAcquired) return;
        var retry = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? (int)Math.Ceiling(after.TotalSeconds) : fallbackSeconds;
        throw ApiProblem.TooManyRequests(detail, Math.Max(1, retry));
    }

    public void Dispose()
    {
        _apiKeys.Dispose();
        _loginByEmail.Dispose();
        _loginByIp.Dispose();
        _signupByIp.Dispose();
    }
}
