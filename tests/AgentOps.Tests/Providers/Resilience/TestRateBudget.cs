using System.Collections.Concurrent;
using AgentOps.Providers;
using AgentOps.Providers.RateBudgets;

namespace AgentOps.Tests.Providers.Resilience;

/// <summary>
/// A small real rate budget for the resilience tests (the Postgres one has its own integration tests): a number of
/// requests per key that may still be admitted, and a record of every reservation and settlement, so a test sees that
/// each reservation was settled exactly once with the tokens used and the headers observed.
/// </summary>
public sealed class TestRateBudget : IRateBudget
{
    private readonly ConcurrentDictionary<RateKey, int> _requestsLeft = new();
    private readonly ConcurrentDictionary<Guid, RateReservation> _open = new();

    public ConcurrentQueue<RateReservation> Reserved { get; } = new();

    public ConcurrentQueue<(RateReservation Reservation, long UsedTokens, RateLimitInfo? Observed)> Settled { get; } = new();

    /// <summary>How long the exhausted answer says to wait.</summary>
    public TimeSpan RefillIn { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Reservations taken and not settled.</summary>
    public int Open => _open.Count;

    /// <summary>Admits only <paramref name="requests"/> more requests under <paramref name="key"/> (unlimited otherwise).</summary>
    public void Limit(RateKey key, int requests) => _requestsLeft[key] = requests;

    public Task<RateAdmission> ReserveAsync(RateKey key, long estimatedTokens, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (_requestsLeft.TryGetValue(key, out var left))
        {
            if (left <= 0) return Task.FromResult<RateAdmission>(new RateAdmission.Exhausted("requests", RefillIn));
            _requestsLeft[key] = left - 1;
        }
        var reservation = new RateReservation(Guid.NewGuid(), key, estimatedTokens, DateTimeOffset.UtcNow.AddMinutes(2));
        _open[reservation.Id] = reservation;
        Reserved.Enqueue(reservation);
        return Task.FromResult<RateAdmission>(new RateAdmission.Admitted(reservation));
    }

    public Task SettleAsync(RateReservation reservation, long usedTokens, RateLimitInfo? observed, CancellationToken ct)
    {
        if (!_open.TryRemove(reservation.Id, out _)) throw new InvalidOperationException($"Reservation {reservation.Id} settled twice or never taken.");
        Settled.Enqueue((reservation, usedTokens, observed));
        return Task.CompletedTask;
    }
}
