using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentOps.Jobs;

/// <summary>
/// The self-host's job driver: a dispatcher tick every AGENTOPS_JOBS_DISPATCH_SECONDS (default 10; at once when a job
/// is created here) starts due schedules, takes due jobs and plans them, and finishes jobs whose shards are all done;
/// AGENTOPS_JOB_WORKERS loops (default 4) claim shard work items (SKIP LOCKED, with a lease renewed by every batch and
/// a heartbeat) and run them. A worker that dies leaves its lease to expire; another worker reclaims the shard and
/// resumes at its checkpoint. Azure drives the same activities from Durable orchestrators instead.
/// </summary>
public sealed class JobWorker(Db db, JobDispatcher dispatcher, JobActivities activities, JobSignal signal, Platform.AgentOpsOptions options,
    ILogger<JobWorker> logger) : BackgroundService
{
    public static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _work = new(0, int.MaxValue);
    private readonly string _process = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll([DispatchLoopAsync(stoppingToken), .. Enumerable.Range(0, options.JobWorkers).Select(i => ShardLoopAsync($"{_process}/{i}", stoppingToken))]);

    private async Task DispatchLoopAsync(CancellationToken ct)
    {
        await Task.Yield();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await DispatchOnceAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogError("Job dispatch failed: {Error}", ErrorHandlingMiddleware.SafeMessage(e));
            }
            try { await signal.WaitAsync(options.JobsDispatchInterval, ct); }
            catch (OperationCanceledException) { }
        }
    }

    /// <summary>One dispatcher tick (also what the Azure timer does, minus planning, which its orchestrator does).</summary>
    public async Task DispatchOnceAsync(CancellationToken ct)
    {
        await dispatcher.StartSchedulesAsync(ct);
        foreach (var job in await dispatcher.TakeDueAsync(_process, activities.Kinds, ct))
        {
            try
            {
                var shards = await activities.PlanAsync(job, ct);
                if (shards.Length == 0) await activities.FinishAsync(job, ct);
                _work.Release(Math.Max(1, shards.Length));
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                await dispatcher.FailAsync(job, ErrorHandlingMiddleware.SafeMessage(e), ct);
            }
        }
        foreach (var job in await dispatcher.UnfinishedAsync(ct)) await activities.FinishAsync(job, ct);
    }

    private async Task ShardLoopAsync(string owner, CancellationToken ct)
    {
        await Task.Yield();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (!await RunOneAsync(owner, ct)) await _work.WaitAsync(IdlePoll, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogError("Job shard loop failed: {Error}", ErrorHandlingMiddleware.SafeMessage(e));
                await Task.Delay(IdlePoll, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Claims one shard work item and runs it; false when there was none.</summary>
    public async Task<bool> RunOneAsync(string owner, CancellationToken ct)
    {
        var claimed = await db.WithoutOrgAsync(tx => tx.ListAsync("SELECT job_id, org_id, idx, reclaimed, previous_owner FROM job_shards_claim($1, $2, 1, $3)",
            r => (Shard: new ShardRef(r.GetGuid(1), r.GetGuid(0), r.GetInt32(2)), Reclaimed: r.GetBoolean(3), Previous: r.NullableString(4)), ct,
            owner, (int)activities.Lease.TotalSeconds, activities.Kinds), ct);
        if (claimed.Count == 0) return false;
        var (shard, reclaimed, previous) = claimed[0];
        if (reclaimed)
            await db.InOrgAsync(shard.OrgId, tx => JobActivities.EventAsync(tx, shard.JobId, shard.Idx, "warn",
                "Shard reclaimed: its worker's lease expired; resuming at its checkpoint", new { previous_owner = previous, owner }, ct), ct);
        using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var beating = HeartbeatAsync(shard, owner, heartbeat.Token);
        try
        {
            await activities.RunShardAsync(shard, owner, ct);
        }
        finally
        {
            await heartbeat.CancelAsync();
            await beating;
        }
        await activities.FinishAsync(new JobRef(shard.OrgId, shard.JobId), ct);
        _work.Release(); // a sibling may find the next shard (or the retry of this one)
        return true;
    }

    private async Task HeartbeatAsync(ShardRef shard, string owner, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                // A quarter of the lease: three missed beats before another worker may take the shard.
                await Task.Delay(activities.Lease / 4, ct);
                await JobLeases.HeartbeatAsync(db, shard, owner, activities.Lease, ct);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            logger.LogWarning("Heartbeat of job {Job} shard {Shard} failed: {Error}", shard.JobId, shard.Idx, ErrorHandlingMiddleware.SafeMessage(e));
        }
    }
}
