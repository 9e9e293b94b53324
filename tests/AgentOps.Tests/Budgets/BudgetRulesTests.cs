using AgentOps.Budgets;
using FsCheck;
using FsCheck.Fluent;

namespace AgentOps.Tests.Budgets;

public class BudgetRulesTests
{
    private static DateOnly D(string s) => DateOnly.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData(BudgetPeriod.Daily, null, "2026-11-22", "2026-11-22", "2026-11-23")]
    [InlineData(BudgetPeriod.Weekly, null, "2026-11-22", "2026-11-16", "2026-11-23")] // a Sunday: its ISO week began on Monday
    [InlineData(BudgetPeriod.Weekly, null, "2026-11-16", "2026-11-16", "2026-11-23")] // a Monday starts its own week
    [InlineData(BudgetPeriod.Monthly, null, "2026-11-22", "2026-11-01", "2026-12-01")]
    [InlineData(BudgetPeriod.Monthly, null, "2024-02-29", "2024-02-01", "2024-03-01")]
    [InlineData(BudgetPeriod.Monthly, null, "2026-12-31", "2026-12-01", "2027-01-01")]
    [InlineData(BudgetPeriod.Rolling, 7, "2026-11-22", "2026-11-16", "2026-11-23")]
    [InlineData(BudgetPeriod.Rolling, 1, "2026-11-22", "2026-11-22", "2026-11-23")]
    public void Windows_are_calendar_periods_or_the_last_n_days(BudgetPeriod period, int? days, string today, string start, string end) =>
        Assert.Equal(new BudgetWindow(D(start), D(end)), BudgetRules.Window(period, days, D(today)));

    [Fact]
    public void Every_window_contains_today_and_has_the_expected_length() =>
        Prop.ForAll(Gen.Choose(1_000, 3_000_000).ToArbitrary(), Gen.Choose(1, 366).ToArbitrary(), (dayNumber, n) =>
        {
            var today = DateOnly.FromDayNumber(dayNumber);
            foreach (var period in Enum.GetValues<BudgetPeriod>())
            {
                var w = BudgetRules.Window(period, n, today);
                if (!(w.Start <= today && today < w.End)) return false;
                var ok = period switch
                {
                    BudgetPeriod.Daily => w.Days == 1,
                    BudgetPeriod.Weekly => w.Days == 7 && w.Start.DayOfWeek == DayOfWeek.Monday,
                    BudgetPeriod.Monthly => w.Start.Day == 1 && w.Days == DateTime.DaysInMonth(today.Year, today.Month),
                    _ => w.Days == n,
                };
                if (!ok) return false;
            }
            return true;
        }).QuickCheckThrowOnFailure();

    [Theory]
    [InlineData(499_999, 1_000_000, new int[0], "ok")]
    [InlineData(500_000, 1_000_000, new[] { 50 }, "warning")]
    [InlineData(999_999, 1_000_000, new[] { 50, 80 }, "warning")]
    [InlineData(1_000_000, 1_000_000, new[] { 50, 80, 100 }, "exceeded")]
    [InlineData(5_000_000, 1_000_000, new[] { 50, 80, 100 }, "exceeded")]
    public void Thresholds_are_reached_at_exactly_their_percentage(long spent, long max, int[] reached, string status)
    {
        Assert.Equal(reached, BudgetRules.ReachedThresholds([100, 50, 80], spent, max));
        Assert.Equal(status, BudgetRules.Status([50, 80, 100], spent, max));
    }

    [Fact]
    public void Reached_is_exact_integer_arithmetic_even_for_the_largest_amounts() =>
        Prop.ForAll(Gen.Choose(1, BudgetRules.MaxPercent).ToArbitrary(), Gen.Choose(1, int.MaxValue).ToArbitrary(), Gen.Choose(0, int.MaxValue).ToArbitrary(),
            (percent, maxSeed, spentSeed) =>
            {
                var max = maxSeed * 465_661L; // up to ~1e15 µ$ (the billion-dollar cap)
                var spent = spentSeed * 4_656_612L; // up to ~1e16 µ$
                var expected = (System.Numerics.BigInteger)spent * 100 >= (System.Numerics.BigInteger)percent * max;
                return BudgetRules.Reached(percent, spent, max) == expected;
            }).QuickCheckThrowOnFailure();

    [Fact]
    public void Projection_extends_the_rate_so_far_to_the_end_of_a_calendar_period()
    {
        var today = D("2026-11-10");
        var month = BudgetRules.Window(BudgetPeriod.Monthly, null, today);
        Assert.Equal(30_000_000, BudgetRules.Projected(BudgetPeriod.Monthly, month, today, 10_000_000)); // 10 of 30 days, $10 → $30
        Assert.Null(BudgetRules.Projected(BudgetPeriod.Rolling, BudgetRules.Window(BudgetPeriod.Rolling, 7, today), today, 10));
        Assert.Equal(D("2026-11-10"), BudgetRules.AlertPeriodStart(BudgetPeriod.Rolling, BudgetRules.Window(BudgetPeriod.Rolling, 7, today), today));
        Assert.Equal(D("2026-11-01"), BudgetRules.AlertPeriodStart(BudgetPeriod.Monthly, month, today));
    }

    [Theory]
    [InlineData("0.000001", 1L)]
    [InlineData("12.5", 12_500_000L)]
    [InlineData("1000000000", 1_000_000_000_000_000L)]
    [InlineData("0.0000014", 1L)]
    public void Maximums_convert_to_micro_dollars(string usd, long micros) =>
        Assert.Equal(micros, BudgetRules.MaxMicros(decimal.Parse(usd, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("0.0000004")] // rounds to nothing
    [InlineData("1000000000.000001")]
    [InlineData("9223372036854775808")] // 2^63: once an OverflowException (500)
    [InlineData("-9223372036854775809")]
    [InlineData("79228162514264337593543950335")] // decimal.MaxValue
    [InlineData("-79228162514264337593543950335")]
    public void Maximums_out_of_range_are_refused_not_overflowed(string usd) =>
        Assert.Null(BudgetRules.MaxMicros(decimal.Parse(usd, System.Globalization.CultureInfo.InvariantCulture)));
}
