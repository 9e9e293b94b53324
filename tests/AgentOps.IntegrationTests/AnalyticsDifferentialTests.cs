using System.Text.Json;
using AgentOps.Analytics;
using AgentOps.Analytics.ClickHouse;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentOps.IntegrationTests;

/// <summary>
/// The same data in Postgres and, exported with ExportBatchAsync, in ClickHouse: every IAnalytics query must give
/// exactly the same answer from both (integers throughout, so no tolerance), for several organizations, ranges with
/// odd boundaries, both buckets and every breakdown.
/// </summary>
[Collection(ApiCollection.Name)]
public class AnalyticsDifferentialTests(ApiFixture fx) : IAsyncLifetime
{
    private NpgsqlDataSource _app = null!;
    private Db _db = null!;
    /// <summary>21:13:07.450 on the last day of the month before last: the data crosses a month end, is old enough to be
    /// rolled up entirely, and stays within the rollups' 400 days whenever the test runs.</summary>
    private static readonly DateTimeOffset T0 = new DateTimeOffset(DateTime.UtcNow.Year, DateTime.UtcNow.Month, 1, 21, 13, 7, 450, TimeSpan.Zero).AddMonths(-1).AddDays(-1);
    private static readonly JsonSerializerOptions Exact = new() { WriteIndented = true };

    public async Task InitializeAsync()
    {
        _ = fx.Factory.Server;
        _app = NpgsqlDataSource.Create(TestDatabase.ConnectionString(TestDatabase.AppUrl));
        _db = new Db(_app);
        await Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Postgres_and_ClickHouse_give_identical_answers()
    {
        var ch = await TestClickHouse.ClientAsync();
        var export = new ClickHouseExport(ch);
        var orgs = new[] { await AnalyticsData.NewOrgAsync(), await AnalyticsData.NewOrgAsync(), await AnalyticsData.NewOrgAsync() };
        var agents = await AnalyticsData.GenerateAsync(orgs[0], T0, 1500, agents: 6, seed: 1);
        await AnalyticsData.GenerateAsync(orgs[1], T0.AddHours(5), 400, agents: 2, seed: 7);
        // orgs[2] stays empty: every query must also agree on nothing.
        foreach (var org in orgs)
        {
            await AnalyticsData.ExportAllAsync(_db, export, org, ExportSource.Runs, 500);
            await AnalyticsData.ExportAllAsync(_db, export, org, ExportSource.Events, 2000, InsertMode.Sync);
        }
        // Some rows exported a second time (a retried batch): must change nothing.
        await AnalyticsData.ExportAllAsync(_db, export, orgs[0], ExportSource.Runs, 300, endKey: "run-000300");

        IAnalytics postgres = new PostgresAnalytics(_db), clickhouse = new ClickHouseAnalytics(ch);
        var ranges = new[]
        {
            AnalyticsRange.Create(T0.AddHours(-1), T0.AddDays(7)),
            AnalyticsRange.Create(T0.AddDays(1).AddHours(3).AddMinutes(17).AddSeconds(5.5), T0.AddDays(3).AddSeconds(0.25)), // boundaries inside seconds
            AnalyticsRange.Create(T0.AddDays(-30), T0.AddDays(-29)),                                                          // nothing there
        };
        var compared = 0;
        var rollups = new HourlyRollups(_db, new AnalyticsOptions(), NullLogger<HourlyRollups>.Instance);
        // With unmerged parts (ClickHouse reads need FINAL: the re-exported rows are still there twice), then merged
        // into one part per partition (reads skip FINAL); then with Postgres's hours rolled up, and with some of them
        // changed since (those hours are read from the runs and calls again, the others from the rollups).
        foreach (var phase in new[] { "unmerged", "merged", "rolled up", "partly rolled up" })
        {
            if (phase == "merged")
                foreach (var table in new[] { ClickHouseSchema.Runs, ClickHouseSchema.Events })
                    await ch.ExecuteAsync($"OPTIMIZE TABLE {ch.Database}.{table} FINAL", default);
            if (phase == "rolled up")
            {
                // Every hour from the first run to 3 h ago, empty ones included (they need no raw read either).
                foreach (var org in orgs) await rollups.RollUpAsync(org, default);
                Assert.Equal(7 * 24, (await _db.InOrgAsync(orgs[0], tx => HourlyRollups.RolledHoursAsync(tx, ranges[0], default), default)).Length);
                Assert.Equal(1500L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT sum(runs)::bigint FROM run_hours WHERE org_id = $1", orgs[0]));
                Assert.Equal(0L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM rollup_hours WHERE org_id = $1", orgs[2]));
            }
            if (phase == "partly rolled up")
            {
                // A change to an old run or call marks its hour (triggers of migration 0014), whoever makes it.
                await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE runs SET updated_at = updated_at WHERE org_id = $1 AND substr(id, 5)::int % 11 = 0", orgs[0]);
                await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE events SET stored_at = stored_at WHERE org_id = $1 AND model IS NOT NULL AND ts < $2", orgs[1], T0.AddHours(8));
                var rolledHours = await _db.InOrgAsync(orgs[0], tx => HourlyRollups.RolledHoursAsync(tx, ranges[0], default), default);
                Assert.InRange(rolledHours.Length, 1, 7 * 24 - 1);
            }
            foreach (var org in orgs)
                foreach (var range in ranges)
                {
                    foreach (var bucket in new[] { Bucket.Hour, Bucket.Day })
                    {
                        await Same(() => postgres.SummaryAsync(org, range, bucket, default), () => clickhouse.SummaryAsync(org, range, bucket, default), $"summary {bucket}");
                        // The whole organization, one of its agents, and an agent it does not have.
                        foreach (var agent in new Guid?[] { null, agents[2], Guid.NewGuid() })
                        {
                            foreach (var by in Enum.GetValues<SeriesBy>())
                                await Same(() => postgres.SeriesAsync(org, range, bucket, by, agent, default), () => clickhouse.SeriesAsync(org, range, bucket, by, agent, default),
                                    $"series {bucket} by {by} of {agent}");
                            await Same(() => postgres.LatencySeriesAsync(org, range, bucket, agent, default), () => clickhouse.LatencySeriesAsync(org, range, bucket, agent, default),
                                $"latency series {bucket} of {agent}");
                        }
                    }
                    await Same(() => postgres.LatencyAsync(org, range, default), () => clickhouse.LatencyAsync(org, range, default), "latency");
                    foreach (var (by, limit) in new[] { (TopBy.Cost, 3), (TopBy.Runs, 3), (TopBy.Runs, 100) })
                        await Same(() => postgres.TopAgentsAsync(org, range, by, limit, default), () => clickhouse.TopAgentsAsync(org, range, by, limit, default), $"top {by} {limit}");
                    compared++;
                }
        }
        Assert.Equal(36, compared);

        // Buckets are UTC hours and days whatever the session's time zone: a Postgres session in New York (5 hours behind
        // UTC) gives the same answer as ClickHouse.
        await using (var newYork = NpgsqlDataSource.Create(TestDatabase.ConnectionString(TestDatabase.AppUrl) + ";Timezone=America/New_York"))
        {
            IAnalytics postgresNewYork = new PostgresAnalytics(new Db(newYork));
            foreach (var bucket in new[] { Bucket.Hour, Bucket.Day })
            {
                await Same(() => postgresNewYork.SummaryAsync(orgs[0], ranges[0], bucket, default), () => clickhouse.SummaryAsync(orgs[0], ranges[0], bucket, default), $"summary {bucket} (New York session)");
                await Same(() => postgresNewYork.SeriesAsync(orgs[0], ranges[0], bucket, SeriesBy.Model, null, default), () => clickhouse.SeriesAsync(orgs[0], ranges[0], bucket, SeriesBy.Model, null, default), $"model series {bucket} (New York session)");
                await Same(() => postgresNewYork.LatencySeriesAsync(orgs[0], ranges[0], bucket, null, default), () => clickhouse.LatencySeriesAsync(orgs[0], ranges[0], bucket, null, default), $"latency series {bucket} (New York session)");
            }
        }

        // The data is not trivial: the main organization has every status, nulls, errors and models.
        var full = await postgres.SummaryAsync(orgs[0], ranges[0], Bucket.Day, default);
        Assert.Equal(1500, full.Totals.Runs);
        Assert.True(full.Totals.UnpricedCalls > 0);
        Assert.All(full.ByStatus, s => Assert.True(s.Runs > 0, s.Status));
        Assert.True(full.Latency.Runs is > 0 and < 1500 && full.Latency.P50Ms < full.Latency.P99Ms);
        Assert.Equal(3, (await postgres.SeriesAsync(orgs[0], ranges[0], Bucket.Day, SeriesBy.Model, null, default)).Select(p => p.Key).Distinct().Count());
        // One agent's series is its share of the organization's; the latency series has buckets with percentiles in order.
        var ofAgent = await postgres.SeriesAsync(orgs[0], ranges[0], Bucket.Day, SeriesBy.Agent, agents[2], default);
        Assert.Equal([agents[2].ToString()], ofAgent.Select(p => p.Key).Distinct());
        Assert.Equal((await postgres.SeriesAsync(orgs[0], ranges[0], Bucket.Day, SeriesBy.Agent, null, default)).Where(p => p.Key == agents[2].ToString()).Sum(p => p.Count),
            ofAgent.Sum(p => p.Count));
        var latencies = await postgres.LatencySeriesAsync(orgs[0], ranges[0], Bucket.Day, null, default);
        Assert.True(latencies.Count > 1);
        Assert.Equal(full.Latency.Runs, latencies.Sum(p => p.Runs));
        Assert.All(latencies, p => Assert.True(p.P50Ms <= p.P95Ms && p.P95Ms <= p.P99Ms, p.ToString()));

        async Task Same<T>(Func<Task<T>> fromPostgres, Func<Task<T>> fromClickHouse, string what)
        {
            var expected = JsonSerializer.Serialize(await fromPostgres(), Exact);
            var actual = JsonSerializer.Serialize(await fromClickHouse(), Exact);
            Assert.True(expected == actual, $"{what} differs\nPostgres:\n{expected}\nClickHouse:\n{actual}");
        }
    }
}
