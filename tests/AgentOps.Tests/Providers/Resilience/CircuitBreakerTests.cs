using AgentOps.Providers;
using AgentOps.Providers.Resilience;

namespace AgentOps.Tests.Providers.Resilience;

public class CircuitBreakerTests
{
    private static readonly CircuitBreakerOptions Options = new() { FailureThreshold = 3, Cooldown = TimeSpan.FromSeconds(30) };
    private static readonly ProviderException ServerError = new(ProviderErrorKind.Overloaded, "500", 500);

    private static (CircuitBreaker Breaker, ManualTime Time) New()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero));
        return (new CircuitBreaker(Options, time), time);
    }

    [Fact]
    public void It_opens_after_the_threshold_of_consecutive_failures_and_skips_calls_for_the_cooldown()
    {
        var (breaker, time) = New();
        for (var i = 0; i < 2; i++)
        {
            Assert.True(breaker.TryPass());
            breaker.OnFailure(ServerError);
        }
        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.True(breaker.TryPass());
        breaker.OnFailure(ServerError);
        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.False(breaker.TryPass());
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(breaker.TryPass());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
    }

    [Fact]
    public void A_success_in_between_starts_the_count_again()
    {
        var (breaker, _) = New();
        breaker.OnFailure(ServerError);
        breaker.OnFailure(ServerError);
        breaker.OnSuccess();
        breaker.OnFailure(ServerError);
        breaker.OnFailure(ServerError);
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void Half_open_lets_one_probe_through_whose_success_closes_the_circuit()
    {
        var (breaker, time) = New();
        Open(breaker);
        time.Advance(Options.Cooldown);
        Assert.True(breaker.TryPass());
        Assert.False(breaker.TryPass()); // only one probe
        breaker.OnSuccess();
        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.True(breaker.TryPass());
        Assert.True(breaker.TryPass());
    }

    [Fact]
    public void A_failed_probe_reopens_for_another_cooldown_and_a_probe_without_verdict_frees_the_slot()
    {
        var (breaker, time) = New();
        Open(breaker);
        time.Advance(Options.Cooldown);
        Assert.True(breaker.TryPass());
        breaker.OnFailure(ServerError);
        Assert.Equal(CircuitState.Open, breaker.State);
        time.Advance(Options.Cooldown - TimeSpan.FromSeconds(1));
        Assert.False(breaker.TryPass());
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(breaker.TryPass());
        breaker.OnNoVerdict(); // the probe was cancelled
        Assert.True(breaker.TryPass());
    }

    [Theory]
    [InlineData(ProviderErrorKind.BadRequest, null, false)]
    [InlineData(ProviderErrorKind.ContentBlocked, null, false)]
    [InlineData(ProviderErrorKind.Unauthorized, null, false)]
    [InlineData(ProviderErrorKind.RateLimited, "rate_limit_exceeded", false)]
    [InlineData(ProviderErrorKind.RateLimited, "insufficient_quota", true)]
    [InlineData(ProviderErrorKind.Overloaded, null, true)]
    [InlineData(ProviderErrorKind.Timeout, null, true)]
    [InlineData(ProviderErrorKind.ConnectionFailed, null, true)]
    [InlineData(ProviderErrorKind.StreamCut, null, true)]
    [InlineData(ProviderErrorKind.InvalidResponse, null, true)]
    public void Only_failures_that_say_the_deployment_is_unhealthy_count(ProviderErrorKind kind, string? type, bool counts)
    {
        var e = new ProviderException(kind, "x", providerErrorType: type);
        Assert.Equal(counts, CircuitRules.Counts(e));
        var (breaker, _) = New();
        for (var i = 0; i < 10; i++) breaker.OnFailure(e);
        Assert.Equal(counts ? CircuitState.Open : CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void A_late_result_of_a_call_that_started_before_the_circuit_opened_changes_nothing()
    {
        var (breaker, _) = New();
        Open(breaker);
        var opened = breaker.Snapshot;
        breaker.OnSuccess();
        breaker.OnFailure(ServerError);
        Assert.Equal(opened, breaker.Snapshot);
    }

    private static void Open(CircuitBreaker breaker)
    {
        for (var i = 0; i < Options.FailureThreshold; i++) breaker.OnFailure(ServerError);
        Assert.Equal(CircuitState.Open, breaker.State);
    }
}
