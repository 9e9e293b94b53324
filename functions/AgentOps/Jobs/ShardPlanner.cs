namespace AgentOps.Jobs;

/// <summary>A key range of one source: keys k with After &lt; k ≤ End (a null bound is open), in the store's key order.</summary>
public sealed record KeyRange(string? After, string? End)
{
    /// <summary>Membership under ordinal order (the order of a C-collated database, and of the tests).</summary>
    public bool Contains(string key) =>
        (After is null || string.CompareOrdinal(key, After) > 0) && (End is null || string.CompareOrdinal(key, End) <= 0);
}

/// <summary>
/// Splits a key space into shards from boundary keys (quantiles of the source's keys, as the store returns them: in
/// its own key order), never by OFFSET. Sorting is left to the store, whose collation decides what "between" means;
/// repeated keys (a hot key spanning several quantiles) are dropped. The ranges are then contiguous and disjoint and
/// cover every key exactly once (a property test holds this).
/// </summary>
public static class ShardPlanner
{
    public static IReadOnlyList<KeyRange> Plan(IEnumerable<string?> boundaries)
    {
        var ranges = new List<KeyRange>();
        string? after = null;
        foreach (var cut in boundaries)
        {
            if (cut is null || cut == after) continue;
            ranges.Add(new KeyRange(after, cut));
            after = cut;
        }
        ranges.Add(new KeyRange(after, null));
        return ranges;
    }

    /// <summary>How many shards for a source of this many rows: enough for the parallelism, never more than one per batch.</summary>
    public static int ShardCount(long rows, int batchSize, int parallelism) =>
        (int)Math.Clamp((rows + batchSize - 1) / Math.Max(1, batchSize), 1, parallelism);

    /// <summary>The quantile fractions whose keys cut a source into n shards: 1/n, 2/n, … (n−1)/n.</summary>
    public static double[] Fractions(int shards) => [.. Enumerable.Range(1, Math.Max(0, shards - 1)).Select(i => (double)i / shards)];
}
