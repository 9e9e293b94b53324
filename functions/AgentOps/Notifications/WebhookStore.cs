using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentOps.Notifications;

public sealed record WebhookView(Guid Id, string Name, string Url, string[] Kinds, bool Active, string SecretHint, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public const string Columns = "id, name, url, kinds, active, secret, created_at, updated_at";

    public static WebhookView Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetString(2), (string[])r[3], r.GetBoolean(4),
        WebhookSigning.Hint(r.GetString(5)), r.Time(6), r.Time(7));
}

/// <summary>The secret is here and in the rotation's answer only; it is never shown again.</summary>
public sealed record WebhookWithSecret(WebhookView Webhook, string Secret);

/// <summary>A delivery as the log shows it. next_attempt_at only while pending; payload is the exact signed body.</summary>
public sealed record DeliveryView(Guid Id, Guid WebhookId, Guid? NotificationId, string Kind, string Status, int Attempts, DateTimeOffset? NextAttemptAt,
    DateTimeOffset? LastAttemptAt, int? LastStatusCode, string? LastError, int? LastDurationMs, DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt,
    JsonElement Payload)
{
    public const string Columns = "id, endpoint_id, notification_id, kind, status, attempts, next_attempt_at, last_attempt_at, last_status_code, last_error, last_duration_ms, created_at, delivered_at, body";

    public static DeliveryView Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetGuid(1), r.NullableGuid(2), r.GetString(3), r.GetString(4), r.GetInt32(5),
        r.GetString(4) == "pending" ? r.Time(6) : null, r.NullableTime(7), r.IsDBNull(8) ? null : r.GetInt32(8), r.NullableString(9),
        r.IsDBNull(10) ? null : r.GetInt32(10), r.Time(11), r.NullableTime(12), JsonDocument.Parse(r.GetString(13)).RootElement.Clone());
}

/// <summary>
/// An endpoint's settings: its name, URL and the kinds it takes (empty: every kind), and whether it is active;
/// <see cref="Check"/> makes them from what a caller gave.
/// </summary>
public sealed partial record WebhookFields(string Name, string Url, string[] Kinds, bool Active)
{
    /// <summary>Notification kinds one endpoint may name.</summary>
    public const int MaxKinds = 50;

    /// <summary>Dotted lower-case names, as notifications use them (budget.threshold, approval.requested).</summary>
    [GeneratedRegex(@"^[a-z0-9_]+(\.[a-z0-9_]+)*$")]
    private static partial Regex KindPattern();

    public static WebhookFields Check(Validation v, string? name, string? url, string[]? kinds, bool kindsPresent, bool active, bool allowPrivate)
    {
        var trimmed = v.RequiredText("$.name", name, 200);
        var uri = WebhookTargets.Check(v, "$.url", url, allowPrivate);
        if (kindsPresent && kinds is null) v.Add("$.kinds", "must be an array of notification kinds (empty: every kind).");
        kinds ??= [];
        if (kinds.Length > MaxKinds) v.Add("$.kinds", $"must list at most {MaxKinds} kinds.");
        for (var i = 0; i < kinds.Length; i++)
            if (kinds[i] is not { Length: >= 1 and <= 100 } kind || !KindPattern().IsMatch(kind))
                v.Add($"$.kinds[{i}]", "must be a notification kind: dotted lower-case words, e.g. budget.threshold.");
        v.ThrowIfInvalid();
        return new WebhookFields(trimmed!, uri!.OriginalString, [.. kinds.Distinct().Order(StringComparer.Ordinal)], active);
    }
}

/// <summary>The SQL for webhook endpoints and the delivery log as users manage them, in the caller's transaction and organization.</summary>
public static class WebhookStore
{
    /// <summary>Serializes creations per organization, so two concurrent requests cannot both pass the endpoint limit.</summary>
    public static Task LockCreationAsync(Tx tx, CancellationToken ct) =>
        tx.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtextextended('webhook_endpoints:' || $1::text, 0))", ct, tx.OrgId);

    public static Task<long> CountAsync(Tx tx, CancellationToken ct) => tx.ScalarAsync<long>("SELECT count(*) FROM webhook_endpoints WHERE org_id = $1", ct, tx.OrgId);

    public static async Task<WebhookView> InsertAsync(Tx tx, Guid id, WebhookFields f, string secret, CancellationToken ct) =>
        (await tx.SingleAsync($"""
            INSERT INTO webhook_endpoints (id, org_id, name, url, secret, kinds, active) VALUES ($1, $2, $3, $4, $5, $6, $7)
            RETURNING {WebhookView.Columns}
            """, WebhookView.Read, ct, id, tx.OrgId, f.Name, f.Url, secret, f.Kinds, f.Active))!;

    public static Task<List<WebhookView>> PageAsync(Tx tx, Guid after, int take, CancellationToken ct) =>
        tx.ListAsync($"SELECT {WebhookView.Columns} FROM webhook_endpoints WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3", WebhookView.Read, ct, tx.OrgId, after, take);

    public static Task<WebhookView?> ReadAsync(Tx tx, Guid id, bool forUpdate, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {WebhookView.Columns} FROM webhook_endpoints WHERE id = $1 AND org_id = $2{(forUpdate ? " FOR UPDATE" : "")}",
            WebhookView.Read, ct, id, tx.OrgId);

    public static async Task<WebhookView> UpdateAsync(Tx tx, Guid id, WebhookFields f, CancellationToken ct) =>
        (await tx.SingleAsync($"""
            UPDATE webhook_endpoints SET name = $3, url = $4, kinds = $5, active = $6, updated_at = now()
            WHERE id = $1 AND org_id = $2 RETURNING {WebhookView.Columns}
            """, WebhookView.Read, ct, id, tx.OrgId, f.Name, f.Url, f.Kinds, f.Active))!;

    public static async Task<WebhookView> SetSecretAsync(Tx tx, Guid id, string secret, CancellationToken ct) =>
        (await tx.SingleAsync($"UPDATE webhook_endpoints SET secret = $3, updated_at = now() WHERE id = $1 AND org_id = $2 RETURNING {WebhookView.Columns}",
            WebhookView.Read, ct, id, tx.OrgId, secret))!;

    public static Task DeleteAsync(Tx tx, Guid id, CancellationToken ct) => tx.ExecuteAsync("DELETE FROM webhook_endpoints WHERE id = $1 AND org_id = $2", ct, id, tx.OrgId);

    public static Task<DeliveryView?> DeliveryAsync(Tx tx, Guid id, bool forUpdate, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {DeliveryView.Columns} FROM webhook_deliveries WHERE id = $1 AND org_id = $2{(forUpdate ? " FOR UPDATE" : "")}",
            DeliveryView.Read, ct, id, tx.OrgId);

    /// <summary>An endpoint's deliveries, newest first; the cursor is the last delivery seen.</summary>
    public static Task<List<DeliveryView>> DeliveriesAsync(Tx tx, Guid endpointId, string? status, Guid after, int take, CancellationToken ct) =>
        tx.ListAsync($"""
            SELECT {DeliveryView.Columns} FROM webhook_deliveries d
            WHERE d.org_id = $1 AND d.endpoint_id = $2 AND ($3::text IS NULL OR d.status = $3)
              AND ($4::uuid IS NULL OR (d.created_at, d.id) < (SELECT c.created_at, c.id FROM webhook_deliveries c WHERE c.id = $4 AND c.org_id = $1))
            ORDER BY d.created_at DESC, d.id DESC
            LIMIT $5
            """, DeliveryView.Read, ct, tx.OrgId, endpointId, status, after == Guid.Empty ? null : after, take);

    /// <summary>Pending again, due now, with a fresh series of attempts; the delivery loop is woken.</summary>
    public static async Task<DeliveryView> RequeueAsync(Tx tx, Guid id, CancellationToken ct)
    {
        var after = (await tx.SingleAsync($"""
            UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), delivered_at = NULL
            WHERE id = $1 AND org_id = $2 RETURNING {DeliveryView.Columns}
            """, DeliveryView.Read, ct, id, tx.OrgId))!;
        await tx.ExecuteAsync($"NOTIFY {Notifier.WakeChannel}", ct);
        return after;
    }
}
