using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AgentOps.IntegrationTests.Infrastructure;

/// <summary>
/// The self-host as an operator runs it: `dotnet AgentOps.Server.dll` in its own process, on Kestrel and a free
/// loopback port, stopped with SIGTERM. Output is collected for assertions.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    public int Port { get; }
    public Uri Url => new($"http://127.0.0.1:{Port}");

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public static ServerProcess Start(string databaseUrl, Dictionary<string, string?>? settings = null)
    {
        var port = FreePort();
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "AgentOps.Server.dll")])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.Environment["AGENTOPS_DATABASE_URL"] = databaseUrl;
        info.Environment["AGENTOPS_JWT_SECRET"] = ApiFixture.JwtSecret;
        info.Environment["AGENTOPS_SECRETS_KEY"] = ApiFixture.SecretsKey;
        info.Environment["AGENTOPS_LISTEN_URL"] = $"http://127.0.0.1:{port}";
        info.Environment.Remove("AGENTOPS_MIGRATIONS_DATABASE_URL");
        info.Environment["AGENTOPS_BLOB_DIR"] = Path.Combine(Path.GetTempPath(), "agentops-test-blobs");
        foreach (var (key, value) in settings ?? [])
            if (value is null) info.Environment.Remove(key); else info.Environment[key] = value;
        return new ServerProcess(Process.Start(info)!, port);
    }

    public async Task<HttpClient> WaitReadyAsync()
    {
        var http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(5) };
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline && !_process.HasExited; await Task.Delay(100))
        {
            try { if ((await http.GetAsync("/api/health/ready")).StatusCode == HttpStatusCode.OK) return http; }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { } // not listening yet, or slow to answer
        }
        http.Dispose();
        throw new InvalidOperationException($"The server did not become ready:\n{await OutputAsync()}");
    }

    /// <summary>Sends SIGTERM and waits; returns the exit code, or null if it did not stop in time.</summary>
    public int? Stop(TimeSpan timeout)
    {
        if (!_process.HasExited) Kill(_process.Id, SigTerm);
        return _process.WaitForExit(timeout) ? _process.ExitCode : null;
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing — what a crash looks like.</summary>
    public void KillHard()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public int? WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout) ? _process.ExitCode : null;

    /// <summary>Everything it wrote, once it has exited.</summary>
    public async Task<string> OutputAsync() => _process.HasExited ? await _stdout + await _stderr : "(still running)";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited) { _process.Kill(entireProcessTree: true); _process.WaitForExit(); }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
