using System.Text.Json;
using AgentOps.Jobs;

namespace AgentOps.Tests.Jobs;

public class ShardClaimsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);
    private const string Me = "durable:agentops:job:0";

    private static Shard Shard(string status, DateTimeOffset? nextAttempt = null, string? owner = null, DateTimeOffset? leaseExpires = null) =>
        new(0, "events", null, null, status, 1, nextAttempt ?? Now.AddMinutes(-1), null, 0, 0, 0, JsonDocument.Parse("{}").RootElement, owner, leaseExpires, null, null, null);

    [Theory]
    [InlineData("succeeded", ShardOutcome.Succeeded)]
    [InlineData("failed", ShardOutcome.Failed)]
    [InlineData("cancelled", ShardOutcome.Cancelled)]
    public void A_finished_shard_is_not_run_again_and_reports_its_end(string status, ShardOutcome outcome)
    {
        var claim = ShardClaims.Decide(Shard(status), Me, Now);
        Assert.False(claim.Take);
        Assert.Equal(new ShardRun(outcome), claim.Run);
    }

    [Fact]
    public void A_pending_shard_waits_for_its_backoff_then_is_taken()
    {
        var later = Now.AddSeconds(30);
        Assert.Equal(new ShardClaim(false, Run: new ShardRun(ShardOutcome.Waiting, later.UtcDateTime)), ShardClaims.Decide(Shard("pending", later), Me, Now));
        Assert.Equal(new ShardClaim(true), ShardClaims.Decide(Shard("pending", Now), Me, Now));
    }

    [Fact]
    public void Its_own_running_shard_is_resumed_at_once_a_redelivery_never_waits_for_its_own_lease()
    {
        Assert.Equal(new ShardClaim(true, Resumed: true), ShardClaims.Decide(Shard("running", owner: Me, leaseExpires: Now.AddMinutes(1)), Me, Now));
    }

    [Fact]
    public void Another_owners_live_lease_is_left_alone_until_it_expires_then_taken_over()
    {
        var expires = Now.AddSeconds(20);
        var held = Shard("running", owner: "durable:other-hub:job:0", leaseExpires: expires);
        Assert.Equal(new ShardClaim(false, Run: new ShardRun(ShardOutcome.Waiting, expires.UtcDateTime)), ShardClaims.Decide(held, Me, Now));
        Assert.Equal(new ShardClaim(true, Resumed: true), ShardClaims.Decide(held, Me, expires));
        Assert.Equal(new ShardClaim(true, Resumed: true), ShardClaims.Decide(Shard("running", owner: "x", leaseExpires: null), Me, Now));
    }

    [Fact]
    public void An_unknown_status_is_an_error_not_a_guess() =>
        Assert.Throws<InvalidOperationException>(() => ShardClaims.Decide(Shard("paused"), Me, Now));
}
