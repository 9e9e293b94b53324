using AgentOps.Approvals;
using AgentOps.Platform;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentOps.SelfHost.Approvals;

/// <summary>The self-host's expiry timer: a sweep every <see cref="ApprovalExpiry.Interval"/>; a failed sweep is logged and the next one tries again.</summary>
public sealed class ApprovalExpirySweeper(ApprovalExpiry expiry, TimeProvider time, ILogger<ApprovalExpirySweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await expiry.SweepAsync(stoppingToken); }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Approval expiry sweep failed: {Error}", SafeErrors.Message(e));
            }
            try { await Task.Delay(ApprovalExpiry.Interval, time, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}
