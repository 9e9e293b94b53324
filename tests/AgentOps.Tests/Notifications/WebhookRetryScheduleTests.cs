using AgentOps.Notifications;
using FsCheck;
using FsCheck.Fluent;

namespace AgentOps.Tests.Notifications;

public class WebhookRetryScheduleTests
{
    private static readonly WebhookRetrySchedule Schedule = WebhookRetrySchedule.Default;

    [Fact]
    public void The_default_schedule_is_30s_times_4_each_time_capped_at_10h_for_8_attempts_in_about_21_hours()
    {
        var delays = Enumerable.Range(1, 7).Select(Schedule.NominalDelay).ToArray();
        Assert.Equal([TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(8), TimeSpan.FromMinutes(32),
            TimeSpan.FromMinutes(128), TimeSpan.FromMinutes(512), TimeSpan.FromHours(10)], delays);
        Assert.InRange(delays.Aggregate(TimeSpan.Zero, (a, b) => a + b).TotalHours, 21, 22);
        Assert.Equal(new DeliveryOutcome(DeliveryStatus.Failed, null), Schedule.After(8, succeeded: false, permanent: false, 0.5));
    }

    [Fact]
    public void Success_ends_at_once_and_a_refused_target_fails_without_retries()
    {
        Assert.Equal(new DeliveryOutcome(DeliveryStatus.Succeeded, null), Schedule.After(3, succeeded: true, permanent: false, 0.5));
        Assert.Equal(new DeliveryOutcome(DeliveryStatus.Failed, null), Schedule.After(1, succeeded: false, permanent: true, 0.5));
        Assert.Equal(new DeliveryOutcome(DeliveryStatus.Pending, TimeSpan.FromSeconds(30)), Schedule.After(1, succeeded: false, permanent: false, 0.5));
    }

    [Fact]
    public void A_failed_attempt_before_the_last_is_retried_within_jitter_of_the_nominal_delay_and_never_beyond_the_cap() =>
        Prop.ForAll(Gen.Choose(1, WebhookRetrySchedule.DefaultMaxAttempts - 1).ToArbitrary(), Gen.Choose(0, 999_999).ToArbitrary(), (attempts, sample) =>
        {
            var outcome = Schedule.After(attempts, succeeded: false, permanent: false, sample / 1_000_000d);
            var nominal = Schedule.NominalDelay(attempts).TotalSeconds;
            return outcome.Status == DeliveryStatus.Pending && outcome.RetryIn is { } delay
                && delay.TotalSeconds >= nominal * (1 - WebhookRetrySchedule.DefaultJitter) - 1e-6
                && delay.TotalSeconds <= nominal * (1 + WebhookRetrySchedule.DefaultJitter) + 1e-6
                && delay <= WebhookRetrySchedule.DefaultMaxDelay;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Nominal_delays_never_shrink_and_attempts_are_bounded_for_any_schedule() =>
        Prop.ForAll(Gen.Choose(1, 120).ToArbitrary(), Gen.Choose(1, 10).ToArbitrary(), Gen.Choose(1, 20).ToArbitrary(), (firstSeconds, factor, maxAttempts) =>
        {
            var schedule = new WebhookRetrySchedule(TimeSpan.FromSeconds(firstSeconds), factor, TimeSpan.FromHours(6), maxAttempts, 0.2);
            var nominal = Enumerable.Range(1, 200).Select(schedule.NominalDelay).ToArray();
            var monotone = nominal.Zip(nominal.Skip(1)).All(p => p.First <= p.Second);
            return monotone && nominal.All(d => d <= TimeSpan.FromHours(6))
                && schedule.After(maxAttempts, false, false, 0.3).Status == DeliveryStatus.Failed
                && (maxAttempts == 1 || schedule.After(maxAttempts - 1, false, false, 0.3).Status == DeliveryStatus.Pending);
        }).QuickCheckThrowOnFailure();
}
