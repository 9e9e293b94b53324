using System.Text.Json;
using AgentOps.Notifications;
using AgentOps.Platform.Database;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.IntegrationTests.Infrastructure;

/// <summary>Notifications published the way the application's features publish them (Notifier, in an org transaction).</summary>
public static class Notices
{
    public static Task<Guid> PublishAsync(this ApiFixture fx, Guid orgId, string kind, string severity = "info", string title = "Something happened") =>
        fx.Factory.Services.GetRequiredService<Db>().InOrgAsync(orgId, tx => Notifier.PublishAsync(tx,
            new Notice(kind, severity, title, "Details of what happened.", new { amount_micros = 5_000_000 }, "budget", "b-1"), CancellationToken.None), CancellationToken.None);

    /// <summary>Polls an endpoint's delivery log until <paramref name="until"/> holds for it.</summary>
    public static async Task<List<JsonElement>> WaitForDeliveriesAsync(this HttpClient client, string bearer, Guid webhookId, Func<List<JsonElement>, bool> until, int seconds = 20)
    {
        List<JsonElement> items = [];
        for (var deadline = DateTime.UtcNow.AddSeconds(seconds); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            items = [.. (await client.Get($"/api/v1/webhooks/{webhookId}/deliveries", bearer)).Expect(200).Body.GetProperty("items").EnumerateArray()];
            if (until(items)) return items;
        }
        Assert.Fail($"the delivery log never reached the expected state: {JsonSerializer.Serialize(items)}");
        return items;
    }
}
