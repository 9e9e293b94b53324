using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using AgentOps.Contracts;
using AgentOps.Platform.Events;

namespace AgentOps.Ingest;

/// <summary>
/// Events per second per organization: a token bucket with the organization's own rate and burst (organizations
/// columns ingest_events_per_second, default 1,000, and ingest_burst, default 5,000), refilled every 100 ms (every second
/// when the rate is not a multiple of 10). A batch
/// takes as many tokens as it has valid events; when they are not there, the whole request gets 429 with Retry-After
/// and nothing is accepted. Per process, like the other limits; settings are re-read every <see cref="SettingsFreshness"/>.
/// </summary>
public sealed class IngestRateLimits(Db db, TimeProvider time) : IAfterCommit<OrganizationUpdated>, IDisposable
{
    public static readonly TimeSpan SettingsFreshness = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<Guid, (DateTimeOffset At, int Rate, int Burst)> _settings = new();
    private readonly ConcurrentDictionary<(Guid Org, int Rate, int Burst), TokenBucketRateLimiter> _buckets = new();

    public async Task AcquireAsync(Guid orgId, int events, CancellationToken ct)
    {
        if (events == 0) return;
        var (rate, burst) = await SettingsAsync(orgId, ct);
        if (events > burst)
            throw new ApiProblem(413, "batch_exceeds_burst", "Payload too large",
                $"This batch has {events} events; the organization's ingest burst is {burst}. Send smaller batches.");
        // Refill every 100 ms when the rate divides by 10 (smooth), else every second (exact).
        var bucket = _buckets.GetOrAdd((orgId, rate, burst), key => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = key.Burst,
            TokensPerPeriod = key.Rate % 10 == 0 ? key.Rate / 10 : key.Rate,
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(key.Rate % 10 == 0 ? 100 : 1000),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        using var lease = bucket.AttemptAcquire(events);
        if (!lease.IsAcquired)
        {
            // Time for the missing tokens to refill, rounded up to whole seconds.
            var seconds = Math.Max(1, (int)Math.Ceiling((double)events / Math.Max(1, rate)));
            throw ApiProblem.TooManyRequests($"The organization's ingest rate is {rate} events/s (burst {burst}). Nothing in this batch was accepted.", seconds);
        }
    }

    private async Task<(int Rate, int Burst)> SettingsAsync(Guid orgId, CancellationToken ct)
    {
        if (_settings.TryGetValue(orgId, out var hit) && time.GetUtcNow() - hit.At < SettingsFreshness) return (hit.Rate, hit.Burst);
        var row = await db.InOrgAsync(orgId, tx => tx.SingleAsync("SELECT ingest_events_per_second, ingest_burst FROM organizations WHERE id = $1",
            r => new[] { r.GetInt32(0), r.GetInt32(1) }, ct, orgId), ct) ?? [1000, 5000];
        _settings[orgId] = (time.GetUtcNow(), row[0], row[1]);
        return (row[0], row[1]);
    }

    /// <summary>Once a profile change committed, this replica reads the new rate and burst at the next request.</summary>
    public void Committed(Guid orgId, OrganizationUpdated e) => _settings.TryRemove(orgId, out _);

    public void Dispose()
    {
        foreach (var bucket in _buckets.Values) bucket.Dispose();
    }
}
