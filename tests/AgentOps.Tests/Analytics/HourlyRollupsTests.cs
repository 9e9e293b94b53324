using AgentOps.Analytics;

namespace AgentOps.Tests.Analytics;

public class HourlyRollupsTests
{
    private static readonly DateTime H = new(2026, 3, 1, 10, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void The_gaps_are_the_range_outside_the_rolled_hours()
    {
        var range = AnalyticsRange.Create(new DateTimeOffset(H.AddMinutes(-20)), new DateTimeOffset(H.AddHours(5).AddMinutes(7)));
        var (rolled, gaps) = HourlyRollups.Plan(range, [H, H.AddHours(1), H.AddHours(3)]);
        Assert.Equal([(H, H.AddHours(2)), (H.AddHours(3), H.AddHours(4))], rolled);
        Assert.Equal([(H.AddMinutes(-20), H), (H.AddHours(2), H.AddHours(3)), (H.AddHours(4), H.AddHours(5).AddMinutes(7))], gaps);
    }

    [Fact]
    public void Without_rolled_hours_the_gap_is_the_range_and_with_all_of_them_there_is_none()
    {
        var range = AnalyticsRange.Create(new DateTimeOffset(H), new DateTimeOffset(H.AddHours(2)));
        Assert.Equal([(H, H.AddHours(2))], HourlyRollups.Plan(range, []).Gaps);
        Assert.Empty(HourlyRollups.Plan(range, [H, H.AddHours(1)]).Gaps);
    }

    [Fact]
    public void Hours_cut_into_many_stretches_keep_the_longest_and_read_the_rest_raw()
    {
        // 30 days of rolled hours with every fifth hour changed since: stretches of 4 hours, and one of 9 at the end (711–719).
        var range = AnalyticsRange.Create(new DateTimeOffset(H), new DateTimeOffset(H.AddDays(30)));
        var rolled = Enumerable.Range(0, 30 * 24).Where(h => h % 5 != 0 || h >= 713).Select(h => H.AddHours(h)).ToList();
        var (used, gaps) = HourlyRollups.Plan(range, rolled);
        Assert.True(gaps.Length <= HourlyRollups.MaxGaps);
        Assert.Equal(HourlyRollups.MaxGaps - 1, used.Length);
        Assert.Contains((H.AddHours(711), H.AddHours(720)), used);
        bool Used(DateTime h) => used.Any(s => s.From <= h && h < s.To);
        Assert.Equal(4 * (HourlyRollups.MaxGaps - 2) + 9, Enumerable.Range(0, 30 * 24).Count(h => Used(H.AddHours(h))));
        // Every hour of the range is read exactly once: from the rollups (only hours that are rolled) or raw.
        var hours = Enumerable.Range(0, 30 * 24).Select(h => H.AddHours(h));
        Assert.All(hours, h => Assert.Equal(1, (Used(h) ? 1 : 0) + gaps.Count(g => g.From <= h && h < g.To)));
        Assert.All(hours.Where(Used), h => Assert.Contains(h, rolled));
    }

    [Fact]
    public void An_hour_is_due_once_it_ended_three_hours_ago()
    {
        Assert.Equal(new DateTimeOffset(H.AddHours(-4)), HourlyRollups.LastDue(new DateTimeOffset(H)));
        Assert.Equal(new DateTimeOffset(H.AddHours(-4)), HourlyRollups.LastDue(new DateTimeOffset(H.AddMinutes(59))));
        Assert.Equal(HourlyRollups.Interval, TimeSpan.FromMinutes(1));
        Assert.Equal("0 * * * * *", HourlyRollups.Schedule); // every minute, at second 0: the self-host's interval
    }
}
