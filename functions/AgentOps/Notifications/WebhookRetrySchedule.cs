namespace AgentOps.Notifications;

/// <summary>What becomes of a delivery after an attempt.</summary>
public enum DeliveryStatus { Pending, Succeeded, Failed }

/// <summary>The decision after one attempt: the new status and, while pending, how long until the next attempt.</summary>
public sealed record DeliveryOutcome(DeliveryStatus Status, TimeSpan? RetryIn)
{
    public static string ToWire(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Pending => "pending", DeliveryStatus.Succeeded => "succeeded", _ => "failed",
    };
}

/// <summary>
/// When a failed delivery is tried again (pure): exponential backoff with jitter, capped, for a bounded number of
/// attempts, then the delivery is failed (an admin may redeliver it). The default — 30 s, 2 min, 8 min, 32 min, 2 h 8 min,
/// 8 h 32 min, 10 h between 8 attempts in all — keeps trying for about 21 hours, long enough to ride out a receiver's bad day and
/// short enough that nobody is surprised by a day-old event. Registered in DI so tests can run a fast schedule.
/// </summary>
public sealed record WebhookRetrySchedule(TimeSpan FirstDelay, double Factor, TimeSpan MaxDelay, int MaxAttempts, double Jitter)
{
    public static readonly TimeSpan DefaultFirstDelay = TimeSpan.FromSeconds(30);
    public const double DefaultFactor = 4;
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromHours(10);
    public const int DefaultMaxAttempts = 8;
    /// <summary>Each delay is spread by ±20 % so that receivers coming back from an outage are not hit by every retry at once.</summary>
    public const double DefaultJitter = 0.2;

    public static WebhookRetrySchedule Default { get; } = new(DefaultFirstDelay, DefaultFactor, DefaultMaxDelay, DefaultMaxAttempts, DefaultJitter);

    /// <summary>The delay before attempt <paramref name="attemptsMade"/> + 1 without jitter: FirstDelay × Factor^(n−1), capped.</summary>
    public TimeSpan NominalDelay(int attemptsMade)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attemptsMade, 1);
        var seconds = FirstDelay.TotalSeconds * Math.Pow(Factor, attemptsMade - 1);
        return seconds >= MaxDelay.TotalSeconds || double.IsInfinity(seconds) ? MaxDelay : TimeSpan.FromSeconds(seconds);
    }

    /// <summary>
    /// The decision after attempt number <paramref name="attemptsMade"/> (1 for the first). <paramref name="jitterSample"/>
    /// is a uniform random number in [0, 1) (a parameter, so the function stays pure and testable). A refused target
    /// (<paramref name="permanent"/>) fails at once: retrying cannot make a forbidden address allowed.
    /// </summary>
    public DeliveryOutcome After(int attemptsMade, bool succeeded, bool permanent, double jitterSample)
    {
        if (succeeded) return new DeliveryOutcome(DeliveryStatus.Succeeded, null);
        if (permanent || attemptsMade >= MaxAttempts) return new DeliveryOutcome(DeliveryStatus.Failed, null);
        var spread = 1 + Jitter * (2 * Math.Clamp(jitterSample, 0, 1) - 1);
        var delay = TimeSpan.FromSeconds(NominalDelay(attemptsMade).TotalSeconds * spread);
        return new DeliveryOutcome(DeliveryStatus.Pending, delay > MaxDelay ? MaxDelay : delay);
    }
}
