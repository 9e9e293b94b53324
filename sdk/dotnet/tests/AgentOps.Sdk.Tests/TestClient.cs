using System.Diagnostics;

namespace AgentOps.Sdk.Tests;

internal static class TestClient
{
    public static AgentOpsClient Create(Uri url, Action<AgentOpsOptions>? configure = null)
    {
        var options = new AgentOpsOptions
        {
            Endpoint = url,
            ApiKey = "aok_test",
            Agent = "unit-agent",
            FlushInterval = TimeSpan.FromMilliseconds(100),
            RetryBase = TimeSpan.FromMilliseconds(20),
            RetryCap = TimeSpan.FromMilliseconds(200),
            FlushOnExit = false,
            DisposeFlushTimeout = TimeSpan.FromMilliseconds(300),
        };
        configure?.Invoke(options);
        return new AgentOpsClient(options);
    }

    /// <summary>A loopback URL where nothing listens.</summary>
    public static Uri Unreachable()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }

    public static async Task Eventually(Func<bool> condition, TimeSpan? timeout = null, string? because = null)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > (timeout ?? TimeSpan.FromSeconds(10))) Assert.Fail("timed out waiting: " + because);
            await Task.Delay(10);
        }
    }
}
