using System.Globalization;
using AgentOps.Analytics;

namespace AgentOps.Tests.Analytics;

public class LatencyHistogramTests
{
    [Fact]
    public void Bounds_rise_by_one_millisecond_then_by_at_most_two_percent_up_to_the_max()
    {
        var b = LatencyHistogram.Bounds;
        Assert.Equal(1, b[0]);
        Assert.True(b[^1] >= LatencyHistogram.Max && b[^2] < LatencyHistogram.Max);
        for (var i = 1; i < b.Length; i++)
        {
            Assert.True(b[i] > b[i - 1]);
            Assert.True(b[i] == b[i - 1] + 1 || b[i] <= b[i - 1] * LatencyHistogram.Growth, $"bound {i}: {b[i - 1]} -> {b[i]}");
        }
        Assert.InRange(b.Length, 1000, 3000); // what one Postgres parameter carries per query
    }

    [Theory]
    [InlineData(-5, 0)]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(49, 49)]
    public void Durations_under_1_ms_report_zero_and_short_ones_are_exact(long ms, long reported) =>
        Assert.Equal(reported, LatencyHistogram.Round(ms));

    [Fact]
    public void Every_duration_is_reported_within_one_percent_and_in_order()
    {
        var random = new Random(3);
        long previous = 0, previousReported = 0;
        foreach (var ms in Enumerable.Range(0, 20_000).Select(_ => (long)Math.Exp(random.NextDouble() * 25)).Append(LatencyHistogram.Max - 1).Order())
        {
            var reported = LatencyHistogram.Round(ms);
            Assert.True(Math.Abs(reported - ms) <= Math.Max(1, ms / 100.0), string.Create(CultureInfo.InvariantCulture, $"{ms} reported as {reported}"));
            Assert.True(ms < previous || reported >= previousReported);
            (previous, previousReported) = (ms, reported);
        }
    }

    [Fact]
    public void A_bucket_holds_its_lower_bound_and_not_its_upper_one_as_width_bucket_counts()
    {
        var b = LatencyHistogram.Bounds;
        for (var i = 1; i < b.Length; i += 37)
        {
            Assert.Equal(i, LatencyHistogram.BucketOf(b[i - 1]));
            Assert.Equal(i, LatencyHistogram.BucketOf(b[i] - 1));
        }
        Assert.Equal(b.Length, LatencyHistogram.BucketOf(long.MaxValue));
    }

    [Fact]
    public void Percentiles_from_counts_are_the_nearest_rank_durations_rounded()
    {
        var random = new Random(11);
        foreach (var n in new[] { 1, 2, 3, 10, 99, 1000, 4321 })
        {
            var durations = Enumerable.Range(0, n).Select(_ => (long)random.Next(0, 200_000)).ToList();
            var sorted = durations.Order().ToList();
            long Nearest(int perMille) => LatencyHistogram.Round(sorted[(int)LatencyPercentiles.Rank(perMille, n) - 1]);
            // Counted in two halves, as the rollups' hours and the raw hours are.
            var counts = durations.Take(n / 2).Select(d => (LatencyHistogram.BucketOf(d), 1L))
                .Concat(durations.Skip(n / 2).GroupBy(LatencyHistogram.BucketOf).Select(g => (g.Key, (long)g.Count())));
            Assert.Equal(new LatencyPercentiles(n, Nearest(LatencyPercentiles.P50), Nearest(LatencyPercentiles.P95), Nearest(LatencyPercentiles.P99)),
                LatencyHistogram.Percentiles(counts));
        }
        Assert.Equal(new LatencyPercentiles(0, null, null, null), LatencyHistogram.Percentiles([]));
    }
}
