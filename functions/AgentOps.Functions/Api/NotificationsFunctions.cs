using AgentOps.Notifications;
using AgentOps.Platform;

namespace AgentOps.Functions.Api;

/// <summary>/api/v1/notifications (NotificationsApi) and /api/v1/webhooks (WebhooksApi).</summary>
public sealed class NotificationsFunctions(Db db, AgentOpsOptions options, TimeProvider time)
{
    [Function("NotificationsList"), Requires(Permission.NotificationsRead)]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/notifications")] HttpRequest req) =>
        await NotificationsApi.ListAsync(Bind.CallerOf(req), db, Bind.QueryBool(req, "unread"), Bind.Query(req, "kind"), Bind.Query(req, "severity"),
            Bind.QueryInt(req, "limit"), Bind.Query(req, "cursor"), Bind.Aborted(req));

    [Function("NotificationsUnreadCount"), Requires(Permission.UserSession)]
    public async Task<IResult> UnreadCount([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/notifications/unread-count")] HttpRequest req) =>
        await NotificationsApi.UnreadCountAsync(Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("NotificationsMarkRead"), Requires(Permission.UserSession)]
    public async Task<IResult> MarkRead([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/notifications/{id:guid}/read")] HttpRequest req, Guid id) =>
        await NotificationsApi.MarkReadAsync(id, Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("NotificationsMarkAllRead"), Requires(Permission.UserSession)]
    public async Task<IResult> MarkAllRead([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/notifications/read-all")] HttpRequest req) =>
        await NotificationsApi.MarkAllReadAsync(Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("WebhooksCreate"), Requires(Permission.WebhooksManage)]
    public async Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/webhooks")] HttpRequest req) =>
        await WebhooksApi.CreateAsync(await Bind.BodyAsync<WebhooksApi.CreateWebhookRequest>(req), Bind.CallerOf(req), db, options, Bind.Aborted(req));

    [Function("WebhooksList"), Requires(Permission.WebhooksManage)]
    public async Task<IResult> ListWebhooks([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/webhooks")] HttpRequest req) =>
        await WebhooksApi.ListAsync(Bind.CallerOf(req), db, Bind.QueryInt(req, "limit"), Bind.Query(req, "cursor"), Bind.Aborted(req));

    [Function("WebhooksGet"), Requires(Permission.WebhooksManage)]
    public async Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/webhooks/{id:guid}")] HttpRequest req, Guid id) =>
        await WebhooksApi.GetAsync(id, Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("WebhooksUpdate"), Requires(Permission.WebhooksManage)]
    public async Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "api/v1/webhooks/{id:guid}")] HttpRequest req, Guid id) =>
        await WebhooksApi.UpdateAsync(id, await Bind.BodyAsync<WebhooksApi.UpdateWebhookRequest>(req), Bind.CallerOf(req), db, options, Bind.Aborted(req));

    [Function("WebhooksDelete"), Requires(Permission.WebhooksManage)]
    public async Task<IResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/webhooks/{id:guid}")] HttpRequest req, Guid id) =>
        await WebhooksApi.DeleteAsync(id, Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("WebhooksRotateSecret"), Requires(Permission.WebhooksManage)]
    public async Task<IResult> RotateSecret([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/webhooks/{id:guid}/rotate-secret")] HttpRequest req, Guid id) =>
        await WebhooksApi.RotateSecretAsync(id, Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("WebhooksTest"), Requires(Permission.WebhooksManage)]
    public async Task<IResult> Test([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/webhooks/{id:guid}/test")] HttpRequest req, Guid id) =>
        await WebhooksApi.TestAsync(id, Bind.CallerOf(req), db, time, Bind.Aborted(req));

    [Function("WebhooksDeliveries"), Requires(Permission.WebhooksManage)]
    public async Task<IResult> Deliveries([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/webhooks/{id:guid}/deliveries")] HttpRequest req, Guid id) =>
        await WebhooksApi.DeliveriesAsync(id, Bind.CallerOf(req), db, Bind.Query(req, "status"), Bind.QueryInt(req, "limit"), Bind.Query(req, "cursor"), Bind.Aborted(req));

    [Function("WebhooksRedeliver"), Requires(Permission.WebhooksManage)]
    public async Task<IResult> Redeliver([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/webhooks/deliveries/{id:guid}/redeliver")] HttpRequest req, Guid id) =>
        await WebhooksApi.RedeliverAsync(id, Bind.CallerOf(req), db, Bind.Aborted(req));
}
