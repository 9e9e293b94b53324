using AgentOps.Notifications;
using Microsoft.Extensions.Logging;

namespace AgentOps.Functions.Notifications;

/// <summary>
/// The Azure host's webhook sender (the self-host's is WebhookDeliveryWorker): every 10 seconds, the same
/// <see cref="WebhookDispatcher.DeliverDueAsync"/> rounds, repeated while a round comes back full, for at most
/// <see cref="Budget"/> so one invocation never overlaps the next by much (claims are SKIP LOCKED and leased, so an
/// overlap would only split the work). Deliveries are therefore sent within about 10 s of being queued here, against
/// about 1 s on the self-host (it is woken by NOTIFY).
/// </summary>
public sealed class WebhookDeliveriesFunction(WebhookDispatcher dispatcher, ILogger<WebhookDeliveriesFunction> logger)
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    [Function("WebhookDeliveries")]
    public async Task Run([TimerTrigger("*/10 * * * * *")] TimerInfo timer, CancellationToken ct)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(Budget);
        var sent = 0;
        int claimed;
        do
        {
            claimed = await dispatcher.DeliverDueAsync(ct);
            sent += claimed;
        } while (claimed == WebhookDispatcher.BatchSize && !budget.IsCancellationRequested);
        if (sent > 0) logger.LogInformation("Processed {Deliveries} webhook deliveries", sent);
    }
}
