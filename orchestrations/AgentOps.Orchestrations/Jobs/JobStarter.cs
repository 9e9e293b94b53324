using AgentOps.Jobs;
using AgentOps.Platform;
using AgentOps.Platform.Database;
using AgentOps.Platform.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace AgentOps.Orchestrations.Jobs;

/// <summary>What one dispatch tick did.</summary>
public sealed record DispatchTick(int SchedulesStarted, int JobsStarted, int OrchestrationsRestarted);

/// <summary>
/// The job timer's work, the same on both hosts (a hosted timer on the self-host, a Timer trigger on Azure): start due
/// recurring schedules, start one orchestration per due job with the job id as instance id, and make sure every
/// running, planned job has a live orchestration — one is started again when it is gone (an in-memory engine
/// restarted, a task hub was reset), ended (a failed job was retried), or failed (its activities kept failing), at
/// most <see cref="MaxRestarts"/> times per job. A suspended orchestration is left alone: an operator suspended it. A
/// cancelled job's live orchestration is told by an external event each tick (a ContinueAsNew in between drops it),
/// so a shard waiting out a backoff stops at once; a cancelled job whose orchestration has ended is closed, not restarted.
/// </summary>
public sealed class JobStarter(JobDispatcher dispatcher, JobActivities jobs, Db db, ILogger<JobStarter> logger)
{
    public static string InstanceIdOf(Guid jobId) => jobId.ToString();

    /// <summary>Restarts of one job's orchestration before the job is failed: one that keeps failing is not started forever.</summary>
    public const int MaxRestarts = 5;

    public async Task<DispatchTick> TickAsync(DurableTaskClient client, string dispatcherName, CancellationToken ct)
    {
        var schedules = await dispatcher.StartSchedulesAsync(ct);
        var started = 0;
        foreach (var job in await dispatcher.TakeDueAsync(dispatcherName, jobs.Kinds, ct))
            if (await EachAsync(job, () => StartUnlessLiveAsync(client, job, ct)) is not null) started++;
        var restarted = 0;
        foreach (var (job, cancelRequested) in await dispatcher.RunningAsync(jobs.Kinds, ct))
            if (await EachAsync(job, () => LookAfterAsync(client, job, cancelRequested, ct)) is true) restarted++;
        return new DispatchTick(schedules, started, restarted);
    }

    /// <summary>One job's failure (its task hub call, its row) is logged and leaves the rest of the tick to run.</summary>
    private async Task<T?> EachAsync<T>(JobRef job, Func<Task<T?>> work)
    {
        try { return await work(); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Job {Job}: dispatch step failed: {Error}", job.JobId, SafeErrors.Message(e));
            return default;
        }
    }

    /// <summary>
    /// A running job: under its row lock (SKIP LOCKED: another dispatcher, or the monitor, has it this moment), start its
    /// orchestration again when none is live — up to <see cref="MaxRestarts"/> times, then the job fails — and close a
    /// cancelled job whose orchestration has nothing left to do. Returns whether it restarted one.
    /// </summary>
    private Task<bool?> LookAfterAsync(DurableTaskClient client, JobRef job, bool cancelRequested, CancellationToken ct) =>
        db.InOrgAsync<bool?>(job.OrgId, async tx =>
        {
            var restarts = await tx.SingleAsync("SELECT orchestration_restarts FROM jobs WHERE id = $1 AND status = 'running' FOR UPDATE SKIP LOCKED",
                r => (object)r.GetInt32(0), ct, job.JobId);
            if (restarts is not int count) return false;
            var existing = await client.GetInstanceAsync(InstanceIdOf(job.JobId), getInputsAndOutputs: false, ct);
            if (existing?.RuntimeStatus is OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending)
            {
                // Cuts the orchestration's backoff waits short; its shards stop at their next batch boundary.
                if (cancelRequested) await client.RaiseEventAsync(InstanceIdOf(job.JobId), JobOrchestrator.CancelEvent, true, ct);
                return false;
            }
            if (existing?.RuntimeStatus is OrchestrationRuntimeStatus.Suspended) return false; // an operator suspended it
            if (cancelRequested)
            {
                // Nothing is left to run for a cancelled job: close it rather than start an orchestration to stop each shard.
                await jobs.CloseCancelledAsync(tx, job.JobId, $"its orchestration had ended ({existing?.RuntimeStatus.ToString() ?? "gone"})", ct);
                return false;
            }
            if (count >= MaxRestarts)
            {
                await tx.ExecuteAsync("""
                    UPDATE jobs SET status = 'failed', finished_at = now(), error = $2 WHERE id = $1
                    """, ct, job.JobId, $"Its orchestration ended {count} times without finishing the job (last: {existing?.RuntimeStatus.ToString() ?? "gone"}).");
                await JobActivities.EventAsync(tx, job.JobId, null, "error", "Job failed: its orchestration kept ending without finishing it",
                    new { restarts = count, last = existing?.RuntimeStatus.ToString() }, ct);
                return false;
            }
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(JobOrchestrator), new JobRun(job),
                new StartOrchestrationOptions(InstanceId: InstanceIdOf(job.JobId)), ct);
            await tx.ExecuteAsync("UPDATE jobs SET orchestration_restarts = orchestration_restarts + 1 WHERE id = $1", ct, job.JobId);
            var previous = existing?.RuntimeStatus.ToString() ?? "none";
            logger.LogWarning("Job {Job} had no live orchestration ({Previous}); started a new one", job.JobId, previous);
            await JobActivities.EventAsync(tx, job.JobId, null, "warn",
                "Orchestration started again: the job was running without a live one; shards resume at their checkpoints", new { previous, restart = count + 1 }, ct);
            return true;
        }, ct);

    /// <summary>Starts a just-taken job's orchestration unless one is live; returns what was there before ("none" or its status), or null when left alone.</summary>
    private static async Task<string?> StartUnlessLiveAsync(DurableTaskClient client, JobRef job, CancellationToken ct)
    {
        var id = InstanceIdOf(job.JobId);
        var existing = await client.GetInstanceAsync(id, getInputsAndOutputs: false, ct);
        if (existing?.RuntimeStatus is OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended)
            return null;
        await client.ScheduleNewOrchestrationInstanceAsync(nameof(JobOrchestrator), new JobRun(job), new StartOrchestrationOptions(InstanceId: id), ct);
        return existing?.RuntimeStatus.ToString() ?? "none";
    }
}
