using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Notifications;

public sealed class NotificationsModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings)
    {
        services.AddSingleton(WebhookOptions.Read(settings));
        services.AddSingleton(WebhookRetrySchedule.Default);
        services.AddSingleton<WebhookService>();
        services.AddSingleton<NotificationService>();
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<WebhookDispatcher>();
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api)
    {
        api.MapNotificationsApi();
        api.MapWebhooksApi();
    }
}
