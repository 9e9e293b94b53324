using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentOps.Analytics.ClickHouse;

/// <summary>
/// Ensures the ClickHouse schema when the process starts. ClickHouse being down must not keep the control plane from
/// starting (only analytics need it): a failure is logged and retried every <see cref="RetryInterval"/> until it works.
/// </summary>
public sealed class ClickHouseSchemaService(ClickHouseClient client, ILogger<ClickHouseSchemaService> logger) : BackgroundService
{
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ClickHouseSchema.EnsureAsync(client, stoppingToken);
                logger.LogInformation("ClickHouse schema ensured in {Target}", client.Settings.ToString());
                return;
            }
            catch (ClickHouseException e)
            {
                logger.LogError("ClickHouse schema could not be ensured ({Message}); retrying in {Seconds} s", e.Message, RetryInterval.TotalSeconds);
            }
            await Task.Delay(RetryInterval, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
