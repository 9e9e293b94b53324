using System.Text.Json;
using AgentOps.Audit;

namespace AgentOps.Notifications;

/// <summary>
/// Outgoing webhooks' use cases: endpoints (name, URL, the notification kinds they take, active), their signing secret
/// (shown at creation and rotation only), a test delivery, and the delivery log with redelivery of failed deliveries.
/// Every change is audited; snapshots carry the secret's hint, never the secret.
/// </summary>
public sealed class WebhookService(Db db, TimeProvider time)
{
    /// <summary>Endpoints per organization: each notification is sent once per endpoint, so this bounds the fan-out.</summary>
    public const int MaxEndpointsPerOrg = 20;
    public const string TestKind = "webhook.test";

    public async Task<WebhookWithSecret> CreateAsync(Caller caller, WebhookFields fields, CancellationToken ct)
    {
        var secret = WebhookSigning.NewSecret();
        var id = Guid.CreateVersion7();
        var created = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            await WebhookStore.LockCreationAsync(tx, ct);
            if (await WebhookStore.CountAsync(tx, ct) >= MaxEndpointsPerOrg)
                throw DomainError.Conflict("webhook_limit_reached", $"An organization has at most {MaxEndpointsPerOrg} webhook endpoints; delete one first.");
            var view = await WebhookStore.InsertAsync(tx, id, fields, secret, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "webhook.created", "webhook", id, null, view, ct);
            return view;
        }, ct);
        return new WebhookWithSecret(created, secret);
    }

    public Task<List<WebhookView>> PageAsync(Guid orgId, Guid after, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => WebhookStore.PageAsync(tx, after, take, ct), ct);

    public Task<WebhookView> GetAsync(Guid orgId, Guid id, CancellationToken ct) => db.InOrgAsync(orgId, tx => FindAsync(tx, id, false, ct), ct);

    /// <summary>Applies <paramref name="edit"/> (which may refuse as invalid) to the endpoint as it is; a change that changes nothing writes and audits nothing.</summary>
    public Task<WebhookView> UpdateAsync(Caller caller, Guid id, Func<WebhookView, WebhookFields> edit, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await FindAsync(tx, id, true, ct);
            var f = edit(before);
            if (f.Name == before.Name && f.Url == before.Url && f.Kinds.SequenceEqual(before.Kinds) && f.Active == before.Active) return before;
            var after = await WebhookStore.UpdateAsync(tx, id, f, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "webhook.updated", "webhook", id, before, after, ct);
            return after;
        }, ct);

    public Task DeleteAsync(Caller caller, Guid id, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await FindAsync(tx, id, true, ct);
            await WebhookStore.DeleteAsync(tx, id, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "webhook.deleted", "webhook", id, before, null, ct);
        }, ct);

    /// <summary>Takes effect at once: deliveries still pending are signed with the new secret when they are sent.</summary>
    public async Task<WebhookWithSecret> RotateSecretAsync(Caller caller, Guid id, CancellationToken ct)
    {
        var secret = WebhookSigning.NewSecret();
        var after = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await FindAsync(tx, id, true, ct);
            var rotated = await WebhookStore.SetSecretAsync(tx, id, secret, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "webhook.secret_rotated", "webhook", id, before, rotated, ct);
            return rotated;
        }, ct);
        return new WebhookWithSecret(after, secret);
    }

    /// <summary>
    /// A webhook.test delivery to this endpoint only, whatever kinds it takes; no notification is stored, so the
    /// payload's id is fresh. Audited (webhook.test_sent): it makes our servers call a URL.
    /// </summary>
    public Task<DeliveryView> TestAsync(Caller caller, Guid id, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            var endpoint = await FindAsync(tx, id, false, ct);
            if (!endpoint.Active) throw DomainError.Conflict("webhook_inactive", "The endpoint is inactive; activate it first (PATCH active: true).");
            var payload = new Notifier.WebhookBody(Guid.CreateVersion7(), caller.OrgId, TestKind, "info", "Test delivery",
                $"A test of the webhook endpoint \"{endpoint.Name}\".", new { webhook_id = id }, "webhook", id.ToString(), time.GetUtcNow());
            var deliveryId = (await Notifier.QueueDeliveriesAsync(tx, [id], null, TestKind, JsonSerializer.Serialize(payload, Json.Options), ct))[0];
            var queued = (await WebhookStore.DeliveryAsync(tx, deliveryId, false, ct))!;
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "webhook.test_sent", "webhook", id, null, new { delivery_id = deliveryId }, ct);
            return queued;
        }, ct);

    public Task<List<DeliveryView>> DeliveriesAsync(Guid orgId, Guid id, string? status, Guid after, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx =>
        {
            await FindAsync(tx, id, false, ct);
            return await WebhookStore.DeliveriesAsync(tx, id, status, after, take, ct);
        }, ct);

    /// <summary>
    /// A failed delivery goes back to pending, due now, with a fresh series of attempts (attempts restarts at 0; the
    /// last attempt's status and error stay until the next one). The same body and delivery id are sent again.
    /// </summary>
    public Task<DeliveryView> RedeliverAsync(Caller caller, Guid id, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await WebhookStore.DeliveryAsync(tx, id, true, ct) ?? throw DomainError.NotFound("webhook delivery");
            if (before.Status != "failed")
                throw DomainError.Conflict("delivery_not_failed", $"Only failed deliveries can be redelivered; this one is {before.Status}.");
            if (!(await FindAsync(tx, before.WebhookId, false, ct)).Active)
                throw DomainError.Conflict("webhook_inactive", "The delivery's endpoint is inactive; activate it first (PATCH active: true).");
            var after = await WebhookStore.RequeueAsync(tx, id, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "webhook.delivery_requeued", "webhook_delivery", id, Snapshot(before), Snapshot(after), ct);
            return after;
        }, ct);

    private static async Task<WebhookView> FindAsync(Tx tx, Guid id, bool forUpdate, CancellationToken ct) =>
        await WebhookStore.ReadAsync(tx, id, forUpdate, ct) ?? throw DomainError.NotFound("webhook");

    /// <summary>The delivery without its payload: the audit row says what changed, the log keeps the body.</summary>
    private static object Snapshot(DeliveryView d) => new
    {
        id = d.Id, webhook_id = d.WebhookId, kind = d.Kind, status = d.Status, attempts = d.Attempts, last_status_code = d.LastStatusCode, last_error = d.LastError,
    };
}
