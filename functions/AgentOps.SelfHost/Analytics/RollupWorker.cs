using AgentOps.Analytics;
using Microsoft.Extensions.Logging;

namespace AgentOps.SelfHost.Analytics;

/// <summary>The self-host's rollup timer: a sweep every <see cref="HourlyRollups.Interval"/> (the Azure host's timer runs on its <see cref="HourlyRollups.Schedule"/>).</summary>
public sealed class RollupWorker(HourlyRollups rollups, TimeProvider time, ILogger<RollupWorker> logger)
    : PeriodicWorker(HourlyRollups.Interval, time, logger)
{
    protected override string Work => "Hourly analytics rollup";

    protected override Task RunOnceAsync(CancellationToken ct) => rollups.SweepAsync(ct);
}
