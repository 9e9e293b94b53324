using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using AgentOps.Sdk;

// The .NET SDK's benchmark. Phases:
//  1. hot path: RecordLlmCall timed call by call (Stopwatch ticks) on the caller's thread, after a warm-up, while the
//     background worker serializes, compresses and sends to an in-process sink that acknowledges everything;
//  2. throughput: events recorded through one client to AGENTOPS_SDK_TEST_URL and acknowledged by the server;
//  3. server down: 1,000 events/s into a client whose server does not answer, for 60 s (10 s with --quick): the
//     queue stays at its bound, the rest is dropped and counted, and the managed heap stays small.

// `--exit-probe URL`: records a run and returns without flushing or disposing; the flush at process exit must send it
// (TransportTests.The_process_exit_flush_sends_what_is_queued runs this).
if (args.Length == 2 && args[0] == "--exit-probe")
{
    var probe = new AgentOpsClient(new AgentOpsOptions { Endpoint = new Uri(args[1]), ApiKey = "probe", Agent = "exit-probe", FlushInterval = TimeSpan.FromMinutes(1) });
    probe.StartRun("exit probe").End();
    return 0;
}

var quick = args.Contains("--quick");
var stealStart = CpuStat.Read();
var log = Console.Error;

const int WarmupCalls = 50_000;
const int MeasuredCalls = 300_000;
const int ServerDownRate = 1_000;
var serverDownSeconds = quick ? 10 : 60;
var throughputEvents = quick ? 10_000 : 20_000;

// ---- 1. hot path
double p50, p99;
using (var sink = new NullSink())
{
    await using var client = new AgentOpsClient(new AgentOpsOptions
    {
        Endpoint = sink.Url, ApiKey = "bench", Agent = "bench", MaxQueueEvents = WarmupCalls + MeasuredCalls + 10_000, FlushOnExit = false,
    });
    var run = client.StartRun("bench hot path");
    for (var i = 0; i < WarmupCalls; i++)
        client.RecordLlmCall("gpt-4o-mini", "openai", 1200, 300, 200, TimeSpan.FromMilliseconds(850));
    await client.FlushAsync(TimeSpan.FromSeconds(30));
    var ticks = new long[MeasuredCalls];
    var latency = TimeSpan.FromMilliseconds(850);
    for (var i = 0; i < MeasuredCalls; i++)
    {
        var t0 = Stopwatch.GetTimestamp();
        client.RecordLlmCall("gpt-4o-mini", "openai", 1200, 300, 200, latency);
        ticks[i] = Stopwatch.GetTimestamp() - t0;
    }
    run.End();
    var flushed = await client.FlushAsync(TimeSpan.FromSeconds(60));
    Array.Sort(ticks);
    p50 = Micros(ticks[ticks.Length / 2]);
    p99 = Micros(ticks[(int)(ticks.Length * 0.99)]);
    log.WriteLine($"hot path: p50 {p50:0.00} µs, p99 {p99:0.00} µs over {MeasuredCalls} calls; sink got {sink.Events} batches; unsent {flushed.Unsent}; dropped {client.Stats().DroppedQueueFull}");
}

// ---- 2. throughput to the real server
double? eventsPerSecond = null;
long throughputSent = 0;
var url = Environment.GetEnvironmentVariable("AGENTOPS_SDK_TEST_URL");
var key = Environment.GetEnvironmentVariable("AGENTOPS_SDK_TEST_API_KEY");
if (!string.IsNullOrEmpty(url) && !string.IsNullOrEmpty(key))
{
    await using var client = new AgentOpsClient(new AgentOpsOptions
    {
        Endpoint = new Uri(url), ApiKey = key, Agent = "bench-csharp-" + Guid.NewGuid().ToString("N")[..8],
        MaxQueueEvents = throughputEvents + 1_000, FlushOnExit = false,
    });
    var sw = Stopwatch.StartNew();
    for (var r = 0; r < throughputEvents / 100; r++)
    {
        using var run = client.StartRun($"bench run {r}");
        for (var i = 0; i < 98; i++)
            client.RecordLlmCall("gpt-4o-mini", "openai", 1200, 300, 200, TimeSpan.FromMilliseconds(850));
    }
    var result = await client.FlushAsync(TimeSpan.FromSeconds(180));
    sw.Stop();
    throughputSent = client.Stats().Sent;
    eventsPerSecond = throughputSent / sw.Elapsed.TotalSeconds;
    log.WriteLine($"throughput: {throughputSent} acknowledged in {sw.Elapsed.TotalSeconds:0.0} s = {eventsPerSecond:0} events/s; unsent {result.Unsent}; retries {client.Stats().Retries} (the organization's ingest rate limit answers 429 above it)");
}
else log.WriteLine("throughput: skipped (AGENTOPS_SDK_TEST_URL / AGENTOPS_SDK_TEST_API_KEY not set)");

// ---- 3. server down
long downQueue, downDropped;
double managedMb;
int maxQueue;
{
    var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    var port = ((IPEndPoint)listener.LocalEndpoint).Port;
    listener.Stop();
    var client = new AgentOpsClient(new AgentOpsOptions
    {
        Endpoint = new Uri($"http://127.0.0.1:{port}"), ApiKey = "bench", Agent = "bench", FlushOnExit = false,
        DisposeFlushTimeout = TimeSpan.FromMilliseconds(100),
    });
    maxQueue = client.Options.MaxQueueEvents;
    var run = client.StartRun("bench server down");
    var sw = Stopwatch.StartNew();
    long recorded = 0;
    var prompt = new string('p', 200);
    while (sw.Elapsed.TotalSeconds < serverDownSeconds)
    {
        var due = (long)(sw.Elapsed.TotalSeconds * ServerDownRate);
        for (; recorded < due; recorded++)
            client.RecordLlmCall("gpt-4o-mini", "openai", 1200, 300, 200, TimeSpan.FromMilliseconds(850), input: prompt);
        await Task.Delay(10);
    }
    var stats = client.Stats();
    downQueue = stats.Queued;
    downDropped = stats.DroppedQueueFull;
    managedMb = GC.GetTotalMemory(forceFullCollection: true) / (1024.0 * 1024.0);
    log.WriteLine($"server down: {recorded} recorded in {serverDownSeconds} s, queue {downQueue}, dropped {downDropped}, retries {stats.Retries}, managed heap {managedMb:0.0} MB");
    run.End();
    await client.DisposeAsync();
}

var steal = CpuStat.StealPercent(stealStart, CpuStat.Read());
var line = new Dictionary<string, object?>
{
    ["language"] = "csharp",
    ["record_llm_call_p50_us"] = Math.Round(p50, 3),
    ["record_llm_call_p99_us"] = Math.Round(p99, 3),
    ["target_p99_us"] = 10,
    ["ratio_to_target"] = Math.Round(p99 / 10, 3),
    ["events_per_s"] = eventsPerSecond is { } eps ? Math.Round(eps, 1) : null,
    ["events_per_s_events"] = throughputSent,
    ["server_down_seconds"] = serverDownSeconds,
    ["server_down_rate"] = ServerDownRate,
    ["server_down_queue_events"] = downQueue,
    ["server_down_dropped"] = downDropped,
    ["server_down_managed_mb"] = Math.Round(managedMb, 2),
    ["max_queue_events"] = maxQueue,
    ["cpu_steal_percent"] = steal is { } s ? Math.Round(s, 2) : null,
};
Console.WriteLine(JsonSerializer.Serialize(line));
return 0;

static double Micros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

/// <summary>An HTTP endpoint that acknowledges every ingest batch (202) without looking at it.</summary>
internal sealed class NullSink : IDisposable
{
    private readonly HttpListener _listener = new();
    private long _events;

    public NullSink()
    {
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Url.ToString());
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    public Uri Url { get; }

    public long Events => Interlocked.Read(ref _events);

    private async Task LoopAsync()
    {
        var buffer = new byte[64 * 1024];
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            long bytes = 0;
            int n;
            while ((n = await ctx.Request.InputStream.ReadAsync(buffer)) > 0) bytes += n;
            Interlocked.Add(ref _events, 1);
            ctx.Response.StatusCode = 202;
            var body = "{\"accepted\":0,\"rejected\":0}"u8.ToArray();
            ctx.Response.ContentType = "application/json";
            ctx.Response.ContentLength64 = body.Length;
            await ctx.Response.OutputStream.WriteAsync(body);
            ctx.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}

/// <summary>The machine's CPU time from /proc/stat: steal is what the hypervisor gave other guests.</summary>
internal static class CpuStat
{
    public static long[]? Read()
    {
        try
        {
            var first = File.ReadLines("/proc/stat").First();
            return first.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception) { return null; }
    }

    public static double? StealPercent(long[]? start, long[]? end)
    {
        if (start is null || end is null || start.Length < 8 || end.Length < 8) return null;
        long total = 0;
        for (var i = 0; i < Math.Min(8, end.Length); i++) total += end[i] - start[i];
        return total <= 0 ? 0 : 100.0 * (end[7] - start[7]) / total;
    }
}
