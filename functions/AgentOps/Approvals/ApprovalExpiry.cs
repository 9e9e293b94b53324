using Microsoft.Extensions.Logging;

namespace AgentOps.Approvals;

/// <summary>
/// Expires pending approval requests past their expires_at (status expired: the agent is told no), so that they leave
/// the queue, get their audit row and approval.decision event, and wake their waiters even if nobody looks at them.
/// Reads and decisions already treat them as expired before this runs (lazy expiry); this makes it a fact. One pass:
/// the organizations with due requests (approvals_due_orgs, SECURITY DEFINER) then one conditional UPDATE per
/// organization under its row-level security. Idempotent, so replicas sweeping at the same time do no harm: each
/// request is expired (and announced) by exactly one of them. Called by ApprovalExpirySweeper (the self-host runtime)
/// and by a Timer trigger (Azure host).
/// </summary>
public sealed class ApprovalExpiry(Db db, ILogger<ApprovalExpiry> logger)
{
    /// <summary>How often each runtime sweeps: the self-host's sweeper waits this long, the Azure timer runs on <see cref="Schedule"/>.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary><see cref="Interval"/> as the NCRONTAB expression (with seconds) of the Azure host's timer trigger.</summary>
    public const string Schedule = "*/5 * * * * *";

    /// <summary>Returns how many requests it expired.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var orgs = await db.WithoutOrgAsync(tx => tx.ListAsync("SELECT approvals_due_orgs()", r => r.GetGuid(0), ct), ct);
        var total = 0;
        foreach (var orgId in orgs)
        {
            total += await db.InOrgAsync(orgId, tx => ApprovalRequests.ExpireDueAsync(tx, null, ct), ct);
        }
        if (total > 0) logger.LogInformation("Expired {Count} approval requests in {Orgs} organizations", total, orgs.Count);
        return total;
    }
}
