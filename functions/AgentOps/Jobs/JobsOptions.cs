namespace AgentOps.Jobs;

/// <summary>Jobs' settings, read and validated by <see cref="JobsModule"/>.</summary>
public sealed record JobsOptions
{
    /// <summary>The first retry of a failed shard waits this long; it doubles per attempt up to 10 minutes, with jitter (<see cref="JobRetry"/>).</summary>
    public TimeSpan RetryFirstDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a shard's claim lasts without a batch renewing it.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Reads AGENTOPS_JOB_RETRY_FIRST_MS (10–600,000) and AGENTOPS_JOB_LEASE_SECONDS (2–3,600).</summary>
    public static JobsOptions Read(Settings settings) => new()
    {
        RetryFirstDelay = TimeSpan.FromMilliseconds(settings.Int("AGENTOPS_JOB_RETRY_FIRST_MS", 5000, 10, 600_000)),
        Lease = TimeSpan.FromSeconds(settings.Int("AGENTOPS_JOB_LEASE_SECONDS", 60, 2, 3600)),
    };
}
