using AgentOps.Platform;

namespace AgentOps.Tests.Platform;

public class ReadCacheTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static ReadCache<string, string> Cache(int maxEntries = 100) => new(Second, maxEntries);

    [Fact]
    public void An_entry_answers_until_its_freshness_runs_out_counted_from_its_read()
    {
        var cache = Cache();
        cache.Store("k", "v", T0, cache.Generation);
        Assert.True(cache.TryGet("k", T0 + Second - TimeSpan.FromTicks(1), out var value, out _));
        Assert.Equal("v", value);
        Assert.False(cache.TryGet("k", T0 + Second, out _, out _));
        Assert.False(cache.TryGet("other", T0, out _, out _));
    }

    [Fact]
    public void Exactly_one_caller_is_asked_to_refresh_an_ageing_entry()
    {
        var cache = Cache();
        cache.Store("k", "v", T0, cache.Generation);
        cache.TryGet("k", T0 + cache.RefreshAfter - TimeSpan.FromTicks(1), out _, out var young);
        Assert.Null(young);

        var claims = Enumerable.Range(0, 64).AsParallel()
            .Select(i => cache.TryGet("k", T0 + cache.RefreshAfter, out _, out var refresh) ? refresh : null)
            .Count(r => r is not null);
        Assert.Equal(1, claims);
    }

    [Fact]
    public void A_refresh_replaces_its_entry_and_counts_from_its_own_read()
    {
        var cache = Cache();
        cache.Store("k", "old", T0, cache.Generation);
        cache.TryGet("k", T0 + cache.RefreshAfter, out _, out var refresh);
        var generation = cache.Generation;
        cache.Refreshed("k", refresh!, "new", T0 + cache.RefreshAfter, generation);

        Assert.True(cache.TryGet("k", T0 + Second, out var value, out var again));
        Assert.Equal("new", value);
        Assert.NotNull(again); // the successor ages too, and is refreshed in its turn
    }

    [Fact]
    public void A_refresh_that_finds_nothing_drops_the_entry()
    {
        var cache = Cache();
        cache.Store("k", "v", T0, cache.Generation);
        cache.TryGet("k", T0 + cache.RefreshAfter, out _, out var refresh);
        cache.Refreshed("k", refresh!, null, T0 + cache.RefreshAfter, cache.Generation);
        Assert.False(cache.TryGet("k", T0 + cache.RefreshAfter, out _, out _));
    }

    [Fact]
    public void What_a_read_in_flight_brings_back_after_a_forget_is_not_kept()
    {
        var cache = Cache();
        cache.Store("k", "before", T0, cache.Generation);
        cache.TryGet("k", T0 + cache.RefreshAfter, out _, out var refresh);
        var refreshGeneration = cache.Generation;
        var readGeneration = cache.Generation;

        cache.Forget((key, _) => key == "k"); // the change commits while both reads are in flight
        Assert.False(cache.TryGet("k", T0 + cache.RefreshAfter, out _, out _));

        cache.Refreshed("k", refresh!, "before", T0 + cache.RefreshAfter, refreshGeneration);
        cache.Store("k", "before", T0 + cache.RefreshAfter, readGeneration);
        Assert.False(cache.TryGet("k", T0 + cache.RefreshAfter, out _, out _));

        cache.Store("k", "after", T0 + cache.RefreshAfter, cache.Generation); // a read that began after the change
        Assert.True(cache.TryGet("k", T0 + cache.RefreshAfter, out var value, out _));
        Assert.Equal("after", value);
    }

    [Fact]
    public void A_refresh_never_overwrites_a_newer_entry()
    {
        var cache = Cache();
        cache.Store("k", "first", T0, cache.Generation);
        cache.TryGet("k", T0 + cache.RefreshAfter, out _, out var refresh);
        cache.Store("k", "second", T0 + cache.RefreshAfter, cache.Generation); // e.g. stored by a request after expiry
        cache.Refreshed("k", refresh!, "stale refresh", T0 + cache.RefreshAfter, cache.Generation);
        Assert.True(cache.TryGet("k", T0 + cache.RefreshAfter, out var value, out _));
        Assert.Equal("second", value);
    }

    [Fact]
    public void The_cache_does_not_grow_past_its_bound()
    {
        var cache = Cache(maxEntries: 10);
        for (var i = 0; i < 100; i++) cache.Store($"k{i}", "v", T0, cache.Generation);
        Assert.InRange(Enumerable.Range(0, 100).Count(i => cache.TryGet($"k{i}", T0, out _, out _)), 1, 10);

        cache.Update("k99", v => v + "!");
        Assert.True(cache.TryGet("k99", T0, out var updated, out _));
        Assert.Equal("v!", updated);
    }
}
