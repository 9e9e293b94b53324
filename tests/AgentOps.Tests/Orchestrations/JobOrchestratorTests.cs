using System.Collections.Concurrent;
using AgentOps.Jobs;
using AgentOps.Orchestrations.Engine;
using AgentOps.Orchestrations.Jobs;
using DurableTask.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Testing.Sidecar;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TaskHubClient = AgentOps.Orchestrations.Engine.TaskHubClient;

namespace AgentOps.Tests.Orchestrations;

/// <summary>
/// The job orchestrator's sequencing on the self-host's engine (the shims over a TaskHubWorker) with the in-memory
/// service: the real orchestrator class, scripted activities registered under the real activity names (the
/// activities' Postgres side is covered by the integration tests, which run the same orchestrator on Azurite).
/// </summary>
public sealed class JobOrchestratorTests
{
    private static readonly JobRef Job = new(Guid.NewGuid(), Guid.NewGuid());

    /// <summary>What the scripted activities answer and what they saw.</summary>
    private sealed class Script
    {
        public Func<JobPlan> Plan = () => new JobPlan(1, [0], 1);
        public Func<int, int, ShardRun> Shard = (_, _) => new ShardRun(ShardOutcome.Succeeded);
        public TimeSpan ShardTime = TimeSpan.Zero;
        public readonly ConcurrentQueue<(int Idx, DateTime At)> Runs = new();
        public readonly ConcurrentDictionary<int, int> RunsOf = new();
        public int Finishes, Running, MaxRunning;
    }

    private static async Task<(IHost Host, DurableTaskClient Client)> StartAsync(Script script)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IOrchestrationService>(new InMemoryOrchestrationService(NullLoggerFactory.Instance));
        builder.Services.AddSingleton<DurableTaskClient>(sp => new TaskHubClient((IOrchestrationServiceClient)sp.GetRequiredService<IOrchestrationService>(), JsonDataConverter.Default));
        builder.Services.AddDurableTaskWorker(b =>
        {
            b.AddTasks(r => r
                .AddOrchestrator<JobOrchestrator>()
                .AddActivityFunc<JobRef, JobPlan>(nameof(PlanJob), (_, _) => script.Plan())
                .AddActivityFunc<ShardRef, ShardRun>(nameof(RunShard), async (_, shard) =>
                {
                    var n = script.RunsOf.AddOrUpdate(shard.Idx, 1, (_, v) => v + 1);
                    script.Runs.Enqueue((shard.Idx, DateTime.UtcNow));
                    var running = Interlocked.Increment(ref script.Running);
                    InterlockedMax(ref script.MaxRunning, running);
                    try
                    {
                        if (script.ShardTime > TimeSpan.Zero) await Task.Delay(script.ShardTime);
                        return script.Shard(shard.Idx, n);
                    }
                    finally { Interlocked.Decrement(ref script.Running); }
                })
                .AddActivityFunc<JobRef, string?>(nameof(FinishJob), (_, _) =>
                {
                    Interlocked.Increment(ref script.Finishes);
                    return "succeeded";
                }));
            b.UseBuildTarget<TaskHubEngine>();
        });
        var host = builder.Build();
        await host.StartAsync();
        return (host, host.Services.GetRequiredService<DurableTaskClient>());
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var current = Volatile.Read(ref target); value > current; current = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, current) == current) return;
    }

    private static async Task<OrchestrationMetadata> RunAsync(Script script, JobRun? input = null, Func<DurableTaskClient, string, Task>? meanwhile = null)
    {
        var (host, client) = await StartAsync(script);
        try
        {
            var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(JobOrchestrator), input ?? new JobRun(Job));
            if (meanwhile is not null) await meanwhile(client, id);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            return await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        }
        finally
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    [Fact]
    public async Task Shards_run_in_a_sliding_window_of_the_jobs_parallelism_each_once_then_the_job_finishes()
    {
        var script = new Script { Plan = () => new JobPlan(7, [0, 1, 2, 3, 4, 5], 2), ShardTime = TimeSpan.FromMilliseconds(150) };
        var done = await RunAsync(script);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("succeeded", done.ReadOutputAs<string>());
        Assert.Equal(Enumerable.Range(0, 6), script.RunsOf.Keys.Order()); // shard 6 was finished before: not run
        Assert.All(script.RunsOf.Values, n => Assert.Equal(1, n));
        Assert.Equal(2, script.MaxRunning);
        Assert.Equal(1, script.Finishes);
        Assert.Equal(new JobProgress(7, 7, 0, 0), done.ReadCustomStatusAs<JobProgress>());
    }

    [Fact]
    public async Task A_failed_plan_ends_the_orchestration_without_running_or_finishing()
    {
        var script = new Script { Plan = () => new JobPlan(0, [], 1, Failed: true) };
        var done = await RunAsync(script);
        Assert.Equal("failed", done.ReadOutputAs<string>());
        Assert.Empty(script.Runs);
        Assert.Equal(0, script.Finishes);
    }

    [Fact]
    public async Task A_retrying_shard_runs_again_only_once_its_backoff_has_passed()
    {
        var backoff = TimeSpan.FromSeconds(2);
        var script = new Script
        {
            Shard = (_, n) => n == 1 ? new ShardRun(ShardOutcome.Retrying, DateTime.UtcNow + backoff) : new ShardRun(ShardOutcome.Succeeded),
        };
        var done = await RunAsync(script);
        Assert.Equal("succeeded", done.ReadOutputAs<string>());
        var runs = script.Runs.ToArray();
        Assert.Equal(2, runs.Length);
        Assert.True(runs[1].At - runs[0].At >= backoff - TimeSpan.FromMilliseconds(50), $"ran again after {(runs[1].At - runs[0].At).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Cancel_cuts_a_shards_wait_short_and_the_shard_runs_at_once_to_stop()
    {
        var script = new Script
        {
            // Waiting an hour (a backoff, or another owner's lease); the run after the cancel stops the shard.
            Shard = (_, n) => n == 1 ? new ShardRun(ShardOutcome.Waiting, DateTime.UtcNow.AddHours(1)) : new ShardRun(ShardOutcome.Cancelled),
        };
        var started = DateTime.UtcNow;
        var done = await RunAsync(script, meanwhile: async (client, id) =>
        {
            while (script.Runs.IsEmpty) await Task.Delay(50);
            await client.RaiseEventAsync(id, JobOrchestrator.CancelEvent, true);
        });
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(2, script.RunsOf[0]);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_large_job_continues_as_new_between_generations_and_runs_every_shard_once()
    {
        var finished = new ConcurrentDictionary<int, bool>();
        var script = new Script { Plan = () => new JobPlan(5, [.. Enumerable.Range(0, 5).Where(i => !finished.ContainsKey(i))], 1) };
        script.Shard = (idx, _) => { finished[idx] = true; return new ShardRun(ShardOutcome.Succeeded); };
        var done = await RunAsync(script, new JobRun(Job, CallsPerGeneration: 2));
        Assert.Equal("succeeded", done.ReadOutputAs<string>());
        Assert.Equal(2, done.ReadInputAs<JobRun>()!.Generation); // 2 + 2 + 1 shard runs
        Assert.All(script.RunsOf.Values, n => Assert.Equal(1, n));
        Assert.Equal(5, script.RunsOf.Count);
        Assert.Equal(1, script.Finishes);
    }

    [Fact]
    public async Task An_activity_that_throws_is_retried_by_the_infrastructure_policy()
    {
        var script = new Script { Shard = (_, n) => n == 1 ? throw new InvalidOperationException("Postgres unreachable") : new ShardRun(ShardOutcome.Succeeded) };
        var done = await RunAsync(script);
        Assert.Equal("succeeded", done.ReadOutputAs<string>());
        Assert.Equal(2, script.RunsOf[0]);
    }
}
