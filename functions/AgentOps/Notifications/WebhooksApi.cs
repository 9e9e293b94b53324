
namespace AgentOps.Notifications;

/// <summary>The webhooks API over HTTP: binding, shape checks and answers; <see cref="WebhookService"/> holds the use cases.</summary>
public static class WebhooksApi
{

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

    public static async Task<Created<WebhookWithSecret>> CreateAsync(CreateWebhookRequest body, Caller caller, WebhookService webhooks, WebhookOptions options,
        CancellationToken ct)
    {
        var fields = WebhookFields.Check(new Validation(), body.Name, body.Url, body.Kinds, false, body.Active ?? true, options.AllowPrivateTargets);
        return TypedResults.Created((string?)null, await webhooks.CreateAsync(caller, fields, ct));
    }

    public static async Task<Ok<Page<WebhookView>>> ListAsync(Caller caller, WebhookService webhooks, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        return TypedResults.Ok(Paging.Of(await webhooks.PageAsync(caller.OrgId, after, take + 1, ct), take, w => w.Id));
    }

    public static async Task<Ok<WebhookView>> GetAsync(Guid id, Caller caller, WebhookService webhooks, CancellationToken ct) =>
        TypedResults.Ok(await webhooks.GetAsync(caller.OrgId, id, ct));

    /// <summary>Absent fields stay; a PATCH that changes nothing writes and audits nothing.</summary>
    public static async Task<Ok<WebhookView>> UpdateAsync(Guid id, UpdateWebhookRequest body, Caller caller, WebhookService webhooks, WebhookOptions options,
        CancellationToken ct) =>
        TypedResults.Ok(await webhooks.UpdateAsync(caller, id, before =>
        {
            var v = new Validation();
            if (body.Active is { IsSet: true, Value: null }) v.Add("$.active", "must be true or false.");
            return WebhookFields.Check(v, body.Name.Or(before.Name), body.Url.Or(before.Url), body.Kinds.IsSet ? body.Kinds.Value : before.Kinds, body.Kinds.IsSet,
                body.Active.Value ?? before.Active, options.AllowPrivateTargets);
        }, ct));

    public static async Task<NoContent> DeleteAsync(Guid id, Caller caller, WebhookService webhooks, CancellationToken ct)
    {
        await webhooks.DeleteAsync(caller, id, ct);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<WebhookWithSecret>> RotateSecretAsync(Guid id, Caller caller, WebhookService webhooks, CancellationToken ct) =>
        TypedResults.Ok(await webhooks.RotateSecretAsync(caller, id, ct));

    public static async Task<Accepted<DeliveryView>> TestAsync(Guid id, Caller caller, WebhookService webhooks, CancellationToken ct) =>
        TypedResults.Accepted((string?)null, await webhooks.TestAsync(caller, id, ct));

    public static async Task<Ok<Page<DeliveryView>>> DeliveriesAsync(Guid id, Caller caller, WebhookService webhooks, string? status, int? limit, string? cursor,
        CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        if (status is not (null or "pending" or "succeeded" or "failed")) throw DomainError.Invalid("status", "must be pending, succeeded or failed.");
        return TypedResults.Ok(Paging.Of(await webhooks.DeliveriesAsync(caller.OrgId, id, status, after, take + 1, ct), take, d => d.Id));
    }

    public static async Task<Accepted<DeliveryView>> RedeliverAsync(Guid id, Caller caller, WebhookService webhooks, CancellationToken ct) =>
        TypedResults.Accepted((string?)null, await webhooks.RedeliverAsync(caller, id, ct));
}
