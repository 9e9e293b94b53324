using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using AgentOps.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace AgentOps.IntegrationTests;

/// <summary>The self-host as an operator runs it: a real process on Kestrel, real HTTP, SIGTERM to stop.</summary>
[Collection(ApiCollection.Name)]
public partial class ServerProcessTests
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private const int SigTerm = 15;

    private static Process Start(string databaseUrl, int port, Dictionary<string, string>? extra = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "AgentOps.Server.dll");
        var info = new ProcessStartInfo("dotnet", [dll]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["AGENTOPS_DATABASE_URL"] = databaseUrl;
        info.Environment["AGENTOPS_JWT_SECRET"] = ApiFixture.JwtSecret;
        info.Environment["AGENTOPS_LISTEN_URL"] = $"http://127.0.0.1:{port}";
        info.Environment.Remove("AGENTOPS_MIGRATIONS_DATABASE_URL");
        foreach (var (key, value) in extra ?? []) info.Environment[key] = value;
        return Process.Start(info)!;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<HttpClient> WaitReadyAsync(Process server, int port)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline && !server.HasExited; await Task.Delay(100))
        {
            try { if ((await http.GetAsync("/api/health/ready")).StatusCode == HttpStatusCode.OK) return http; }
            catch (HttpRequestException) { }
        }
        throw new InvalidOperationException("the server did not become ready");
    }

    [Fact]
    public async Task Serves_real_http_and_stops_cleanly_on_sigterm()
    {
        var port = FreePort();
        using var server = Start(TestDatabase.AppUrl, port);
        var output = server.StandardOutput.ReadToEndAsync();
        using var http = await WaitReadyAsync(server, port);
        var tenant = await http.SignupAsync();
        (await http.Get("/api/v1/orgs/profile", tenant.AdminToken)).Expect(200);

        Assert.Equal(0, Kill(server.Id, SigTerm));
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(20)), "stopped within 20 s");
        Assert.Equal(0, server.ExitCode);
        Assert.Contains("Application is shutting down", await output);
    }

    [Fact]
    public async Task Exports_traces_and_metrics_over_otlp_when_an_endpoint_is_set()
    {
        // An OTLP/HTTP receiver: it keeps what exporters post to /v1/traces and /v1/metrics (protobuf bodies).
        var received = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        var receiverPort = FreePort();
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{receiverPort}");
        await using var receiver = builder.Build();
        receiver.MapPost("/v1/{signal}", async (string signal, Microsoft.AspNetCore.Http.HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            // Protobuf keeps strings as UTF-8 bytes: names of scopes, spans and instruments are readable as text.
            received.AddOrUpdate(signal, System.Text.Encoding.UTF8.GetString(body.ToArray()), (_, old) => old + System.Text.Encoding.UTF8.GetString(body.ToArray()));
            return Microsoft.AspNetCore.Http.Results.Ok();
        });
        await receiver.StartAsync();

        var port = FreePort();
        using var server = Start(TestDatabase.AppUrl, port, new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{receiverPort}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["OTEL_SERVICE_NAME"] = "agentops-otlp-test",
        });
        using var http = await WaitReadyAsync(server, port);
        var tenant = await http.SignupAsync();
        (await http.Get("/api/v1/orgs/profile", tenant.AdminToken)).Expect(200);

        bool Has(string signal, params string[] needles) => received.TryGetValue(signal, out var text) && needles.All(n => text.Contains(n, StringComparison.Ordinal));
        for (var deadline = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < deadline; await Task.Delay(200))
            if (Has("traces", "Microsoft.AspNetCore", "Npgsql", "agentops-otlp-test") && Has("metrics", "agentops.access.decisions", "http.server.request.duration"))
                break;
        Kill(server.Id, SigTerm);
        server.WaitForExit(TimeSpan.FromSeconds(20));
        Assert.True(Has("traces", "Microsoft.AspNetCore", "Npgsql", "agentops-otlp-test"), "traces from ASP.NET Core and Npgsql arrived");
        Assert.True(Has("metrics", "agentops.access.decisions", "http.server.request.duration"), "AgentOps' and ASP.NET Core's metrics arrived");
        Assert.DoesNotContain(tenant.AdminToken, received["traces"]);
    }

    [Fact]
    public async Task Refuses_to_run_as_a_role_that_bypasses_row_level_security()
    {
        using var server = Start(TestDatabase.AdminUrl, FreePort());
        var errors = server.StandardError.ReadToEndAsync();
        var output = server.StandardOutput.ReadToEndAsync();
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(30)), "exited");
        Assert.NotEqual(0, server.ExitCode);
        Assert.Contains("BYPASSRLS", await errors + await output);
    }
}
