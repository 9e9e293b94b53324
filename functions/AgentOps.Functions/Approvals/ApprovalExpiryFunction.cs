using AgentOps.Approvals;
using Microsoft.Extensions.Logging;

namespace AgentOps.Functions.Approvals;

/// <summary>
/// The Azure host's approval expiry (the self-host runtime's is ApprovalExpirySweeper): on the application's
/// <see cref="ApprovalExpiry.Schedule"/> (every 5 seconds), the same <see cref="ApprovalExpiry.SweepAsync"/>. The Timer
/// trigger runs on one instance at a time (its singleton lock); a sweep is idempotent anyway. A missed run changes
/// nothing visible: reads and decisions treat due requests as expired.
/// </summary>
public sealed class ApprovalExpiryFunction(ApprovalExpiry expiry, ILogger<ApprovalExpiryFunction> logger)
{
    [Function("ApprovalExpiry")]
    public async Task Run([TimerTrigger(ApprovalExpiry.Schedule)] TimerInfo timer, CancellationToken ct)
    {
        var expired = await expiry.SweepAsync(ct);
        if (timer.IsPastDue) logger.LogInformation("Approval expiry ran late; expired {Count} requests", expired);
    }
}
