using AgentOps.Ingest;
using AgentOps.Platform;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentOps.SelfHost.Ingest;

/// <summary>The self-host's sampler: the accepted-batches table's event count, every 100 ms.</summary>
public sealed class IngestBacklogSampler(Db db, IngestBacklog backlog, ILogger<IngestBacklogSampler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(IngestBacklog.SampleInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try { backlog.Report(await db.WithoutOrgAsync(tx => tx.ScalarAsync<long>("SELECT ingest_backlog()", stoppingToken), stoppingToken)); }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning("Could not sample the ingest backlog: {Error}", SafeErrors.Message(e));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }
}
