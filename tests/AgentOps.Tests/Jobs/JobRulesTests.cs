using AgentOps.Jobs;
using FsCheck;
using FsCheck.Fluent;

namespace AgentOps.Tests.Jobs;

public class JobRulesTests
{
    [Fact]
    public void Shard_plans_cover_every_key_exactly_once() =>
        Prop.ForAll(Gen.ListOf(Gen.Elements("a", "b", "bb", "c", "k1", "k10", "k2", "z", "é", "")).ToArbitrary(),
            Gen.ListOf(Gen.Elements("a", "ab", "b", "b0", "c", "k1", "k15", "k2", "y", "zz", "é", "")).ToArbitrary(), (keys, cutList) =>
            {
                // Boundaries come from the store in its key order; repeats (a hot key) may occur.
                var cuts = cutList.Order(StringComparer.Ordinal).Select(c => (string?)c).ToList();
                var shards = ShardPlanner.Plan(cuts);
                var contiguous = shards.Zip(shards.Skip(1)).All(p => p.First.End == p.Second.After) && shards[0].After is null && shards[^1].End is null;
                return contiguous && keys.All(k => shards.Count(s => s.Contains(k)) == 1);
            }).QuickCheckThrowOnFailure();

    [Theory]
    [InlineData(0, 50_000, 8, 1)]
    [InlineData(50_000, 50_000, 8, 1)]
    [InlineData(50_001, 50_000, 8, 2)]
    [InlineData(10_000_000, 50_000, 8, 8)]
    [InlineData(100, 7, 3, 3)]
    public void Shards_are_enough_for_the_parallelism_and_never_more_than_one_per_batch(long rows, int batch, int parallelism, int expected)
    {
        Assert.Equal(expected, ShardPlanner.ShardCount(rows, batch, parallelism));
        Assert.Equal(expected - 1, ShardPlanner.Fractions(expected).Length);
    }

    [Fact]
    public void Retry_delays_grow_exponentially_with_jitter_up_to_the_cap() =>
        Prop.ForAll(Gen.Choose(1, 40).ToArbitrary(), Gen.Choose(0, 999).ToArbitrary(), (attempt, u) =>
        {
            var first = TimeSpan.FromSeconds(5);
            var d = JobRetry.Delay(attempt, u / 1000.0, first);
            var full = Math.Min(JobRetry.Cap.TotalMilliseconds, first.TotalMilliseconds * Math.Pow(2, attempt - 1));
            return d.TotalMilliseconds >= full / 2 - 0.001 && d.TotalMilliseconds <= full + 0.001;
        }).QuickCheckThrowOnFailure();

    [Theory]
    [InlineData("*/5 * * * *", "2026-11-22T10:03:10Z", "2026-11-22T10:05:00Z")]
    [InlineData("*/5 * * * *", "2026-11-22T10:05:00Z", "2026-11-22T10:10:00Z")]
    [InlineData("0 3 * * *", "2026-11-22T10:00:00Z", "2026-11-23T03:00:00Z")]
    [InlineData("30 9 * * 1-5", "2026-11-21T12:00:00Z", "2026-11-23T09:30:00Z")] // Saturday → Monday
    [InlineData("0 0 1 * *", "2026-11-22T00:00:00Z", "2026-12-01T00:00:00Z")]
    [InlineData("0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z")]
    [InlineData("15,45 8-9 * * 0", "2026-11-22T08:20:00Z", "2026-11-22T08:45:00Z")] // Sunday
    [InlineData("0 12 1 * 7", "2026-11-24T00:00:00Z", "2026-11-29T12:00:00Z")] // day 1 or Sunday (either matches)
    public void Cron_finds_the_next_matching_minute(string expression, string after, string next) =>
        Assert.Equal(DateTimeOffset.Parse(next, System.Globalization.CultureInfo.InvariantCulture),
            Cron.Parse(expression).Next(DateTimeOffset.Parse(after, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData("", "must have five fields")]
    [InlineData("* * * *", "must have five fields")]
    [InlineData("60 * * * *", "the minute field \"60\"")]
    [InlineData("* 24 * * *", "the hour field \"24\"")]
    [InlineData("*/0 * * * *", "the minute field \"*/0\"")]
    [InlineData("5-1 * * * *", "the minute field \"5-1\"")]
    [InlineData("a * * * *", "the minute field \"a\"")]
    [InlineData("* * 0 * *", "the day-of-month field \"0\"")]
    [InlineData("* * * 13 *", "the month field \"13\"")]
    [InlineData("* * * * 8", "the day-of-week field \"8\"")]
    public void Bad_cron_expressions_are_refused_with_the_field_named(string expression, string named)
    {
        Assert.False(Cron.TryParse(expression, out var cron, out var error));
        Assert.Null(cron);
        Assert.NotNull(error);
        Assert.Contains(named, error, StringComparison.Ordinal);
    }
}
