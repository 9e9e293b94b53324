using Microsoft.Extensions.Logging;

namespace AgentOps.Notifications;

/// <summary>
/// Webhook delivery, for both runtimes (the self-host runtime's WebhookDeliveryWorker calls
/// <see cref="DeliverAllDueAsync"/> between wake-ups, the Azure host from a timer). One round: claim up to <see cref="BatchSize"/> due deliveries of any organization
/// (webhook_claim_deliveries: SKIP LOCKED, and next_attempt_at pushed out by <see cref="Lease"/>, so replicas never
/// send the same delivery at once and a replica that dies mid-send leaves it to be retried), send them
/// <see cref="Parallelism"/> at a time, and record each attempt in its organization's transaction.
/// Delivery is at least once: a crash between the receiver's 2xx and the record sends it again after the lease, with
/// the same AgentOps-Delivery id (receivers deduplicate on it).
/// </summary>
public sealed class WebhookDispatcher(Db db, WebhookSender sender, WebhookRetrySchedule schedule, TimeProvider time, ILogger<WebhookDispatcher> logger)
{
    public const int BatchSize = 20;
    public const int Parallelism = 4;
    /// <summary>Longer than a whole batch can take (BatchSize / Parallelism rounds of at most the 10 s attempt timeout = 50 s).</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);
    /// <summary>Kept of an error in the delivery log.</summary>
    public const int MaxErrorLength = 1000;

    private sealed record Due(string Url, string Secret, bool Active, string Kind, string Body, int Attempts);

    /// <summary>How long <see cref="DeliverAllDueAsync"/> starts new rounds: one call never holds its runtime's worker (or timer) for long.</summary>
    public static readonly TimeSpan RoundsBudget = TimeSpan.FromSeconds(30);

    /// <summary>What <see cref="DeliverAllDueAsync"/> did: deliveries claimed, and whether more may be due (its last round was full).</summary>
    public sealed record Rounds(int Claimed, bool MoreMayBeDue);

    /// <summary>
    /// Both runtimes' delivery loop (the self-host's worker between wake-ups, the Azure host's timer): rounds of
    /// <see cref="DeliverDueAsync"/> while a round comes back full (more may be waiting), starting none after
    /// <see cref="RoundsBudget"/>. A round in progress is never cut short by the budget: its sends finish and are recorded.
    /// </summary>
    public async Task<Rounds> DeliverAllDueAsync(CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var total = 0;
        int claimed;
        do
        {
            claimed = await DeliverDueAsync(ct);
            total += claimed;
        } while (claimed == BatchSize && time.GetElapsedTime(started) < RoundsBudget && !ct.IsCancellationRequested);
        return new Rounds(total, claimed == BatchSize);
    }

    /// <summary>Sends what is due now; returns how many deliveries it claimed (BatchSize: more may be waiting).</summary>
    public async Task<int> DeliverDueAsync(CancellationToken ct)
    {
        var claimed = await db.WithoutOrgAsync(tx => tx.ListAsync("SELECT id, org_id FROM webhook_claim_deliveries($1, $2)",
            r => (Id: r.GetGuid(0), OrgId: r.GetGuid(1)), ct, BatchSize, (int)Lease.TotalSeconds), ct);
        await Parallel.ForEachAsync(claimed, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct },
            async (c, token) =>
            {
                try { await DeliverAsync(c.OrgId, c.Id, token); }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    // Left pending: the lease ends and the delivery is claimed again.
                    logger.LogError("Webhook delivery {Delivery} of organization {Org} could not be processed: {Error}", c.Id, c.OrgId, SafeErrors.Message(e));
                }
            });
        return claimed.Count;
    }

    private async Task DeliverAsync(Guid orgId, Guid id, CancellationToken ct)
    {
        var due = await db.InOrgAsync(orgId, tx => tx.SingleAsync("""
            SELECT e.url, e.secret, e.active, d.kind, d.body, d.attempts
            FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.org_id = d.org_id
            WHERE d.id = $1 AND d.org_id = $2 AND d.status = 'pending'
            """, r => new Due(r.GetString(0), r.GetString(1), r.GetBoolean(2), r.GetString(3), r.GetString(4), r.GetInt32(5)), ct, id, orgId), ct);
        if (due is null) return; // settled or deleted since it was claimed

        var startedAt = time.GetUtcNow();
        var attempt = due.Active
            ? await sender.SendAsync(new WebhookRequest(id, due.Url, due.Secret, due.Kind, due.Body), ct)
            : new WebhookAttempt(false, null, "The endpoint was deactivated before this delivery was sent; activate it and redeliver.", TimeSpan.Zero, Permanent: true);
        var outcome = schedule.After(due.Attempts + 1, attempt.Succeeded, attempt.Permanent, Random.Shared.NextDouble());
        await db.InOrgAsync(orgId, tx => tx.ExecuteAsync("""
            UPDATE webhook_deliveries
            SET attempts = attempts + 1, status = $3,
                next_attempt_at = CASE WHEN $3 = 'pending' THEN now() + make_interval(secs => $4) ELSE next_attempt_at END,
                last_attempt_at = $5, last_status_code = $6, last_error = $7, last_duration_ms = $8,
                delivered_at = CASE WHEN $3 = 'succeeded' THEN now() END
            WHERE id = $1 AND org_id = $2 AND status = 'pending'
            """, ct, id, orgId, DeliveryOutcome.ToWire(outcome.Status), outcome.RetryIn?.TotalSeconds ?? 0d, startedAt, attempt.StatusCode,
            attempt.Error is { Length: > MaxErrorLength } error ? error[..MaxErrorLength] : attempt.Error, (int)Math.Ceiling(attempt.Duration.TotalMilliseconds)), ct);
        if (outcome.Status == DeliveryStatus.Failed)
            logger.LogWarning("Webhook delivery {Delivery} of organization {Org} failed after {Attempts} attempts: {Error}", id, orgId, due.Attempts + 1, attempt.Error);
    }
}
