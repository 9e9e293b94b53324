namespace AgentOps.Providers.Resilience;

/// <summary>What to do after a transient failure: wait this long and try the same target again, or give up on it.</summary>
public abstract record BackoffDecision
{
    private BackoffDecision() { }

    public sealed record Wait(TimeSpan Delay) : BackoffDecision;

    public sealed record GiveUp(GiveUpReason Reason, TimeSpan WouldWait) : BackoffDecision;
}

public enum GiveUpReason
{
    /// <summary>The target had its <see cref="Backoff.MaxAttempts"/> (or the configured number of) attempts.</summary>
    AttemptsExhausted,
    /// <summary>The wait (the provider's retry-after above all) would end after the call's deadline.</summary>
    PastDeadline,
}

/// <summary>
/// Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): the n-th retry waits
/// a uniformly random time in [0, min(cap, base·2^n)], which spreads a crowd of callers that failed together — but
/// never less than the provider's retry-after, which is the provider telling us when capacity returns. A wait that
/// would end past the call's deadline is not waited: the caller moves on (to the next target) now.
/// </summary>
public static class Backoff
{
    /// <summary>The first retry's jitter window: [0, 250 ms].</summary>
    public static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>The largest jitter window (the provider's retry-after may ask for longer, and is honored).</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(20);

    /// <summary>Attempts on one target (the first call and its retries) before falling back to the next target.</summary>
    public const int MaxAttempts = 3;

    /// <summary>The jitter window before retry number <paramref name="retry"/> (0 for the first retry): min(cap, base·2^retry).</summary>
    public static TimeSpan Window(int retry, TimeSpan baseDelay, TimeSpan cap)
    {
        if (retry < 0) throw new ArgumentOutOfRangeException(nameof(retry));
        // 2^30·base overflows nothing and is beyond any sane cap; shifting further would.
        var window = baseDelay.Ticks * (double)(1L << Math.Min(retry, 30));
        return window >= cap.Ticks ? cap : TimeSpan.FromTicks((long)window);
    }

    /// <summary>
    /// A full-jitter delay: <paramref name="unit"/> (uniform in [0, 1), from the caller's random source) times the window,
    /// raised to <paramref name="retryAfter"/> when the provider asked for longer.
    /// </summary>
    public static TimeSpan Delay(int retry, double unit, TimeSpan? retryAfter, TimeSpan baseDelay, TimeSpan cap)
    {
        if (unit is < 0 or >= 1 || double.IsNaN(unit)) throw new ArgumentOutOfRangeException(nameof(unit), "must be in [0, 1).");
        var jitter = TimeSpan.FromTicks((long)(Window(retry, baseDelay, cap).Ticks * unit));
        return retryAfter is { } after && after > jitter ? after : jitter;
    }

    /// <summary>
    /// After <paramref name="attemptsMade"/> attempts on a target (the last one failed transiently): wait, or give up
    /// when the attempts are spent or the wait would not end before <paramref name="remaining"/> (the time left until
    /// the call's deadline) does.
    /// </summary>
    public static BackoffDecision Next(int attemptsMade, int maxAttempts, TimeSpan? retryAfter, TimeSpan remaining, double unit,
        TimeSpan baseDelay, TimeSpan cap)
    {
        if (attemptsMade < 1) throw new ArgumentOutOfRangeException(nameof(attemptsMade), "at least one attempt was made.");
        var delay = Delay(attemptsMade - 1, unit, retryAfter, baseDelay, cap);
        if (attemptsMade >= maxAttempts) return new BackoffDecision.GiveUp(GiveUpReason.AttemptsExhausted, delay);
        return delay >= remaining ? new BackoffDecision.GiveUp(GiveUpReason.PastDeadline, delay) : new BackoffDecision.Wait(delay);
    }
}
