using System.Text.Json;
using System.Text.RegularExpressions;
using AgentOps.Audit;
using AgentOps.Platform;

namespace AgentOps.Notifications;

/// <summary>
/// Outgoing webhooks: endpoints (name, URL, the notification kinds they take, active), their signing secret (shown
/// at creation and rotation only), a test delivery, and the delivery log with redelivery of failed deliveries.
/// Every change is audited; snapshots carry the secret's hint, never the secret.
/// </summary>
public static partial class WebhooksApi
{
    /// <summary>Endpoints per organization: each notification is sent once per endpoint, so this bounds the fan-out.</summary>
    public const int MaxEndpointsPerOrg = 20;
    public const int MaxKinds = 50;
    public const string TestKind = "webhook.test";

    public static void MapWebhooksApi(this RouteGroupBuilder api)
    {
        var webhooks = api.MapGroup("/webhooks").WithTags("Webhooks");
        webhooks.MapPost("/", CreateAsync).Requires(Permission.WebhooksManage).WithName("createWebhook").Problems(409).WithSummary("Create an endpoint (the secret is in this response only)");
        webhooks.MapGet("/", ListAsync).Requires(Permission.WebhooksManage).WithName("listWebhooks").WithSummary("Endpoints of the organization (secret hint only)");
        webhooks.MapGet("/{id:guid}", GetAsync).Requires(Permission.WebhooksManage).WithName("getWebhook").WithSummary("An endpoint");
        webhooks.MapPatch("/{id:guid}", UpdateAsync).Requires(Permission.WebhooksManage).WithName("updateWebhook").WithSummary("Change an endpoint");
        webhooks.MapDelete("/{id:guid}", DeleteAsync).Requires(Permission.WebhooksManage).WithName("deleteWebhook").WithSummary("Delete an endpoint and its delivery log");
        webhooks.MapPost("/{id:guid}/rotate-secret", RotateSecretAsync).Requires(Permission.WebhooksManage).WithName("rotateWebhookSecret").WithSummary("Replace the signing secret (the new one is in this response only)");
        webhooks.MapPost("/{id:guid}/test", TestAsync).Requires(Permission.WebhooksManage).WithName("testWebhook").Problems(409).WithSummary("Queue a webhook.test delivery to this endpoint only");
        webhooks.MapGet("/{id:guid}/deliveries", DeliveriesAsync).Requires(Permission.WebhooksManage).WithName("listWebhookDeliveries").WithSummary("The endpoint's delivery log, newest first");
        webhooks.MapPost("/deliveries/{id:guid}/redeliver", RedeliverAsync).Requires(Permission.WebhooksManage).WithName("redeliverWebhookDelivery").Problems(409).WithSummary("Queue a failed delivery again");
    }

    public sealed record CreateWebhookRequest(string? Name, string? Url, string[]? Kinds, bool? Active);
    public sealed record UpdateWebhookRequest(Optional<string> Name, Optional<string> Url, Optional<string[]> Kinds, Optional<bool?> Active);

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

    /// <summary>Dotted lower-case names, as notifications use them (budget.threshold, approval.requested).</summary>
    [GeneratedRegex(@"^[a-z0-9_]+(\.[a-z0-9_]+)*$")]
    private static partial Regex KindPattern();

    private static (string Name, string Url, string[] Kinds) Check(Validation v, string? name, string? url, string[]? kinds, bool kindsPresent, bool allowPrivate)
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
        return (trimmed!, uri!.OriginalString, kinds.Distinct().Order(StringComparer.Ordinal).ToArray());
    }

    public static async Task<Created<WebhookWithSecret>> CreateAsync(CreateWebhookRequest body, Caller caller, Db db, WebhookOptions options, CancellationToken ct)
    {
        var (name, url, kinds) = Check(new Validation(), body.Name, body.Url, body.Kinds, false, options.AllowPrivateTargets);
        var secret = WebhookSigning.NewSecret();
        var id = Guid.CreateVersion7();
        var created = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            // One creation at a time per organization, so two concurrent requests cannot both pass the limit.
            await tx.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtextextended('webhook_endpoints:' || $1::text, 0))", ct, caller.OrgId);
            var count = await tx.ScalarAsync<long>("SELECT count(*) FROM webhook_endpoints WHERE org_id = $1", ct, caller.OrgId);
            if (count >= MaxEndpointsPerOrg)
                throw ApiProblem.Conflict("webhook_limit_reached", $"An organization has at most {MaxEndpointsPerOrg} webhook endpoints; delete one first.");
            var view = (await tx.SingleAsync($"""
                INSERT INTO webhook_endpoints (id, org_id, name, url, secret, kinds, active) VALUES ($1, $2, $3, $4, $5, $6, $7)
                RETURNING {WebhookView.Columns}
                """, WebhookView.Read, ct, id, caller.OrgId, name, url, secret, kinds, body.Active ?? true))!;
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "webhook.created", "webhook", id, null, view, ct);
            return view;
        }, ct);
        return TypedResults.Created((string?)null, new WebhookWithSecret(created, secret));
    }

    public static async Task<Ok<Page<WebhookView>>> ListAsync(Caller caller, Db db, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var rows = await db.InOrgAsync(caller.OrgId, tx => tx.ListAsync(
            $"SELECT {WebhookView.Columns} FROM webhook_endpoints WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            WebhookView.Read, ct, caller.OrgId, after, take + 1), ct);
        return TypedResults.Ok(Paging.Of(rows, take, w => w.Id));
    }

    public static async Task<Ok<WebhookView>> GetAsync(Guid id, Caller caller, Db db, CancellationToken ct) =>
        TypedResults.Ok(await db.InOrgAsync(caller.OrgId, tx => FindAsync(tx, id, false, ct), ct));

    private static async Task<WebhookView> FindAsync(Tx tx, Guid id, bool forUpdate, CancellationToken ct) =>
        await tx.SingleAsync($"SELECT {WebhookView.Columns} FROM webhook_endpoints WHERE id = $1 AND org_id = $2{(forUpdate ? " FOR UPDATE" : "")}",
            WebhookView.Read, ct, id, tx.OrgId) ?? throw ApiProblem.NotFound("webhook");

    /// <summary>Absent fields stay; a PATCH that changes nothing writes and audits nothing.</summary>
    public static async Task<Ok<WebhookView>> UpdateAsync(Guid id, UpdateWebhookRequest body, Caller caller, Db db, WebhookOptions options, CancellationToken ct) =>
        TypedResults.Ok(await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await FindAsync(tx, id, true, ct);
            var v = new Validation();
            if (body.Active is { IsSet: true, Value: null }) v.Add("$.active", "must be true or false.");
            var (name, url, kinds) = Check(v, body.Name.Or(before.Name), body.Url.Or(before.Url), body.Kinds.IsSet ? body.Kinds.Value : before.Kinds,
                body.Kinds.IsSet, options.AllowPrivateTargets);
            var active = body.Active.Value ?? before.Active;
            if (name == before.Name && url == before.Url && kinds.SequenceEqual(before.Kinds) && active == before.Active) return before;
            var after = (await tx.SingleAsync($"""
                UPDATE webhook_endpoints SET name = $3, url = $4, kinds = $5, active = $6, updated_at = now()
                WHERE id = $1 AND org_id = $2 RETURNING {WebhookView.Columns}
                """, WebhookView.Read, ct, id, caller.OrgId, name, url, kinds, active))!;
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "webhook.updated", "webhook", id, before, after, ct);
            return after;
        }, ct));

    public static async Task<NoContent> DeleteAsync(Guid id, Caller caller, Db db, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await FindAsync(tx, id, true, ct);
            await tx.ExecuteAsync("DELETE FROM webhook_endpoints WHERE id = $1 AND org_id = $2", ct, id, caller.OrgId);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "webhook.deleted", "webhook", id, before, null, ct);
        }, ct);
        return TypedResults.NoContent();
    }

    /// <summary>Takes effect at once: deliveries still pending are signed with the new secret when they are sent.</summary>
    public static async Task<Ok<WebhookWithSecret>> RotateSecretAsync(Guid id, Caller caller, Db db, CancellationToken ct)
    {
        var secret = WebhookSigning.NewSecret();
        var after = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await FindAsync(tx, id, true, ct);
            var rotated = (await tx.SingleAsync($"UPDATE webhook_endpoints SET secret = $3, updated_at = now() WHERE id = $1 AND org_id = $2 RETURNING {WebhookView.Columns}",
                WebhookView.Read, ct, id, caller.OrgId, secret))!;
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "webhook.secret_rotated", "webhook", id, before, rotated, ct);
            return rotated;
        }, ct);
        return TypedResults.Ok(new WebhookWithSecret(after, secret));
    }

    /// <summary>
    /// A webhook.test delivery to this endpoint only, whatever kinds it takes; no notification is stored, so the
    /// payload's id is fresh. Audited (webhook.test_sent): it makes our servers call a URL.
    /// </summary>
    public static async Task<Accepted<DeliveryView>> TestAsync(Guid id, Caller caller, Db db, TimeProvider time, CancellationToken ct)
    {
        var delivery = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var endpoint = await FindAsync(tx, id, false, ct);
            if (!endpoint.Active) throw ApiProblem.Conflict("webhook_inactive", "The endpoint is inactive; activate it first (PATCH active: true).");
            var payload = new Notifier.WebhookBody(Guid.CreateVersion7(), caller.OrgId, TestKind, "info", "Test delivery",
                $"A test of the webhook endpoint \"{endpoint.Name}\".", new { webhook_id = id }, "webhook", id.ToString(), time.GetUtcNow());
            var body = JsonSerializer.Serialize(payload, Json.Options);
            var deliveryId = (await Notifier.QueueDeliveriesAsync(tx, [id], null, TestKind, body, ct))[0];
            var queued = (await tx.SingleAsync($"SELECT {DeliveryView.Columns} FROM webhook_deliveries WHERE id = $1 AND org_id = $2", DeliveryView.Read, ct, deliveryId, caller.OrgId))!;
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "webhook.test_sent", "webhook", id, null, new { delivery_id = deliveryId }, ct);
            return queued;
        }, ct);
        return TypedResults.Accepted((string?)null, delivery);
    }

    public static async Task<Ok<Page<DeliveryView>>> DeliveriesAsync(Guid id, Caller caller, Db db, string? status, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        if (status is not (null or "pending" or "succeeded" or "failed"))
            throw ApiProblem.Validation(new Dictionary<string, string[]> { ["status"] = ["must be pending, succeeded or failed."] });
        var rows = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            await FindAsync(tx, id, false, ct);
            return await tx.ListAsync($"""
                SELECT {DeliveryView.Columns} FROM webhook_deliveries d
                WHERE d.org_id = $1 AND d.endpoint_id = $2 AND ($3::text IS NULL OR d.status = $3)
                  AND ($4::uuid IS NULL OR (d.created_at, d.id) < (SELECT c.created_at, c.id FROM webhook_deliveries c WHERE c.id = $4 AND c.org_id = $1))
                ORDER BY d.created_at DESC, d.id DESC
                LIMIT $5
                """, DeliveryView.Read, ct, caller.OrgId, id, status, after == Guid.Empty ? null : after, take + 1);
        }, ct);
        return TypedResults.Ok(Paging.Of(rows, take, d => d.Id));
    }

    /// <summary>
    /// A failed delivery goes back to pending, due now, with a fresh series of attempts (attempts restarts at 0; the
    /// last attempt's status and error stay until the next one). The same body and delivery id are sent again.
    /// </summary>
    public static async Task<Accepted<DeliveryView>> RedeliverAsync(Guid id, Caller caller, Db db, CancellationToken ct)
    {
        var delivery = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await tx.SingleAsync($"SELECT {DeliveryView.Columns} FROM webhook_deliveries WHERE id = $1 AND org_id = $2 FOR UPDATE",
                DeliveryView.Read, ct, id, caller.OrgId) ?? throw ApiProblem.NotFound("webhook delivery");
            if (before.Status != "failed")
                throw ApiProblem.Conflict("delivery_not_failed", $"Only failed deliveries can be redelivered; this one is {before.Status}.");
            if (!(await FindAsync(tx, before.WebhookId, false, ct)).Active)
                throw ApiProblem.Conflict("webhook_inactive", "The delivery's endpoint is inactive; activate it first (PATCH active: true).");
            var after = (await tx.SingleAsync($"""
                UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), delivered_at = NULL
                WHERE id = $1 AND org_id = $2 RETURNING {DeliveryView.Columns}
                """, DeliveryView.Read, ct, id, caller.OrgId))!;
            await tx.ExecuteAsync($"NOTIFY {Notifier.WakeChannel}", ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "webhook.delivery_requeued", "webhook_delivery", id, Snapshot(before), Snapshot(after), ct);
            return after;
        }, ct);
        return TypedResults.Accepted((string?)null, delivery);
    }

    /// <summary>The delivery without its payload: the audit row says what changed, the log keeps the body.</summary>
    private static object Snapshot(DeliveryView d) => new
    {
        id = d.Id, webhook_id = d.WebhookId, kind = d.Kind, status = d.Status, attempts = d.Attempts, last_status_code = d.LastStatusCode, last_error = d.LastError,
    };
}
