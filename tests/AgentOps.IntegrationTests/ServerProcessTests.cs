using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

/// <summary>The self-host as an operator runs it: a real process on Kestrel, real HTTP, SIGTERM to stop.</summary>
[Collection(ApiCollection.Name)]
public partial class ServerProcessTests
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private const int SigTerm = 15;

    private static Process Start(string databaseUrl, int port)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "AgentOps.Server.dll");
        var info = new ProcessStartInfo("dotnet", [dll]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["AGENTOPS_DATABASE_URL"] = databaseUrl;
        info.Environment["AGENTOPS_JWT_SECRET"] = ApiFixture.JwtSecret;
        info.Environment["AGENTOPS_LISTEN_URL"] = $"http://127.0.0.1:{port}";
        info.Environment.Remove("AGENTOPS_MIGRATIONS_DATABASE_URL");
        return Process.Start(info)!;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Serves_real_http_and_stops_cleanly_on_sigterm()
    {
        var port = FreePort();
        using var server = Start(TestDatabase.AppUrl, port);
        var output = server.StandardOutput.ReadToEndAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        var ready = false;
        for (var deadline = DateTime.UtcNow.AddSeconds(60); !ready && DateTime.UtcNow < deadline && !server.HasExited; await Task.Delay(100))
        {
            try { ready = (await http.GetAsync("/api/health/ready")).StatusCode == HttpStatusCode.OK; }
            catch (HttpRequestException) { }
        }
        Assert.True(ready, "the server became ready");
        var tenant = await http.SignupAsync();
        (await http.Get("/api/v1/orgs/profile", tenant.AdminToken)).Expect(200);

        Assert.Equal(0, Kill(server.Id, SigTerm));
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(20)), "stopped within 20 s");
        Assert.Equal(0, server.ExitCode);
        Assert.Contains("Application is shutting down", await output);
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
