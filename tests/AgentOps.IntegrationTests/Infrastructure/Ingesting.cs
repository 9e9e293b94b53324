using System.Text.Json;

namespace AgentOps.IntegrationTests.Infrastructure;

/// <summary>Helpers for tests that send events and wait for the workers to store them.</summary>
public static class Ingesting
{
    /// <summary>An hour ago, to the second: recent enough for the last-24-hour stats.</summary>
    public static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds());

    public static string At(double seconds) => T0.AddSeconds(seconds).ToString("O");

    /// <summary>A tenant and an SDK key (ingest + write, so unknown agent names register, + read to query).</summary>
    public static async Task<(Tenant Tenant, string Key)> SdkTenantAsync(this HttpClient client)
    {
        var tenant = await client.SignupAsync();
        var (_, key) = await client.CreateKeyAsync(tenant.AdminToken, "ingest", "write", "read");
        return (tenant, key);
    }

    public static Task<Reply> IngestAsync(this HttpClient client, string key, params object[] events) =>
        client.Post("/api/v1/ingest", new { batch = events }, key);

    /// <summary>Polls until the run exists and satisfies the condition (the workers are asynchronous).</summary>
    public static async Task<JsonElement> WaitForRunAsync(this HttpClient client, string bearer, string runId, Func<JsonElement, bool>? until = null, int seconds = 15)
    {
        Reply last = null!;
        for (var deadline = DateTime.UtcNow.AddSeconds(seconds); DateTime.UtcNow < deadline; await Task.Delay(50))
        {
            last = await client.Get($"/api/v1/runs/{Uri.EscapeDataString(runId)}", bearer);
            if (last.Code == 200 && (until is null || until(last.Body))) return last.Body;
        }
        throw new TimeoutException($"Run {runId} did not reach the expected state: {last}");
    }

    public static object Event(string id, string type, double at, string runId = "run-1", string agent = "support-bot", object? extra = null)
    {
        var e = new Dictionary<string, object?> { ["id"] = id, ["type"] = type, ["timestamp"] = At(at), ["run_id"] = runId, ["agent"] = agent };
        if (extra is not null)
            foreach (var p in extra.GetType().GetProperties()) e[p.Name] = p.GetValue(extra);
        return e;
    }
}
