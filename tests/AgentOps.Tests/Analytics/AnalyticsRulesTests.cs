using AgentOps.Analytics;
using AgentOps.Analytics.ClickHouse;
using AgentOps.Platform;
using AgentOps.Platform.Http;

namespace AgentOps.Tests.Analytics;

public class AnalyticsRulesTests
{
    [Theory]
    [InlineData(500, 1, 1)]
    [InlineData(500, 4, 2)]   // nearest rank: ceil(0.5·4) = 2 (ClickHouse's quantileExact would take the 3rd)
    [InlineData(500, 5, 3)]
    [InlineData(950, 20, 19)]
    [InlineData(950, 21, 20)]
    [InlineData(990, 100, 99)]
    [InlineData(990, 101, 100)]
    [InlineData(990, 1, 1)]
    public void Nearest_rank_is_ceil_of_p_times_n(int perMille, long n, long rank) => Assert.Equal(rank, LatencyPercentiles.Rank(perMille, n));

    [Fact]
    public void Nearest_rank_matches_the_textbook_definition_for_every_n()
    {
        foreach (var p in new[] { LatencyPercentiles.P50, LatencyPercentiles.P95, LatencyPercentiles.P99 })
            for (long n = 1; n <= 5000; n++)
            {
                var rank = LatencyPercentiles.Rank(p, n);
                // The smallest rank whose share of values reaches p: rank·1000 >= p·n, and (rank-1)·1000 < p·n.
                Assert.True(rank * 1000 >= p * n && (rank - 1) * 1000 < p * n, $"p={p} n={n} rank={rank}");
            }
    }

    [Fact]
    public void Ranges_are_cut_to_whole_seconds_and_checked()
    {
        var r = AnalyticsRange.Create(DateTimeOffset.Parse("2026-01-01T00:00:00.900Z"), DateTimeOffset.Parse("2026-01-02T00:00:00.100Z"));
        Assert.Equal(DateTimeOffset.Parse("2026-01-01T00:00:00Z"), r.From);
        Assert.Equal(DateTimeOffset.Parse("2026-01-02T00:00:00Z"), r.To);
        Assert.Throws<DomainError>(() => AnalyticsRange.Create(r.To, r.From));
        Assert.Throws<DomainError>(() => AnalyticsRange.Create(r.From, r.From.AddDays(AnalyticsRange.MaxDays + 1)));
    }

    [Theory]
    [InlineData("9999-12-31T23:59:59Z", null, "to")]            // once a 500: un-representable DateTime
    [InlineData("9999-12-31T23:59:59.9999999Z", null, "to")]
    [InlineData("0001-01-01T00:00:00Z", null, "to")]
    [InlineData(null, "0001-01-01T00:00:00Z", "from")]
    [InlineData("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "from")]
    [InlineData(null, "9999-12-31T23:59:59Z", "from")]
    [InlineData("1970-01-01T00:00:00Z", null, "from")]           // the default from (24 h before) is before 1970
    [InlineData("2100-01-01T00:00:01Z", null, "to")]
    [InlineData(null, "1969-12-31T23:59:59Z", "from")]
    public void Times_outside_1970_to_2100_are_refused_before_any_arithmetic(string? to, string? from, string field)
    {
        var v = new Validation();
        AnalyticsApi.Parse(v, TimeProvider.System, from is null ? null : DateTimeOffset.Parse(from), to is null ? null : DateTimeOffset.Parse(to), null);
        var e = Assert.Throws<DomainError>(v.ThrowIfInvalid);
        Assert.Equal(AnalyticsRange.OutOfBounds, Assert.Single(e.Errors[field]));
    }

    [Fact]
    public void The_bounds_themselves_are_accepted()
    {
        var v = new Validation();
        var (early, _) = AnalyticsApi.Parse(v, TimeProvider.System, AnalyticsRange.Earliest, AnalyticsRange.Earliest.AddDays(1), null);
        var (late, _) = AnalyticsApi.Parse(v, TimeProvider.System, null, AnalyticsRange.Latest, "day");
        Assert.True(v.IsValid);
        Assert.Equal(AnalyticsRange.Earliest, early.From);
        Assert.Equal(AnalyticsRange.Latest, late.To);
    }

    [Fact]
    public void Gaps_are_filled_from_the_bucket_of_from_to_before_to()
    {
        var range = AnalyticsRange.Create(DateTimeOffset.Parse("2026-01-01T10:30:00Z"), DateTimeOffset.Parse("2026-01-01T13:00:00Z"));
        var filled = AnalyticsRules.FillGaps(range, Bucket.Hour, [new SeriesPoint(DateTimeOffset.Parse("2026-01-01T11:00:00Z"), "", 3, 1, 10, 1, 2)]);
        Assert.Equal(["10:00", "11:00", "12:00"], filled.Select(p => p.Start.ToString("HH:mm")));
        Assert.Equal([0L, 3L, 0L], filled.Select(p => p.Count));
        Assert.Equal(3, AnalyticsRules.BucketCount(range, Bucket.Hour));
        Assert.Equal(1, AnalyticsRules.BucketCount(range, Bucket.Day));
    }

    [Fact]
    public void Statuses_come_in_a_fixed_order_with_zeros_and_totals_add_up()
    {
        var byStatus = AnalyticsRules.ByStatus([new StatusCount("failed", 2), new StatusCount("succeeded", 6), new StatusCount("paused", 1)]);
        Assert.Equal(["running", "succeeded", "failed", "cancelled", "paused"], byStatus.Select(s => s.Status));
        var totals = AnalyticsRules.Totals(byStatus, 90, 30, 20, 1000, 500, 1234, 7);
        Assert.Equal((9L, 6L, 2L, 0L, 0L), (totals.Runs, totals.SucceededRuns, totals.FailedRuns, totals.RunningRuns, totals.CancelledRuns));
        Assert.Equal(2.0 / 9, totals.ErrorRate);
        Assert.Equal(7, totals.UnpricedCalls);
        Assert.Equal(0, AnalyticsTotals.Zero.ErrorRate);
    }

    [Fact]
    public void Export_queries_name_only_the_conditions_in_use_in_key_order()
    {
        var org = Guid.NewGuid();
        var (all, allArgs) = ClickHouseExport.Select(ExportSource.Events, org, null, null, null, DateTimeOffset.UnixEpoch, 100);
        Assert.EndsWith("FROM events WHERE org_id = $1 ORDER BY id LIMIT $2", all, StringComparison.Ordinal);
        Assert.Equal([org, 100], allArgs);

        var t0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
        var (windowed, args) = ClickHouseExport.Select(ExportSource.Runs, org, "a", "m", t0, t0.AddHours(1), 10);
        Assert.EndsWith("FROM runs WHERE org_id = $1 AND id > $2 AND id <= $3 AND updated_at > $4 AND updated_at <= $5 ORDER BY id LIMIT $6", windowed, StringComparison.Ordinal);
        Assert.Equal([org, "a", "m", t0, t0.AddHours(1), 10], args);
        Assert.DoesNotContain("OFFSET", windowed, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Exported_times_are_whole_seconds_cut_and_kept_within_DateTime()
    {
        var t = new DateTimeOffset(2026, 5, 6, 7, 8, 9, TimeSpan.Zero);
        Assert.Equal(t.ToUnixTimeSeconds(), ClickHouseExport.UnixSeconds(t.ToUnixTimeMilliseconds() * 1000 + 999_999));
        Assert.Equal(0, ClickHouseExport.UnixSeconds(-1)); // 1969: before DateTime's first second
        Assert.Equal(uint.MaxValue, ClickHouseExport.UnixSeconds(long.MaxValue / 2));
    }

    [Fact]
    public void The_export_copy_writes_its_values_as_quoted_literals()
    {
        var org = Guid.Parse("01a201c8-351e-7a7d-ae18-7cb0a9ca1f67");
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1_234_560);
        var copy = ClickHouseExport.CopyCommand(ExportSource.Events, org, "it's \\ a key", "z", t0, t0.AddHours(1), 500);
        Assert.StartsWith("COPY (SELECT ", copy, StringComparison.Ordinal);
        Assert.EndsWith(
            "FROM events WHERE org_id = '01a201c8-351e-7a7d-ae18-7cb0a9ca1f67'::uuid AND id > 'it''s \\ a key' AND id <= 'z' " +
            "AND stored_at > '2026-01-01T00:00:00.123456Z'::timestamptz AND stored_at <= '2026-01-01T01:00:00.123456Z'::timestamptz " +
            "ORDER BY id LIMIT 500) TO STDOUT (FORMAT binary)", copy, StringComparison.Ordinal);
        Assert.DoesNotContain("$", copy, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ClickHouseExport.Literal(1.5));
    }
}
