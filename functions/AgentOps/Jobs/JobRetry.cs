namespace AgentOps.Jobs;

/// <summary>
/// When a failed shard runs again: exponential backoff with jitter, the first delay (AGENTOPS_JOB_RETRY_FIRST_MS,
/// default 5 s) doubling per attempt up to 10 min, the jitter drawing the delay from [½, 1] of that (so retries of
/// many shards spread out).
/// </summary>
public static class JobRetry
{
    public static readonly TimeSpan Cap = TimeSpan.FromMinutes(10);

    /// <param name="attempt">1 for the first retry.</param>
    /// <param name="unit">a random number in [0, 1).</param>
    public static TimeSpan Delay(int attempt, double unit, TimeSpan first)
    {
        var full = Math.Min(Cap.TotalMilliseconds, first.TotalMilliseconds * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30)));
        return TimeSpan.FromMilliseconds(full * (0.5 + unit / 2));
    }
}
