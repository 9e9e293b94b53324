namespace AgentOps.Analytics;

/// <summary>
/// Latency percentiles to within 1 %: durations fall into buckets 2 % wide (1 ms wide up to 100 ms), and a percentile is
/// the middle of the bucket that holds the nearest-rank duration. Hours of runs then keep a histogram instead of every
/// duration (<see cref="HourlyRollups"/>), and both stores give the same figure: Postgres counts per bucket
/// (<c>width_bucket(duration_ms, Bounds)</c>, the same bucket numbers as <see cref="BucketOf"/>), ClickHouse takes
/// the exact nearest-rank duration and <see cref="Round"/>s it. Bucketing keeps order, so the bucket of the k-th
/// duration is the k-th bucket either way. Pure.
/// <para>Changing <see cref="Bounds"/> changes the bucket numbers stored in run_hour_latency: it needs a migration
/// that empties the rollups (they are then computed again).</para>
/// </summary>
public static class LatencyHistogram
{
    /// <summary>Bucket i (1-based) holds [Bounds[i-1], Bounds[i]); bucket 0 holds durations under 1 ms (0 or negative, clock skew).</summary>
    public static readonly long[] Bounds = MakeBounds();

    /// <summary>Growth of the bucket bounds: 2 % (so the middle is within 1 % of any duration in the bucket).</summary>
    public const double Growth = 1.02;

    /// <summary>The last bound, ~70 years in milliseconds: longer durations share the last bucket.</summary>
    public const long Max = 1L << 41;

    private static long[] MakeBounds()
    {
        var bounds = new List<long> { 1 };
        while (bounds[^1] < Max) bounds.Add(Math.Max(bounds[^1] + 1, (long)Math.Floor(bounds[^1] * Growth)));
        return [.. bounds];
    }

    /// <summary>The bucket of a duration, as Postgres's width_bucket(ms, Bounds) numbers it: how many bounds are ≤ ms.</summary>
    public static int BucketOf(long ms)
    {
        var i = Array.BinarySearch(Bounds, ms);
        return i >= 0 ? i + 1 : ~i;
    }

    /// <summary>What a bucket reports: its middle, in whole milliseconds (a 1 ms bucket its value, bucket 0 zero).</summary>
    public static long Representative(int bucket) =>
        bucket <= 0 ? 0 : bucket >= Bounds.Length ? Bounds[^1] : (Bounds[bucket - 1] + Bounds[bucket] - 1) / 2;

    /// <summary>A duration as a percentile reports it.</summary>
    public static long Round(long ms) => Representative(BucketOf(ms));

    /// <summary>Nearest-rank p50/p95/p99 of the durations counted per bucket (buckets in any order, repeats summed).</summary>
    public static LatencyPercentiles Percentiles(IEnumerable<(int Bucket, long Runs)> counts)
    {
        var sorted = counts.GroupBy(c => c.Bucket).Select(g => (Bucket: g.Key, Runs: g.Sum(c => c.Runs))).Where(c => c.Runs > 0).OrderBy(c => c.Bucket).ToList();
        var n = sorted.Sum(c => c.Runs);
        if (n == 0) return AnalyticsRules.Latency(0, null, null, null);
        long At(int perMille)
        {
            var rank = LatencyPercentiles.Rank(perMille, n);
            long seen = 0;
            foreach (var (bucket, runs) in sorted)
            {
                seen += runs;
                if (seen >= rank) return Representative(bucket);
            }
            throw new System.Diagnostics.UnreachableException("the counts add up to n, and every rank is at most n");
        }
        return AnalyticsRules.Latency(n, At(LatencyPercentiles.P50), At(LatencyPercentiles.P95), At(LatencyPercentiles.P99));
    }
}
