using AgentOps.Providers.Resilience;
using FsCheck;
using FsCheck.Fluent;

namespace AgentOps.Tests.Providers.Resilience;

public class BackoffTests
{
    private static readonly TimeSpan Base = Backoff.BaseDelay, Cap = Backoff.MaxDelay;
    private static readonly TimeSpan Plenty = TimeSpan.FromMinutes(10);

    [Fact]
    public void The_window_doubles_from_the_base_and_stops_at_the_cap()
    {
        Assert.Equal([250, 500, 1000, 2000, 4000, 8000, 16000, 20000, 20000],
            Enumerable.Range(0, 9).Select(n => Backoff.Window(n, Base, Cap).TotalMilliseconds));
        Assert.Equal(Cap, Backoff.Window(1_000, Base, Cap)); // no overflow however many retries
    }

    [Fact]
    public void Full_jitter_spans_zero_to_the_window()
    {
        Assert.Equal(TimeSpan.Zero, Backoff.Delay(2, 0, null, Base, Cap));
        Assert.Equal(TimeSpan.FromMilliseconds(500), Backoff.Delay(2, 0.5, null, Base, Cap));
        Assert.InRange(Backoff.Delay(2, 0.999999, null, Base, Cap).TotalMilliseconds, 999, 1000);
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Delay(0, 1.0, null, Base, Cap));
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Delay(0, double.NaN, null, Base, Cap));
    }

    [Fact]
    public void A_delay_is_within_the_window_and_never_shorter_than_the_retry_after() =>
        Prop.ForAll(Gen.Choose(0, 60).ToArbitrary(), Gen.Choose(0, 999_999).ToArbitrary(), Gen.Choose(-1, 120_000).ToArbitrary(), (retry, sample, afterMs) =>
        {
            TimeSpan? after = afterMs < 0 ? null : TimeSpan.FromMilliseconds(afterMs);
            var delay = Backoff.Delay(retry, sample / 1_000_000d, after, Base, Cap);
            var window = Backoff.Window(retry, Base, Cap);
            return delay >= TimeSpan.Zero && (after is { } a ? delay >= a && delay <= (a > window ? a : window) : delay <= window);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void The_providers_retry_after_is_waited_even_beyond_the_cap()
    {
        var decision = Backoff.Next(1, 3, TimeSpan.FromSeconds(45), Plenty, 0.1, Base, Cap);
        Assert.Equal(new BackoffDecision.Wait(TimeSpan.FromSeconds(45)), decision);
    }

    [Fact]
    public void A_wait_past_the_deadline_is_not_waited()
    {
        Assert.Equal(new BackoffDecision.GiveUp(GiveUpReason.PastDeadline, TimeSpan.FromSeconds(30)),
            Backoff.Next(1, 3, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(29), 0.5, Base, Cap));
        Assert.IsType<BackoffDecision.Wait>(Backoff.Next(1, 3, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(31), 0.5, Base, Cap));
        // Jitter alone may reach past a short deadline too.
        Assert.IsType<BackoffDecision.GiveUp>(Backoff.Next(3, 9, null, TimeSpan.FromMilliseconds(100), 0.9, Base, Cap));
    }

    [Fact]
    public void The_last_attempt_gives_up_whatever_the_wait()
    {
        Assert.IsType<BackoffDecision.Wait>(Backoff.Next(Backoff.MaxAttempts - 1, Backoff.MaxAttempts, null, Plenty, 0.5, Base, Cap));
        Assert.Equal(GiveUpReason.AttemptsExhausted,
            Assert.IsType<BackoffDecision.GiveUp>(Backoff.Next(Backoff.MaxAttempts, Backoff.MaxAttempts, null, Plenty, 0.5, Base, Cap)).Reason);
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Next(0, 3, null, Plenty, 0.5, Base, Cap));
    }
}
