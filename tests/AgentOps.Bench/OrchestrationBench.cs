using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AgentOps.Orchestrations.Engine;
using AgentOps.Platform;
using Azure.Storage.Queues;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TaskHubClient = AgentOps.Orchestrations.Engine.TaskHubClient;

namespace AgentOps.Bench;

/// <summary>
/// ./agentops bench orchestration: the self-host's engine (durabletask shims over a TaskHubWorker, the Azure Storage
/// provider on Azurite, settings as the server uses them — EngineSetup.Settings) measured in this process.
/// <list type="number">
/// <item>Fan-out: 100 no-op activities, at most 10 at once (a job's sliding window), 3 rounds: wall time.</item>
/// <item>Chain: 20 no-op activities one after another, 3 rounds: wall time, and per-activity overhead — the time from
/// one activity's start to the next one's (the activity body is empty, so all of it is the engine: history write,
/// queue send, poll, dispatch), p50 and p99 over the 57 gaps.</item>
/// <item>Raw baseline, same run: one Azurite queue message sent, received and deleted with Azure.Storage.Queues (what
/// each engine step costs at least), p50 over 100 round trips; the chain's p50 over it is the engine's ratio.</item>
/// <item>Idle CPU: this process's CPU time over 20 s, 20 s after the rounds, with the engine started and nothing to do
/// (it polls its queues every 250 ms at most).</item>
/// <item>kill -9 recovery: a child process runs a 30-step chain (300 ms per step, each step appends a checkpoint line to
/// a file); after 5 checkpoints it is killed with SIGKILL and a new child (same worker id) starts; the figure is the
/// time from the kill to the first checkpoint written by the new child, and how many steps ran twice.</item>
/// </list>
/// One JSON line on stdout; progress on stderr. The peer figure (../shared/AZURE.md, this machine, 2026-12-04): the
/// 100-activity fan-out took 0.6–1.8 s warm; a sequential activity 18–22 ms with these settings.
/// </summary>
public static class OrchestrationBench
{
    private const int FanOut = 100, Window = 10, Chain = 20, Rounds = 3;
    private const int KillSteps = 30, KillAfter = 5;
    private static readonly TimeSpan StepTime = TimeSpan.FromMilliseconds(300);

    public sealed record FanOutInput(int Count, int Window);

    public static async Task<int> RunAsync(string[] args)
    {
        var storage = BenchSupport.Env("AGENTOPS_BENCH_STORAGE_CONNECTION_STRING", "orchestration");
        if (args.Length > 1 && args[1] == "worker") return await WorkerAsync(storage, args[2], args[3]);

        var hub = $"bench{DateTime.UtcNow:MMddHHmmss}";
        var cpu0 = BenchSupport.CpuTicks();
        var raw = await RawQueueRoundTripsAsync(storage);
        Console.Error.WriteLine($"raw queue round trip p50 {Percentile(raw, 50):F1} ms");

        using var host = await StartEngineAsync(storage, hub, "bench-main", r => r
            .AddActivityFunc<int, long>("Noop", (_, _) => Stopwatch.GetTimestamp())
            .AddOrchestratorFunc<FanOutInput, int>("FanOut", async (context, input) =>
            {
                var window = new List<Task<long>>();
                var next = 0;
                while (next < input.Count || window.Count > 0)
                {
                    while (window.Count < input.Window && next < input.Count) window.Add(context.CallActivityAsync<long>("Noop", next++));
                    window.Remove(await Task.WhenAny(window));
                }
                return input.Count;
            })
            .AddOrchestratorFunc<int, long[]>("Chain", async (context, count) =>
            {
                var stamps = new long[count];
                for (var i = 0; i < count; i++) stamps[i] = await context.CallActivityAsync<long>("Noop", i);
                return stamps;
            }));
        var client = host.Services.GetRequiredService<DurableTaskClient>();

        var fanOut = new List<double>();
        var chain = new List<double>();
        var gaps = new List<double>();
        for (var round = 0; round <= Rounds; round++) // round 0 warms the engine up and is not counted
        {
            var (wall, _) = await RunToEndAsync(client, "FanOut", new FanOutInput(FanOut, Window));
            var (chainWall, output) = await RunToEndAsync(client, "Chain", Chain);
            if (round == 0) continue;
            fanOut.Add(wall);
            chain.Add(chainWall);
            var stamps = output.ReadOutputAs<long[]>()!;
            gaps.AddRange(stamps.Zip(stamps.Skip(1), (a, b) => (b - a) * 1000.0 / Stopwatch.Frequency));
            Console.Error.WriteLine($"round {round}: fan-out {wall:F0} ms, chain {chainWall:F0} ms");
        }

        // Settled first: right after the rounds, tiered compilation and the GC are still at work.
        await Task.Delay(TimeSpan.FromSeconds(20));
        var idle = await IdleCpuAsync(TimeSpan.FromSeconds(20));
        Console.Error.WriteLine($"idle CPU {idle:F1} % of a core");
        await host.StopAsync();
        await Service(storage, hub).DeleteAsync();

        var (recoveryMs, repeated) = await KillRecoveryAsync(storage, hub + "k");
        var result = new
        {
            bench = "orchestration",
            engine = "durabletask shims over TaskHubWorker, Azure Storage provider on Azurite",
            fan_out = new { activities = FanOut, window = Window, wall_ms_median = Median(fanOut), wall_ms = fanOut.Select(Round) },
            chain = new
            {
                activities = Chain, wall_ms_median = Median(chain), wall_ms = chain.Select(Round),
                overhead_ms_p50 = Round(Percentile(gaps, 50)), overhead_ms_p99 = Round(Percentile(gaps, 99)),
            },
            raw_queue_round_trip_ms_p50 = Round(Percentile(raw, 50)),
            overhead_over_raw_queue = Math.Round(Percentile(gaps, 50) / Percentile(raw, 50), 2),
            peer_fan_out_ms = "600-1800 (../shared/AZURE.md)",
            idle_cpu_percent_of_core = Math.Round(idle, 2),
            kill9_recovery_ms = recoveryMs, kill9_steps_repeated = repeated,
            cpu_steal_percent = BenchSupport.StealPercent(cpu0, BenchSupport.CpuTicks()),
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    private static double Round(double v) => Math.Round(v, 1);
    private static double Median(List<double> values) => Round(Percentile(values, 50));

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private static async Task<(double Ms, OrchestrationMetadata Done)> RunToEndAsync(DurableTaskClient client, string name, object input)
    {
        var watch = Stopwatch.StartNew();
        var id = await client.ScheduleNewOrchestrationInstanceAsync(name, input);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        if (done.RuntimeStatus != OrchestrationRuntimeStatus.Completed) throw new InvalidOperationException($"{name} ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
        return (watch.Elapsed.TotalMilliseconds, done);
    }

    private static async Task<List<double>> RawQueueRoundTripsAsync(string storage)
    {
        var queue = new QueueClient(storage, $"bench-raw-{Guid.NewGuid():N}"[..30]);
        await queue.CreateAsync();
        var times = new List<double>();
        for (var i = 0; i < 100; i++)
        {
            var watch = Stopwatch.StartNew();
            await queue.SendMessageAsync("x");
            var message = (await queue.ReceiveMessageAsync()).Value;
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        await queue.DeleteAsync();
        return times;
    }

    private static async Task<double> IdleCpuAsync(TimeSpan period)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var before = process.TotalProcessorTime;
        await Task.Delay(period);
        process.Refresh();
        return 100.0 * (process.TotalProcessorTime - before).TotalMilliseconds / period.TotalMilliseconds;
    }

    /// <summary>The engine as the server builds it (EngineSetup.Settings), with these tasks instead of the application's.</summary>
    private static async Task<IHost> StartEngineAsync(string storage, string hub, string workerId, Action<DurableTaskRegistry> tasks)
    {
        var options = Options(storage, hub, workerId);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IOrchestrationService>(sp =>
            new AzureStorageOrchestrationService(EngineSetup.Settings(options, storage, sp.GetRequiredService<ILoggerFactory>())));
        builder.Services.AddSingleton<DurableTaskClient>(sp => new TaskHubClient((IOrchestrationServiceClient)sp.GetRequiredService<IOrchestrationService>(), JsonDataConverter.Default));
        builder.Services.AddDurableTaskWorker(b =>
        {
            b.AddTasks(tasks);
            b.UseBuildTarget<TaskHubEngine>();
        });
        var host = builder.Build();
        await host.StartAsync();
        // The engine creates the task hub as it starts; a start message before that would find no queue.
        await host.Services.GetRequiredService<IOrchestrationService>().CreateIfNotExistsAsync();
        return host;
    }

    private static EngineOptions Options(string storage, string hub, string workerId) =>
        new() { TaskHubName = hub, TaskHubWorkerId = workerId, JobWorkers = Window, TaskHubStorage = storage };

    /// <summary>The task hub's service, not started (a client only), or to delete the hub afterwards.</summary>
    private static AzureStorageOrchestrationService Service(string storage, string hub) =>
        new(EngineSetup.Settings(Options(storage, hub, "bench-client"), storage, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance));

    private static Action<DurableTaskRegistry> SlowChain(string checkpoints) => r => r
        .AddActivityFunc<int, int>("Step", async (_, i) =>
        {
            await Task.Delay(StepTime);
            await File.AppendAllTextAsync(checkpoints, $"{i} {Environment.ProcessId} {DateTime.UtcNow.Ticks}\n");
            return i;
        })
        .AddOrchestratorFunc<int, int>("SlowChain", async (context, count) =>
        {
            for (var i = 0; i < count; i++) await context.CallActivityAsync<int>("Step", i);
            return count;
        });

    /// <summary>The child: the engine with the slow chain, until it is killed.</summary>
    private static async Task<int> WorkerAsync(string storage, string hub, string checkpoints)
    {
        using var host = await StartEngineAsync(storage, hub, "bench-worker", SlowChain(checkpoints));
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    private static async Task<(double RecoveryMs, int Repeated)> KillRecoveryAsync(string storage, string hub)
    {
        var checkpoints = Path.Combine(Path.GetTempPath(), $"agentops-bench-{hub}.txt");
        File.WriteAllText(checkpoints, "");
        Process Child() => Process.Start(new ProcessStartInfo("dotnet", [typeof(OrchestrationBench).Assembly.Location, "orchestration", "worker", hub, checkpoints])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        var first = Child();
        // A client over the hub, not a worker: nothing here takes the hub's partition.
        var service = Service(storage, hub);
        await service.CreateIfNotExistsAsync();
        await new TaskHubClient(service, JsonDataConverter.Default).ScheduleNewOrchestrationInstanceAsync("SlowChain", KillSteps);
        var lines = await WaitForLinesAsync(checkpoints, KillAfter, TimeSpan.FromMinutes(2));
        first.Kill();
        var killedAt = DateTime.UtcNow;
        await first.WaitForExitAsync();
        Console.Error.WriteLine($"killed the worker after {lines.Count} checkpoints; starting a new one");
        var second = Child();
        try
        {
            var deadline = DateTime.UtcNow.AddMinutes(5);
            while (DateTime.UtcNow < deadline)
            {
                var recovered = Read(checkpoints).FirstOrDefault(c => c.Pid == second.Id);
                if (recovered.Pid != 0)
                {
                    await WaitForLinesAsync(checkpoints, KillSteps, TimeSpan.FromMinutes(2));
                    var all = Read(checkpoints);
                    var repeated = all.Count - all.Select(c => c.Step).Distinct().Count();
                    var ms = Math.Round((new DateTime(recovered.Ticks, DateTimeKind.Utc) - killedAt).TotalMilliseconds);
                    Console.Error.WriteLine($"recovered: first new checkpoint {ms} ms after the kill; {repeated} step(s) ran twice");
                    return (ms, repeated);
                }
                await Task.Delay(50);
            }
            throw new TimeoutException("The new worker wrote no checkpoint in 5 minutes.");
        }
        finally
        {
            second.Kill();
            await second.WaitForExitAsync();
            await service.DeleteAsync();
            File.Delete(checkpoints);
        }
    }

    private static List<(int Step, int Pid, long Ticks)> Read(string path) =>
        [.. File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => l.Split(' ')).Select(p =>
            (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture), long.Parse(p[2], CultureInfo.InvariantCulture)))];

    private static async Task<List<(int Step, int Pid, long Ticks)>> WaitForLinesAsync(string path, int distinctSteps, TimeSpan timeout)
    {
        for (var deadline = DateTime.UtcNow + timeout; DateTime.UtcNow < deadline; await Task.Delay(50))
        {
            var lines = Read(path);
            if (lines.Select(l => l.Step).Distinct().Count() >= distinctSteps) return lines;
        }
        throw new TimeoutException($"Fewer than {distinctSteps} checkpoints in {timeout.TotalSeconds} s.");
    }
}
