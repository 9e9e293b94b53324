using AgentOps.Notifications;
using AgentOps.Platform;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentOps.SelfHost.Notifications;

/// <summary>
/// The self-host runtime's webhook sender: runs the application's delivery loop
/// (<see cref="WebhookDispatcher.DeliverAllDueAsync"/>, which the Azure host's timer runs too) again and again. In
/// between it waits for a Postgres notification on <see cref="Notifier.WakeChannel"/> (sent by the commit of a
/// transaction that queued deliveries, on any replica) or at most <see cref="PollInterval"/> (retries fall due without
/// anyone saying so); when the loop stopped with more due (its budget ran out), it goes again at once.
/// </summary>
public sealed class WebhookDeliveryWorker(WebhookDispatcher dispatcher, NpgsqlDataSource dataSource, ILogger<WebhookDeliveryWorker> logger) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan AfterError = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        NpgsqlConnection? listener = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if ((await dispatcher.DeliverAllDueAsync(stoppingToken)).MoreMayBeDue) continue;
                    listener = await WaitForWorkAsync(listener, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
                catch (Exception e)
                {
                    logger.LogError("Webhook delivery round failed, trying again in {Seconds} s: {Error}", AfterError.TotalSeconds, SafeErrors.Message(e));
                    await Task.Delay(AfterError, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            }
        }
        finally
        {
            if (listener is not null) await listener.DisposeAsync();
        }
    }

    /// <summary>Waits on the listening connection (opened on first use; dropped and replaced when it breaks).</summary>
    private async Task<NpgsqlConnection?> WaitForWorkAsync(NpgsqlConnection? listener, CancellationToken ct)
    {
        try
        {
            if (listener is null)
            {
                listener = await dataSource.OpenConnectionAsync(ct);
                await using var listen = new NpgsqlCommand($"LISTEN {Notifier.WakeChannel}", listener);
                await listen.ExecuteNonQueryAsync(ct);
            }
            await listener.WaitAsync(PollInterval, ct);
            return listener;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Webhook wake-up connection failed, polling every {Seconds} s: {Error}", PollInterval.TotalSeconds, SafeErrors.Message(e));
            if (listener is not null) await listener.DisposeAsync();
            await Task.Delay(PollInterval, ct);
            return null;
        }
    }
}
