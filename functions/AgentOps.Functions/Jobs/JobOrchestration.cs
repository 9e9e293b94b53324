using AgentOps.Jobs;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace AgentOps.Functions.Jobs;

/// <summary>
/// The Azure host's job driver (the self-host's is JobWorker): a Timer trigger dispatches due jobs to Durable
/// orchestrations whose instance id is the job id (a job dispatched twice starts once); the orchestrator only
/// sequences the same activities — plan, run each shard (at most the job's parallelism at a time, each retried by a
/// Durable retry policy up to max_attempts, resuming at its checkpoint), finish. State stays in Postgres.
/// </summary>
public sealed class JobOrchestration(JobDispatcher dispatcher, JobActivities activities, ILogger<JobOrchestration> logger)
{
    public sealed record Plan(int[] Shards, int Parallelism, int MaxAttempts);

    [Function("JobsDispatch")]
    public async Task Dispatch([TimerTrigger("*/10 * * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken ct)
    {
        await dispatcher.StartSchedulesAsync(ct);
        foreach (var job in await dispatcher.TakeDueAsync("azure-timer", activities.Kinds, ct))
        {
            var instanceId = job.JobId.ToString();
            // jobs_take_due hands a job to one dispatcher; a job whose dispatcher died before planning comes back after a
            // minute and may already have its instance: then it is left to it.
            if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, ct) is not null) continue;
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(JobOrchestrator), job, new StartOrchestrationOptions(InstanceId: instanceId), ct);
        }
        foreach (var job in await dispatcher.UnfinishedAsync(ct)) await activities.FinishAsync(job, ct);
        if (timer.IsPastDue) logger.LogInformation("Job dispatch ran late");
    }

    [Function(nameof(JobOrchestrator))]
    public static async Task<bool> JobOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var job = context.GetInput<JobRef>()!;
        var plan = await context.CallActivityAsync<Plan>(nameof(PlanJob), job);
        // Postgres counts a shard's attempts (max_attempts); the policy leaves room for backpressure backoffs, which use none.
        var retry = TaskOptions.FromRetryPolicy(new RetryPolicy(maxNumberOfAttempts: plan.MaxAttempts * 3, firstRetryInterval: TimeSpan.FromSeconds(5), backoffCoefficient: 2.0));
        // A sliding window of at most parallelism shards (Task.WhenAny is deterministic under replay).
        var running = new List<Task<string>>();
        foreach (var idx in plan.Shards)
        {
            if (running.Count == plan.Parallelism) running.Remove(await Task.WhenAny(running));
            running.Add(RunShardAsync(context, new ShardRef(job.OrgId, job.JobId, idx), retry));
        }
        await Task.WhenAll(running);
        if (await context.CallActivityAsync<bool>(nameof(FinishJob), job)) return true;
        // A shard is still pending (its retries outlived the policy, or a retry asked for it): a new generation runs what is left.
        context.ContinueAsNew(job);
        return false;
    }

    /// <summary>A shard whose retries are used up does not fail the orchestration: FinishJob records the job as failed.</summary>
    private static async Task<string> RunShardAsync(TaskOrchestrationContext context, ShardRef shard, TaskOptions retry)
    {
        try { return await context.CallActivityAsync<string>(nameof(ProcessShard), shard, retry); }
        catch (TaskFailedException) { return nameof(ShardOutcome.Failed); }
    }

    [Function(nameof(PlanJob))]
    public async Task<Plan> PlanJob([ActivityTrigger] JobRef job, FunctionContext context)
    {
        var shards = await activities.PlanAsync(job, context.CancellationToken);
        var (parallelism, maxAttempts) = await activities.LimitsAsync(job, context.CancellationToken);
        return new Plan(shards, parallelism, maxAttempts);
    }

    /// <summary>Claims the shard for this orchestration and runs it from its checkpoint; a retryable failure throws so the retry policy runs it again.</summary>
    [Function(nameof(ProcessShard))]
    public async Task<string> ProcessShard([ActivityTrigger] ShardRef shard, FunctionContext context)
    {
        var owner = $"durable:{shard.JobId}:{shard.Idx}";
        if (!await activities.ClaimAsync(shard, owner, context.CancellationToken)) return nameof(ShardOutcome.LeaseLost);
        var outcome = await activities.RunShardAsync(shard, owner, context.CancellationToken);
        if (outcome == ShardOutcome.Retrying) throw new InvalidOperationException($"Shard {shard.Idx} of job {shard.JobId} failed; retrying from its checkpoint.");
        return outcome.ToString();
    }

    [Function(nameof(FinishJob))]
    public Task<bool> FinishJob([ActivityTrigger] JobRef job, FunctionContext context) => activities.FinishAsync(job, context.CancellationToken);
}
