using AgentOps.Platform;
using AgentOps.Providers;
using AgentOps.Providers.RateBudgets;
using FsCheck;
using FsCheck.Fluent;

namespace AgentOps.Tests.Providers;

public class RateBudgetRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 1, 30, 0, TimeSpan.Zero);

    /// <summary>Times over a few days around T0, to the tick.</summary>
    private static readonly Arbitrary<DateTimeOffset> Times =
        Gen.Choose(0, int.MaxValue).Select(n => T0.AddTicks((long)n * 1237)).ToArbitrary();

    [Fact]
    public void A_time_falls_in_the_minute_that_starts_at_or_before_it_and_ends_after_it() =>
        Prop.ForAll(Times, t =>
        {
            var start = RateBudgetRules.WindowOf(t);
            return start <= t && t < RateBudgetRules.WindowEnd(start) && start.Offset == TimeSpan.Zero && start.Second == 0 && start.Millisecond == 0
                && start.UtcTicks % TimeSpan.TicksPerMinute == 0 && RateBudgetRules.WindowOf(start) == start
                && RateBudgetRules.UntilNextWindow(t) > TimeSpan.Zero && RateBudgetRules.UntilNextWindow(t) <= RateBudgetRules.Window;
        }).QuickCheckThrowOnFailure();

    [Theory]
    [InlineData("2026-12-07T01:30:00Z", "2026-12-07T01:30:00Z", 60_000)]
    [InlineData("2026-12-07T01:30:59.999Z", "2026-12-07T01:30:00Z", 1)]
    [InlineData("2026-12-07T02:30:15+01:00", "2026-12-07T01:30:00Z", 45_000)] // an offset is the same instant
    public void Windows_are_whole_utc_minutes(string at, string start, int millisecondsLeft)
    {
        var t = DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture), RateBudgetRules.WindowOf(t));
        Assert.Equal(TimeSpan.FromMilliseconds(millisecondsLeft), RateBudgetRules.UntilNextWindow(t));
    }

    [Fact]
    public void The_models_own_override_wins_then_the_providers_then_the_defaults()
    {
        var own = new RateLimit(10, 100, "override");
        var provider = new RateLimit(20, 200, "provider");
        Assert.Equal(own, RateBudgetRules.Effective(own, provider, 1800, 800_000));
        Assert.Equal(provider, RateBudgetRules.Effective(null, provider, 1800, 800_000));
        Assert.Equal(new RateLimit(1800, 800_000, "default"), RateBudgetRules.Effective(null, null, 1800, 800_000));
    }

    private static readonly Arbitrary<(RateWindowState State, RateLimit Limit, long Estimate, DateTimeOffset Now)> Situations =
        (from rpm in Gen.Choose(1, 50)
         from tpm in Gen.Choose(1, 5000)
         from requests in Gen.Choose(0, 60)
         from tokens in Gen.Choose(0, 6000)
         from estimate in Gen.Choose(0, 6000)
         from seconds in Gen.Choose(0, 59)
         from held in Gen.Choose(-30, 90)
         from holds in Gen.Elements(true, false)
         let now = T0.AddSeconds(seconds).AddMilliseconds(250)
         select (new RateWindowState(requests, tokens, holds ? now.AddSeconds(held) : null, holds ? RateBudgetRules.Tokens : null),
             new RateLimit(rpm, tpm, "default"), (long)estimate, now)).ToArbitrary();

    [Fact]
    public void A_refusal_names_the_spent_budget_and_a_wait_exactly_when_the_call_is_not_admitted() =>
        Prop.ForAll(Situations, s =>
        {
            var admits = RateBudgetRules.Admits(s.State, s.Limit, s.Estimate, s.Now);
            var refusal = RateBudgetRules.Refusal(s.State, s.Limit, s.Estimate, s.Now);
            if (admits) return refusal is null;
            if (refusal is null || refusal.RetryAfter <= TimeSpan.Zero) return false;
            return s.State.HeldUntil > s.Now
                ? refusal.Budget == RateBudgetRules.Tokens && refusal.RetryAfter == s.State.HeldUntil.Value - s.Now
                : refusal.RetryAfter == RateBudgetRules.UntilNextWindow(s.Now)
                  && refusal.Budget == (s.State.Requests + 1 > s.Limit.Rpm ? RateBudgetRules.Requests : RateBudgetRules.Tokens);
        }).QuickCheckThrowOnFailure();

    /// <summary>
    /// The budget arithmetic as the upsert runs it, one reservation after the other under the row lock: whatever the
    /// order and sizes of the calls, what is admitted never exceeds either cap, and a call is refused only when it
    /// would have.
    /// </summary>
    [Fact]
    public void Reservations_admitted_in_any_order_never_exceed_either_cap() =>
        Prop.ForAll(Gen.Choose(1, 100).ToArbitrary(), Gen.Choose(1, 10_000).ToArbitrary(), Gen.ListOf(Gen.Choose(0, 800)).ToArbitrary(), (rpm, tpm, estimates) =>
        {
            var limit = new RateLimit(rpm, tpm, "default");
            var state = RateWindowState.Empty;
            foreach (var estimate in estimates)
            {
                var fits = state.Requests + 1 <= rpm && state.Tokens + estimate <= tpm;
                if (RateBudgetRules.Admits(state, limit, estimate, T0) != fits) return false;
                if (fits) state = state with { Requests = state.Requests + 1, Tokens = state.Tokens + estimate };
            }
            return state.Requests <= rpm && state.Tokens <= tpm;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Two_hundred_calls_against_a_budget_of_one_hundred_admit_one_hundred()
    {
        var limit = new RateLimit(100, 800_000, "default");
        var state = RateWindowState.Empty;
        var admitted = 0;
        for (var i = 0; i < 200; i++)
            if (RateBudgetRules.Admits(state, limit, 1000, T0)) { admitted++; state = state with { Requests = state.Requests + 1, Tokens = state.Tokens + 1000 }; }
        Assert.Equal(100, admitted);
    }

    [Fact]
    public void An_estimate_above_the_tokens_per_minute_never_fits()
    {
        var limit = new RateLimit(100, 1000, "default");
        Assert.False(RateBudgetRules.NeverFits(limit, 1000));
        Assert.True(RateBudgetRules.NeverFits(limit, 1001));
        Assert.False(RateBudgetRules.Admits(RateWindowState.Empty, limit, 1001, T0));
    }

    private static readonly Arbitrary<(RateWindowState State, RateLimit Limit, RateLimitInfo Info, DateTimeOffset Now)> Headers =
        (from rpm in Gen.Choose(1, 100)
         from tpm in Gen.Choose(1, 10_000)
         from requests in Gen.Choose(0, 100)
         from tokens in Gen.Choose(0, 10_000)
         from remainingRequests in Gen.Choose(-5, 150).Select(n => n > 140 ? (long?)null : n)
         from remainingTokens in Gen.Choose(-5, 12_000).Select(n => n > 11_500 ? (long?)null : n)
         from resetRequests in Gen.Choose(0, 200_000).Select(ms => ms > 190_000 ? (TimeSpan?)null : TimeSpan.FromMilliseconds(ms))
         from resetTokens in Gen.Choose(0, 200_000).Select(ms => ms > 190_000 ? (TimeSpan?)null : TimeSpan.FromMilliseconds(ms))
         from seconds in Gen.Choose(0, 59)
         select (new RateWindowState(Math.Min(requests, rpm), Math.Min(tokens, tpm)), new RateLimit(rpm, tpm, "default"),
             new RateLimitInfo(null, remainingRequests, resetRequests, null, remainingTokens, resetTokens), T0.AddSeconds(seconds))).ToArbitrary();

    [Fact]
    public void The_providers_headers_only_ever_raise_our_counts_to_leave_no_more_than_it_has_left() =>
        Prop.ForAll(Headers, h =>
        {
            var r = RateBudgetRules.Resync(h.State, h.Limit, h.Info, h.Now);
            var requests = r?.Requests ?? h.State.Requests;
            var tokens = r?.Tokens ?? h.State.Tokens;
            var end = RateBudgetRules.WindowEnd(RateBudgetRules.WindowOf(h.Now));
            return requests >= h.State.Requests && tokens >= h.State.Tokens && requests <= h.Limit.Rpm && tokens <= h.Limit.Tpm
                && (h.Info.RemainingRequests is not { } rr || h.Limit.Rpm - requests <= Math.Max(rr, 0))
                && (h.Info.RemainingTokens is not { } rt || h.Limit.Tpm - tokens <= Math.Max(rt, 0))
                && (r?.NextWindowHold is not { } hold || hold.Until > end && hold.Until <= end + RateBudgetRules.Window)
                && (r is null || r.Requests != h.State.Requests || r.Tokens != h.State.Tokens || r.NextWindowHold is not null);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void A_larger_remaining_than_ours_changes_nothing()
    {
        var state = new RateWindowState(90, 5000);
        var limit = new RateLimit(100, 10_000, "default");
        Assert.Null(RateBudgetRules.Resync(state, limit, new RateLimitInfo(10_000, 9_999, TimeSpan.FromSeconds(1), 1_000_000, 999_000, TimeSpan.FromSeconds(1)), T0));
        Assert.Null(RateBudgetRules.Resync(state, limit, new RateLimitInfo(null, null, null, null, null, null), T0));
    }

    [Fact]
    public void A_smaller_remaining_raises_our_counts()
    {
        var r = RateBudgetRules.Resync(new RateWindowState(10, 1000), new RateLimit(100, 10_000, "default"),
            new RateLimitInfo(null, 30, TimeSpan.FromSeconds(2), null, 2000, TimeSpan.FromSeconds(2)), T0.AddSeconds(10));
        Assert.Equal(new RateResync(70, 8000, null), r);
    }

    [Fact]
    public void A_spent_budget_whose_reset_is_past_the_window_holds_the_next_window_until_then_at_most_to_its_end()
    {
        var now = T0.AddSeconds(50);
        var limit = new RateLimit(100, 10_000, "default");
        var r = RateBudgetRules.Resync(RateWindowState.Empty, limit, new RateLimitInfo(null, 5, null, null, 0, TimeSpan.FromSeconds(20)), now);
        Assert.Equal(new RateResync(95, 10_000, new RateHold(now.AddSeconds(20), RateBudgetRules.Tokens)), r);
        var far = RateBudgetRules.Resync(RateWindowState.Empty, limit, new RateLimitInfo(null, 0, TimeSpan.FromHours(1), null, null, null), now);
        Assert.Equal(new RateHold(T0.AddMinutes(2), RateBudgetRules.Requests), far!.NextWindowHold);
        // Within the window: the raised count already refuses until the window ends; no hold.
        Assert.Null(RateBudgetRules.Resync(RateWindowState.Empty, limit, new RateLimitInfo(null, 0, TimeSpan.FromSeconds(5), null, null, null), now)!.NextWindowHold);
    }

    [Theory]
    [InlineData("openai", true)]
    [InlineData("my connection", true)]
    [InlineData("azure-openai.eu_1:prod", true)]
    [InlineData("", false)]
    [InlineData(" openai", false)]
    [InlineData("openai ", false)]
    [InlineData("open/ai", false)]
    [InlineData("open\nai", false)]
    [InlineData("opénai", false)]
    [InlineData("*", true)]
    public void Provider_names(string text, bool valid) => Assert.Equal(valid, RateBudgetRules.IsProvider(text));

    [Theory]
    [InlineData("gpt-4o-2024-08-06", true)]
    [InlineData("models/gemini-1.5-pro", true)]
    [InlineData("claude-3-5-sonnet@20240620", true)]
    [InlineData("*", false)]
    [InlineData("", false)]
    [InlineData("gpt\u0000", false)]
    [InlineData("gpt 4", true)]
    [InlineData("gpt-4\t", false)]
    public void Model_names(string text, bool valid) => Assert.Equal(valid, RateBudgetRules.IsModel(text));

    [Fact]
    public void An_unpaired_surrogate_is_no_name()
    {
        Assert.False(RateBudgetRules.IsModel("gpt\ud800"));
        Assert.False(RateBudgetRules.IsProvider("\udc00openai"));
    }

    [Fact]
    public void Names_are_at_most_their_lengths()
    {
        Assert.True(RateBudgetRules.IsProvider(new string('p', RateBudgetRules.MaxProviderLength)));
        Assert.False(RateBudgetRules.IsProvider(new string('p', RateBudgetRules.MaxProviderLength + 1)));
        Assert.True(RateBudgetRules.IsModel(new string('m', RateBudgetRules.MaxModelLength)));
        Assert.False(RateBudgetRules.IsModel(new string('m', RateBudgetRules.MaxModelLength + 1)));
    }

    [Fact]
    public void The_defaults_are_1800_requests_and_800000_tokens_per_minute_unless_set()
    {
        Assert.Equal((1800, 800_000L), Read(new()) is var d ? (d.DefaultRpm, d.DefaultTpm) : default);
        var set = Read(new() { ["AGENTOPS_LLM_DEFAULT_RPM"] = "60", ["AGENTOPS_LLM_DEFAULT_TPM"] = "1000000000" });
        Assert.Equal((60, 1_000_000_000L), (set.DefaultRpm, set.DefaultTpm));
        var settings = new Settings(n => n switch { "AGENTOPS_LLM_DEFAULT_RPM" => "0", "AGENTOPS_LLM_DEFAULT_TPM" => "1000000001", _ => null });
        RateBudgetOptions.Read(settings);
        Assert.Equal(2, settings.Errors.Count);
        Assert.Contains(settings.Errors, e => e.Contains("AGENTOPS_LLM_DEFAULT_RPM", StringComparison.Ordinal) && e.Contains("1000000", StringComparison.Ordinal));
    }

    private static RateBudgetOptions Read(Dictionary<string, string> values)
    {
        var settings = new Settings(n => values.GetValueOrDefault(n));
        var options = RateBudgetOptions.Read(settings);
        Assert.Empty(settings.Errors);
        return options;
    }
}
