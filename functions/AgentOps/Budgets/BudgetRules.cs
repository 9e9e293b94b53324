namespace AgentOps.Budgets;

public enum BudgetPeriod { Daily, Weekly, Monthly, Rolling }

/// <summary>The days a budget's period covers, in the organization's calendar: [Start, End).</summary>
public readonly record struct BudgetWindow(DateOnly Start, DateOnly End)
{
    public int Days => End.DayNumber - Start.DayNumber;
}

/// <summary>
/// Budget arithmetic, pure. Periods are calendar days, ISO weeks (Monday first) and calendar months in the
/// organization's time zone, or the last N days including today. A threshold (a percentage of the maximum) is reached
/// when spend × 100 ≥ threshold × maximum, in exact integer micro-dollars.
/// </summary>
public static class BudgetRules
{
    public static readonly int[] DefaultThresholds = [50, 80, 100];

    /// <summary>Thresholds and the auto-pause percentage go up to 1,000 % (alerting on overspend is allowed).</summary>
    public const int MaxPercent = 1000;

    public const int MaxThresholds = 10;

    /// <summary>The largest budget: one billion dollars.</summary>
    public const decimal MaxAmountUsd = 1_000_000_000m;

    /// <summary>
    /// A maximum in US dollars as integer micro-dollars (rounded to the nearest micro-dollar), or null when it is not
    /// more than 0 or above <see cref="MaxAmountUsd"/>. The range is checked before the conversion, so any decimal a
    /// client can send (2^63 included) is an answer, never an overflow.
    /// </summary>
    public static long? MaxMicros(decimal usd)
    {
        if (usd <= 0 || usd > MaxAmountUsd) return null;
        var micros = (long)Math.Round(usd * 1_000_000m);
        return micros < 1 ? null : micros;
    }

    public static BudgetWindow Window(BudgetPeriod period, int? rollingDays, DateOnly today) => period switch
    {
        BudgetPeriod.Daily => new(today, today.AddDays(1)),
        BudgetPeriod.Weekly => new(today.AddDays(-(((int)today.DayOfWeek + 6) % 7)), today.AddDays(7 - (((int)today.DayOfWeek + 6) % 7))),
        BudgetPeriod.Monthly => new(new DateOnly(today.Year, today.Month, 1), new DateOnly(today.Year, today.Month, 1).AddMonths(1)),
        BudgetPeriod.Rolling => new(today.AddDays(1 - (rollingDays ?? throw new ArgumentNullException(nameof(rollingDays)))), today.AddDays(1)),
        _ => throw new ArgumentOutOfRangeException(nameof(period)),
    };

    public static bool Reached(int percent, long spentMicros, long maxMicros) => (Int128)spentMicros * 100 >= (Int128)percent * maxMicros;

    /// <summary>The thresholds that spend has reached, in ascending order.</summary>
    public static int[] ReachedThresholds(IEnumerable<int> thresholds, long spentMicros, long maxMicros) =>
        [.. thresholds.Where(t => Reached(t, spentMicros, maxMicros)).Order()];

    /// <summary>ok below every threshold; warning once one is reached; exceeded at 100 % and above.</summary>
    public static string Status(IReadOnlyCollection<int> thresholds, long spentMicros, long maxMicros) =>
        Reached(100, spentMicros, maxMicros) ? "exceeded" : thresholds.Any(t => Reached(t, spentMicros, maxMicros)) ? "warning" : "ok";

    /// <summary>
    /// Spend at the end of a calendar period if it goes on at the rate so far (today counts as a whole day); null for
    /// rolling windows, which have no end.
    /// </summary>
    public static long? Projected(BudgetPeriod period, BudgetWindow window, DateOnly today, long spentMicros)
    {
        if (period == BudgetPeriod.Rolling) return null;
        var elapsed = today.DayNumber - window.Start.DayNumber + 1;
        return elapsed <= 0 ? spentMicros : (long)((Int128)spentMicros * window.Days / elapsed);
    }

    /// <summary>The period key an alert is recorded under: the window's first day, or for rolling windows the day it fired.</summary>
    public static DateOnly AlertPeriodStart(BudgetPeriod period, BudgetWindow window, DateOnly today) =>
        period == BudgetPeriod.Rolling ? today : window.Start;

    public static BudgetPeriod? ParsePeriod(string? value) => value switch
    {
        "daily" => BudgetPeriod.Daily, "weekly" => BudgetPeriod.Weekly, "monthly" => BudgetPeriod.Monthly, "rolling" => BudgetPeriod.Rolling, _ => null,
    };

    public static string ToWire(BudgetPeriod period) => period.ToString().ToLowerInvariant();
}
