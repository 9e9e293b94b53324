using AgentOps.Approvals;
using Microsoft.Extensions.Logging;

namespace AgentOps.SelfHost.Approvals;

/// <summary>The self-host's expiry timer: a sweep every <see cref="ApprovalExpiry.Interval"/> (the Azure host's timer runs on its <see cref="ApprovalExpiry.Schedule"/>).</summary>
public sealed class ApprovalExpirySweeper(ApprovalExpiry expiry, TimeProvider time, ILogger<ApprovalExpirySweeper> logger)
    : PeriodicWorker(ApprovalExpiry.Interval, time, logger)
{
    protected override string Work => "Approval expiry sweep";

    protected override Task RunOnceAsync(CancellationToken ct) => expiry.SweepAsync(ct);
}
