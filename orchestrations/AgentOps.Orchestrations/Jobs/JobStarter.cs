using AgentOps.Jobs;
using AgentOps.Platform.Database;
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
/// restarted, a task hub was reset), ended (a failed job was retried), or failed (its activities kept failing).
/// A suspended orchestration is left alone: an operator suspended it. A cancelled job's orchestration is told by an
/// external event, so a shard waiting out a backoff stops at once.
/// </summary>
public sealed class JobStarter(JobDispatcher dispatcher, JobActivities jobs, Db db, ILogger<JobStarter> logger)
{
    public static string InstanceIdOf(Guid jobId) => jobId.ToString();

    public async Task<DispatchTick> TickAsync(DurableTaskClient client, string dispatcherName, CancellationToken ct)
    {
        var schedules = await dispatcher.StartSchedulesAsync(ct);
        var started = 0;
        foreach (var job in await dispatcher.TakeDueAsync(dispatcherName, jobs.Kinds, ct))
            if (await StartUnlessLiveAsync(client, job, ct) is not null) started++;
        var restarted = 0;
        foreach (var (job, cancelRequested) in await dispatcher.RunningAsync(jobs.Kinds, ct))
        {
            if (await StartUnlessLiveAsync(client, job, ct) is not { } previous)
            {
                // Cuts the orchestration's backoff waits short; its shards stop at their next batch boundary.
                if (cancelRequested) await client.RaiseEventAsync(InstanceIdOf(job.JobId), JobOrchestrator.CancelEvent, true, ct);
                continue;
            }
            restarted++;
            logger.LogWarning("Job {Job} had no live orchestration ({Previous}); started a new one", job.JobId, previous);
            await db.InOrgAsync(job.OrgId, tx => JobActivities.EventAsync(tx, job.JobId, null, "warn",
                "Orchestration started again: the job was running without a live one; shards resume at their checkpoints", new { previous }, ct), ct);
        }
        return new DispatchTick(schedules, started, restarted);
    }

    /// <summary>Starts the job's orchestration unless one is live; returns what was there before ("none" or its status), or null when left alone.</summary>
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
