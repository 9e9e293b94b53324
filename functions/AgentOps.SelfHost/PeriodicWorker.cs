using AgentOps.Platform;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentOps.SelfHost;

/// <summary>
/// The self-host runtime's timer loop (the Azure host has timer triggers instead): one step at start-up, then one every
/// <c>interval</c> until the host stops. A failed step is logged, without quoting data, and the next one tries again.
/// </summary>
public abstract class PeriodicWorker(TimeSpan interval, TimeProvider time, ILogger logger) : BackgroundService
{
    /// <summary>What the step does, for the log line of a failure ("Approval expiry sweep").</summary>
    protected abstract string Work { get; }

    protected abstract Task RunOnceAsync(CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            do
            {
                try { await RunOnceAsync(stoppingToken); }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning("{Work} failed: {Error}", Work, SafeErrors.Message(e));
                }
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }
}
