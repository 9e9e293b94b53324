using System.Globalization;
using AgentOps.Approvals;

namespace AgentOps.Tests.Approvals;

public class ApprovalExpiryScheduleTests
{
    [Fact]
    public void The_Azure_timer_schedule_is_the_self_hosts_sweep_interval()
    {
        // NCRONTAB with seconds: "*/N * * * * *" runs every N seconds.
        var fields = ApprovalExpiry.Schedule.Split(' ');
        Assert.Equal(6, fields.Length);
        Assert.StartsWith("*/", fields[0], StringComparison.Ordinal);
        Assert.All(fields[1..], f => Assert.Equal("*", f));
        Assert.Equal(ApprovalExpiry.Interval, TimeSpan.FromSeconds(int.Parse(fields[0][2..], CultureInfo.InvariantCulture)));
    }
}
