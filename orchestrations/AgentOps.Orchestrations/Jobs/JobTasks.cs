using AgentOps.Jobs;
using AgentOps.Platform;
using AgentOps.Platform.Http;
using Microsoft.DurableTask;
using Microsoft.Extensions.Hosting;

namespace AgentOps.Orchestrations.Jobs;

// The job orchestration's activities: each a thin call into the application's JobActivities, which holds the rules
// and the state (Postgres). A durabletask activity has no cancellation token: the host's stopping token stands in, so
// a shard stops at a batch boundary when the process shuts down (its orchestration runs it again from the checkpoint).

/// <summary>Plans the job (once; again returns the same plan with what is unfinished). A plan that throws fails the job.</summary>
public sealed class PlanJob(JobActivities jobs, IHostApplicationLifetime host) : TaskActivity<JobRef, JobPlan>
{
    public override Task<JobPlan> RunAsync(TaskActivityContext context, JobRef job) => Guard.RunAsync(() => jobs.PlanAsync(job, host.ApplicationStopping));
}

/// <summary>Runs one shard from its checkpoint as the job orchestration's owner of it.</summary>
public sealed class RunShard(JobActivities jobs, TaskHubIdentity hub, IHostApplicationLifetime host) : TaskActivity<ShardRef, ShardRun>
{
    /// <summary>
    /// One owner per shard and task hub, the same after a redelivery: the run resumes at once instead of waiting for a
    /// lease to expire. A process on another task hub (misconfigured: servers sharing a database must share a hub)
    /// sees another owner's live lease and leaves the shard alone until it expires.
    /// </summary>
    public static string OwnerOf(TaskHubIdentity hub, ShardRef shard) => $"durable:{hub.Name}:{shard.JobId}:{shard.Idx}";

    public override Task<ShardRun> RunAsync(TaskActivityContext context, ShardRef shard) =>
        Guard.RunAsync(() => jobs.RunAsync(shard, OwnerOf(hub, shard), host.ApplicationStopping));
}

/// <summary>Ends the job once its shards are: returns its final status, or null while a shard is unfinished.</summary>
public sealed class FinishJob(JobActivities jobs, IHostApplicationLifetime host) : TaskActivity<JobRef, string?>
{
    public override Task<string?> RunAsync(TaskActivityContext context, JobRef job) => Guard.RunAsync(() => jobs.FinishAsync(job, host.ApplicationStopping));
}

/// <summary>
/// An activity's own failure reaches the task hub — its history, the monitor, the engine's log — as the message the
/// API would show (SafeErrors.Message: no connection strings, hosts or stack details); the retry
/// policy retries it all the same.
/// </summary>
internal static class Guard
{
    public static async Task<T> RunAsync<T>(Func<Task<T>> work)
    {
        try { return await work(); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new JobActivityException(SafeErrors.Message(e));
        }
    }
}

public sealed class JobActivityException(string message) : Exception(message);
