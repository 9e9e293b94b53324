using AgentOps.Analytics;

namespace AgentOps.Functions.Analytics;

/// <summary>
/// The Azure host's hourly analytics rollup (the self-host runtime's is RollupWorker): on the application's
/// <see cref="HourlyRollups.Schedule"/> (every minute), the same <see cref="HourlyRollups.SweepAsync"/>. A missed run
/// changes no answer, only its speed: hours not rolled up are read from the runs.
/// </summary>
public sealed class RollupFunction(HourlyRollups rollups)
{
    [Function("AnalyticsRollup")]
    public Task Run([TimerTrigger(HourlyRollups.Schedule)] TimerInfo timer, CancellationToken ct) => rollups.SweepAsync(ct);
}
