using AgentOps.Jobs;
using Microsoft.DurableTask;

namespace AgentOps.Orchestrations.Jobs;

/// <summary>
/// The orchestration's input: the job, how many generations (ContinueAsNew) came before, and how many shard runs a
/// generation may start (part of the input so that tests reach ContinueAsNew with small jobs).
/// </summary>
public sealed record JobRun(JobRef Job, int Generation = 0, int CallsPerGeneration = JobOrchestrator.CallsPerGeneration);

/// <summary>
/// One job, start to end (instance id = job id): plan, run the unfinished shards in a sliding window of the job's
/// parallelism, finish. State lives in Postgres, so this only sequences: a shard that fails below max_attempts, or
/// whose destination asks to slow down, comes back with the time its backoff ends (computed by the job's own retry
/// rule, attempts counted in Postgres) and waits on a durable timer; a cancel request (the <see cref="CancelEvent"/>
/// external event) cuts those waits short, and each shard stops at its next batch boundary. After
/// <see cref="CallsPerGeneration"/> shard runs the orchestration continues as new, so its history stays small however
/// many shards a job has.
/// </summary>
public sealed class JobOrchestrator : TaskOrchestrator<JobRun, string>
{
    public const string CancelEvent = "cancel";

    /// <summary>Shard runs per generation before ContinueAsNew (default): each adds about three history events.</summary>
    public const int CallsPerGeneration = 100;

    /// <summary>
    /// For the activities' own failures (Postgres unreachable, a worker stopping mid-call), not the shards': those
    /// are recorded in Postgres and come back as a result. Five tries over about a minute; after that the
    /// orchestration fails and the dispatcher starts it again on its next tick.
    /// </summary>
    public static readonly TaskOptions Infrastructure =
        TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(2), 2.0, TimeSpan.FromSeconds(30)));

    /// <summary>A shard that is waiting is looked at again after at least this long (an early timer would spin).</summary>
    public static readonly TimeSpan MinimumWait = TimeSpan.FromSeconds(1);

    /// <summary>When FinishJob finds a shard still unfinished (another owner's lease), the next generation waits this long.</summary>
    public static readonly TimeSpan UnfinishedPause = TimeSpan.FromSeconds(30);

    public override async Task<string> RunAsync(TaskOrchestrationContext context, JobRun run)
    {
        var plan = await context.CallActivityAsync<JobPlan>(nameof(PlanJob), run.Job, Infrastructure);
        if (plan.Failed) return "failed";
        var cancelled = context.WaitForExternalEvent<bool>(CancelEvent);
        var queue = new Queue<int>(plan.Unfinished);
        var window = new List<Task<ShardRun>>();
        var calls = new Counter();
        var done = plan.Shards - plan.Unfinished.Length;
        var unfinished = false;
        void Fill()
        {
            while (window.Count < Math.Max(1, plan.Parallelism) && queue.Count > 0 && calls.Value < run.CallsPerGeneration)
                window.Add(RunShardAsync(context, new ShardRef(run.Job.OrgId, run.Job.JobId, queue.Dequeue()), cancelled, calls, run.CallsPerGeneration));
            context.SetCustomStatus(new JobProgress(plan.Shards, done, window.Count, run.Generation));
        }
        Fill();
        while (window.Count > 0)
        {
            var finished = await Task.WhenAny(window);
            window.Remove(finished);
            if ((await finished).Done) done++;
            else unfinished = true;
            Fill();
        }
        // Shards left for the next generation: not started (the budget), or still waiting out a long backoff.
        if (queue.Count > 0 || unfinished)
        {
            context.ContinueAsNew(run with { Generation = run.Generation + 1 });
            return "continued";
        }
        if (await context.CallActivityAsync<string?>(nameof(FinishJob), run.Job, Infrastructure) is { } status) return status;
        await context.CreateTimer(UnfinishedPause, CancellationToken.None);
        context.ContinueAsNew(run with { Generation = run.Generation + 1 });
        return "continued";
    }

    /// <summary>Runs of one shard per generation (retries and waits included); one still not done goes on in the next generation.</summary>
    public const int RunsPerShard = 20;

    /// <summary>
    /// Runs one shard until it is done: between runs it waits for its backoff, unless the job is cancelled meanwhile.
    /// Stops undone after <see cref="RunsPerShard"/> runs or when the generation's budget of shard runs is spent.
    /// </summary>
    private static async Task<ShardRun> RunShardAsync(TaskOrchestrationContext context, ShardRef shard, Task<bool> cancelled, Counter calls, int budget)
    {
        var run = new ShardRun(ShardOutcome.Waiting);
        for (var i = 0; i < RunsPerShard && !run.Done; i++)
        {
            if (i > 0)
            {
                // The generation's budget is spent: the shard goes on in the next one.
                if (calls.Value >= budget) break;
                var earliest = context.CurrentUtcDateTime + MinimumWait;
                var until = run.RetryAt is { } at && at > earliest ? at : earliest;
                // A cancelled job's shard runs again after the minimum wait (it stops there), not at its backoff's end;
                // never at once, or a shard that cannot stop yet (another owner's lease) would spin.
                if (cancelled.IsCompleted) await context.CreateTimer(earliest, CancellationToken.None);
                else
                {
                    using var stop = new CancellationTokenSource();
                    var timer = context.CreateTimer(until, stop.Token);
                    if (await Task.WhenAny(timer, cancelled) == cancelled) stop.Cancel();
                }
            }
            calls.Value++;
            run = await context.CallActivityAsync<ShardRun>(nameof(RunShard), shard, Infrastructure);
        }
        return run;
    }

    /// <summary>Shard runs started in this generation (orchestrator code runs on one thread: a plain field is enough).</summary>
    private sealed class Counter
    {
        public int Value;
    }
}
