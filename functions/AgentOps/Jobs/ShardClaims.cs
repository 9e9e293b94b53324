namespace AgentOps.Jobs;

/// <summary>Whether an owner may run a shard now. Take with Resumed: the shard was already running (its run was interrupted) and goes on from its checkpoint.</summary>
public sealed record ShardClaim(bool Take, bool Resumed = false, ShardRun? Run = null);

/// <summary>
/// Who may run a shard, decided from its row alone. The job orchestration asks as the shard's one owner
/// (<c>durable:{job}:{idx}</c>), so a redelivered activity — its worker crashed or stopped mid-run — takes its own
/// shard back at once and resumes at the checkpoint; a pending shard waits for its backoff; another owner's shard is
/// left alone until that owner's lease runs out (e.g. a worker of an older version during a rolling deploy).
/// </summary>
public static class ShardClaims
{
    public static ShardClaim Decide(Shard shard, string owner, DateTimeOffset now) => shard.Status switch
    {
        "succeeded" => Finished(ShardOutcome.Succeeded),
        "failed" => Finished(ShardOutcome.Failed),
        "cancelled" => Finished(ShardOutcome.Cancelled),
        "pending" when shard.NextAttemptAt > now => new ShardClaim(false, Run: new ShardRun(ShardOutcome.Waiting, shard.NextAttemptAt.UtcDateTime)),
        "pending" => new ShardClaim(true),
        "running" when shard.LeaseOwner != owner && shard.LeaseExpiresAt is { } expires && expires > now =>
            new ShardClaim(false, Run: new ShardRun(ShardOutcome.Waiting, expires.UtcDateTime)),
        "running" => new ShardClaim(true, Resumed: true),
        _ => throw new InvalidOperationException($"Shard {shard.Idx} has an unknown status {shard.Status}."),
    };

    private static ShardClaim Finished(ShardOutcome outcome) => new(false, Run: new ShardRun(outcome));
}
