using AgentOps.Notifications;
using Microsoft.Extensions.Logging;

namespace AgentOps.Functions.Notifications;

/// <summary>
/// The Azure host's webhook sender (the self-host runtime's is WebhookDeliveryWorker): every 10 seconds, the
/// application's delivery loop (<see cref="WebhookDispatcher.DeliverAllDueAsync"/>: rounds while they come back full,
/// for at most <see cref="WebhookDispatcher.RoundsBudget"/>, so one invocation never overlaps the next by much; claims
/// are SKIP LOCKED and leased, so an overlap would only split the work). Deliveries are therefore sent within about
/// 10 s of being queued here, against about 1 s on the self-host (it is woken by NOTIFY).
/// </summary>
public sealed class WebhookDeliveriesFunction(WebhookDispatcher dispatcher, ILogger<WebhookDeliveriesFunction> logger)
{
    [Function("WebhookDeliveries")]
    public async Task Run([TimerTrigger("*/10 * * * * *")] TimerInfo timer, CancellationToken ct)
    {
        var rounds = await dispatcher.DeliverAllDueAsync(ct);
        if (rounds.Claimed > 0) logger.LogInformation("Processed {Deliveries} webhook deliveries", rounds.Claimed);
    }
}
