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
        await tx.ExecuteAsync("""
            INSERT INTO webhook_deliveries (id, org_id, endpoint_id, notification_id, kind, body)
            SELECT gen_random_uuid(), org_id, id, $2, $3, $4 FROM webhook_endpoints
            WHERE org_id = $1 AND active AND (kinds = '{}' OR $3 = ANY(kinds))
            """, ct, tx.OrgId, id, notice.Kind, body);
        return id;
    }

    /// <summary>What a webhook receives: the notification itself (the body is signed; see docs/notifications.md).</summary>
    public sealed record WebhookBody(Guid Id, Guid OrgId, string Kind, string Severity, string Title, string? Body, object Data,
        string? EntityType, string? EntityId, DateTimeOffset CreatedAt);

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
