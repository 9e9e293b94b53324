using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Jobs;
using AgentOps.Platform.Database;
using Npgsql;

namespace AgentOps.IntegrationTests;

/// <summary>Shard planning against the real Postgres: exact quantiles for small slices, a page sample for large ones.</summary>
[Collection(ApiCollection.Name)]
public class KeyQuantilesTests(ApiFixture fx) : IAsyncLifetime
{
    private NpgsqlDataSource _app = null!;
    private Db _db = null!;

    public Task InitializeAsync()
    {
        _ = fx.Factory.Server; // migrations applied
        _app = NpgsqlDataSource.Create(TestDatabase.ConnectionString(TestDatabase.AppUrl));
        _db = new Db(_app);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static Job JobOf(int batchSize, int parallelism) => new(Guid.NewGuid(), JobKinds.Custom, default(JsonElement), "running", 0, batchSize, parallelism,
        1, false, "sync", DateTimeOffset.UtcNow, null, DateTimeOffset.UtcNow, null, null, null, null, null, null, null, null);

    [Fact]
    public async Task A_sampled_plan_cuts_at_real_keys_into_shards_of_roughly_even_size()
    {
        var org = await AnalyticsData.NewOrgAsync();
        await AnalyticsData.GenerateAsync(org, new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), 20_000); // 60,000 events
        var ids = await _db.InOrgAsync(org, tx => tx.ListAsync("SELECT id FROM events ORDER BY id", r => r.GetString(0), default), default);
        var job = JobOf(batchSize: 1000, parallelism: 8);

        var exact = await _db.InOrgAsync(org, tx => KeyQuantiles.PlanAsync(tx, "events", "events", null, null, null, job, default), default);
        Assert.Equal(60_000, exact.Rows);
        Assert.Equal(Enumerable.Range(1, 7).Select(i => ids[i * 60_000 / 8 - 1]), exact.Boundaries); // percentile_disc: the first key at or past i/8

        var sampled = await _db.InOrgAsync(org, tx => KeyQuantiles.PlanAsync(tx, "events", "events", null, null, null, job, default, exactUpToRows: 0), default);
        Assert.Equal(60_000, sampled.Rows);
        Assert.Equal(7, sampled.Boundaries.Count);
        Assert.All(sampled.Boundaries, b => Assert.Contains(b!, ids));
        Assert.Equal(sampled.Boundaries.Order(StringComparer.Ordinal), sampled.Boundaries);
        // Every shard within half and twice the even share (7,500 rows).
        var sizes = ShardPlanner.Plan(sampled.Boundaries).Select(range => ids.Count(range.Contains)).ToList();
        Assert.Equal(60_000, sizes.Sum());
        Assert.All(sizes, size => Assert.InRange(size, 3_750, 15_000));

        // Reproducible: the same data gives the same plan.
        var again = await _db.InOrgAsync(org, tx => KeyQuantiles.PlanAsync(tx, "events", "events", null, null, null, job, default, exactUpToRows: 0), default);
        Assert.Equal(sampled.Boundaries, again.Boundaries);
    }
}
