using AgentOps.Analytics;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentOps.IntegrationTests;

/// <summary>
/// The Postgres analytics answer the same whether hours are rolled up or not: a change the rollup could not see (made
/// by a transaction still open while it ran) is never lost, and one organization's rollups are not another's.
/// </summary>
[Collection(ApiCollection.Name)]
public class HourlyRollupsTests(ApiFixture fx) : IAsyncLifetime
{
    private NpgsqlDataSource _app = null!;
    private Db _db = null!;
    private HourlyRollups _rollups = null!;
    /// <summary>Half past an hour ten days ago: old enough to be rolled up, whenever the test runs.</summary>
    private static readonly DateTimeOffset T0 = AnalyticsRules.BucketStart(DateTimeOffset.UtcNow.AddDays(-10), Bucket.Hour).AddMinutes(30);

    public Task InitializeAsync()
    {
        _ = fx.Factory.Server;
        _app = NpgsqlDataSource.Create(TestDatabase.ConnectionString(TestDatabase.AppUrl));
        _db = new Db(_app);
        _rollups = new HourlyRollups(_db, new AnalyticsOptions(), NullLogger<HourlyRollups>.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_change_committed_after_the_rollup_read_its_hour_is_counted_and_rolled_up_next_time()
    {
        var org = await AnalyticsData.NewOrgAsync();
        await AnalyticsData.GenerateAsync(org, T0, 200);
        IAnalytics analytics = new PostgresAnalytics(_db);
        var range = AnalyticsRange.Create(T0.AddHours(-1), T0.AddDays(1));
        var raw = await analytics.SummaryAsync(org, range, Bucket.Hour, default);
        await _rollups.RollUpAsync(org, default);
        Assert.Equal(24, (await _db.InOrgAsync(org, tx => HourlyRollups.RolledHoursAsync(tx, range, default), default)).Length);
        Assert.Equivalent(raw, await analytics.SummaryAsync(org, range, Bucket.Hour, default), strict: true);

        // A committed change to run 10 marks its hour, so the next rollup computes that hour again; meanwhile another
        // transaction changes run 11 of the same hour and commits only after the rollup has read it.
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE runs SET cost_micros = cost_micros + 1000 WHERE org_id = $1 AND id = 'run-000010'", org);
        await using var open = await TestDatabase.OpenAsync(TestDatabase.OwnerUrl);
        await using var late = await open.BeginTransactionAsync();
        await using (var update = new NpgsqlCommand("UPDATE runs SET cost_micros = cost_micros + 5000000 WHERE org_id = $1 AND id = 'run-000011'", open, late))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = org });
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }
        await _rollups.RollUpAsync(org, default); // computes the hour again, without the open transaction's change
        await late.CommitAsync();

        var after = await analytics.SummaryAsync(org, range, Bucket.Hour, default);
        Assert.Equal(raw.Totals.CostMicros + 1000 + 5_000_000, after.Totals.CostMicros);
        var hour = await _db.InOrgAsync(org, tx => HourlyRollups.RolledHoursAsync(tx, range, default), default);
        var startOf11 = await TestDatabase.ScalarAsync<DateTime>(TestDatabase.OwnerUrl,
            "SELECT date_trunc('hour', started_at AT TIME ZONE 'UTC') FROM runs WHERE org_id = $1 AND id = 'run-000011'", org);
        Assert.DoesNotContain(DateTime.SpecifyKind(startOf11, DateTimeKind.Utc), hour); // read raw until rolled again

        await _rollups.RollUpAsync(org, default);
        Assert.Equivalent(after, await analytics.SummaryAsync(org, range, Bucket.Hour, default), strict: true);
        Assert.Contains(DateTime.SpecifyKind(startOf11, DateTimeKind.Utc), await _db.InOrgAsync(org, tx => HourlyRollups.RolledHoursAsync(tx, range, default), default));
        // The marks the rollups saw are gone.
        Assert.Equal(0L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM rollup_marks WHERE org_id = $1", org));

        // Deleting runs (a purge) marks their hours too.
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "DELETE FROM runs WHERE org_id = $1 AND id IN ('run-000020', 'run-000021')", org);
        Assert.Equal(after.Totals.Runs - 2, (await analytics.SummaryAsync(org, range, Bucket.Hour, default)).Totals.Runs);
    }

    [Fact]
    public async Task One_organizations_rollups_are_invisible_to_another()
    {
        var (a, b) = (await AnalyticsData.NewOrgAsync(), await AnalyticsData.NewOrgAsync());
        await AnalyticsData.GenerateAsync(a, T0, 50);
        await _rollups.RollUpAsync(a, default);
        foreach (var table in new[] { "rollup_hours", "run_hours", "run_hour_latency", "model_hours" })
        {
            Assert.True(await _db.InOrgAsync(a, tx => tx.ScalarAsync<long>($"SELECT count(*) FROM {table}", default), default) > 0, table);
            Assert.Equal(0L, await _db.InOrgAsync(b, tx => tx.ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE org_id = $1", default, a), default));
        }
        var range = AnalyticsRange.Create(T0.AddHours(-1), T0.AddDays(1));
        Assert.Equal(0, (await new PostgresAnalytics(_db).SummaryAsync(b, range, Bucket.Day, default)).Totals.Runs);
    }
}
