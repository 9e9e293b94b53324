using AgentOps.Contracts;
using System.Text.Json;

namespace AgentOps.Notifications;

/// <summary>Something worth telling an organization. Kind is a stable dotted name (budget.threshold, approval.requested, ...).</summary>
public sealed record Notice(string Kind, string Severity, string Title, string? Body, object Data, string? EntityType = null, string? EntityId = null);

/// <summary>
/// Publishing a notification writes it (the in-app channel) and one pending delivery per active webhook endpoint
/// that subscribes to its kind (an empty subscription takes every kind), in the caller's transaction: a notification
/// exists exactly when the change that caused it committed, and its deliveries are never lost. Another channel (e-mail)
/// would add its own deliveries here.
/// </summary>
public static class Notifier
{
    public static async Task<Guid> PublishAsync(Tx tx, Notice notice, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        var createdAt = await tx.ScalarAsync<DateTime>("""
            INSERT INTO notifications (id, org_id, kind, severity, title, body, data, entity_type, entity_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9) RETURNING created_at
            """, ct, id, tx.OrgId, notice.Kind, notice.Severity, Truncate(notice.Title, 500), notice.Body is null ? null : Truncate(notice.Body, 4000),
            JsonSerializer.Serialize(notice.Data, notice.Data.GetType(), Json.Options), notice.EntityType, notice.EntityId);
        var body = JsonSerializer.Serialize(new WebhookBody(id, tx.OrgId, notice.Kind, notice.Severity, notice.Title, notice.Body, notice.Data,
            notice.EntityType, notice.EntityId, new DateTimeOffset(DateTime.SpecifyKind(createdAt, DateTimeKind.Utc))), Json.Options);
        var endpoints = await tx.ListAsync("SELECT id FROM webhook_endpoints WHERE org_id = $1 AND active AND (kinds = '{}' OR $2 = ANY(kinds))",
            r => r.GetGuid(0), ct, tx.OrgId, notice.Kind);
        if (endpoints.Count > 0)
            await QueueDeliveriesAsync(tx, [.. endpoints], id, notice.Kind, body, ct);
        await tx.RaiseAsync(new NotificationPublished(id, notice.Kind), ct);
        return id;
    }

    /// <summary>The Postgres channel that wakes delivery workers (any replica) when the transaction that queued deliveries commits.</summary>
    public const string WakeChannel = "agentops_webhook_deliveries";

    /// <summary>
    /// Queues one pending delivery of <paramref name="body"/> per endpoint (v7 ids: the delivery log sorts by them) and
    /// wakes the delivery workers once the transaction commits (NOTIFY is transactional; a rollback sends nothing).
    /// </summary>
    public static async Task<Guid[]> QueueDeliveriesAsync(Tx tx, Guid[] endpointIds, Guid? notificationId, string kind, string body, CancellationToken ct)
    {
        var ids = endpointIds.Select(_ => Guid.CreateVersion7()).ToArray();
        await tx.ExecuteAsync("""
            INSERT INTO webhook_deliveries (id, org_id, endpoint_id, notification_id, kind, body)
            SELECT d.id, $1, d.endpoint_id, $4::uuid, $5, $6 FROM unnest($2::uuid[], $3::uuid[]) AS d (id, endpoint_id)
            """, ct, tx.OrgId, ids, endpointIds, notificationId, kind, body);
        await tx.ExecuteAsync($"NOTIFY {WakeChannel}", ct);
        return ids;
    }

    /// <summary>What a webhook receives: the notification itself (the body is signed; see docs/notifications.md).</summary>
    public sealed record WebhookBody(Guid Id, Guid OrgId, string Kind, string Severity, string Title, string? Body, object Data,
        string? EntityType, string? EntityId, DateTimeOffset CreatedAt);

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
