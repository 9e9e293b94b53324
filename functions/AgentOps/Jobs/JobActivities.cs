using AgentOps.Contracts;
using AgentOps.Audit;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace AgentOps.Jobs;

/// <summary>
/// Where a shard run ended: done one way or another (Succeeded, Failed, Cancelled), or to be run again at RetryAt
/// (Retrying: it failed below max_attempts or its destination asked to slow down; Waiting: not due yet, or another
/// owner's live lease holds it).
/// </summary>
public enum ShardOutcome { Succeeded, Retrying, Failed, Cancelled, Waiting }

/// <summary>Identifies a job across organizations (orchestrations pass ids, never payloads).</summary>
public sealed record JobRef(Guid OrgId, Guid JobId);

public sealed record ShardRef(Guid OrgId, Guid JobId, int Idx);

/// <summary>What an orchestration needs to drive a job: the shards still to run and how many at once. Failed: the plan failed and the job with it.</summary>
public sealed record JobPlan(int Shards, int[] Unfinished, int Parallelism, bool Failed = false);

/// <summary>The custom status a job orchestration shows while it runs (the monitor reads it): shards in all, done, running now, and its generation (ContinueAsNew).</summary>
public sealed record JobProgress(int Shards, int Done, int Running, int Generation);

/// <summary>A shard run's end; RetryAt (UTC) when it is to run again.</summary>
public sealed record ShardRun(ShardOutcome Outcome, DateTime? RetryAt = null)
{
    public bool Done => Outcome is ShardOutcome.Succeeded or ShardOutcome.Failed or ShardOutcome.Cancelled;
}

/// <summary>
/// The steps every host's job orchestration drives (orchestrations/AgentOps.Orchestrations): plan a job into shards,
/// run a shard batch by batch from its checkpoint, finish the job. Each is idempotent and safe to run again (a
/// Durable activity may be redelivered after a crash); state lives in Postgres (job_shards.checkpoint_key after every
/// batch), inputs are ids.
/// </summary>
public sealed class JobActivities(Db db, IEnumerable<IJobKind> kinds, JobsOptions options, TimeProvider time, ILogger<JobActivities> logger)
{
    /// <summary>How long a shard's claim lasts without a heartbeat (AGENTOPS_JOB_LEASE_SECONDS, 60); every batch renews it.</summary>
    public TimeSpan Lease => options.Lease;

    private readonly Dictionary<string, IJobKind> _kinds = kinds.ToDictionary(k => k.Kind);

    public IJobKind KindOf(string kind) => _kinds.TryGetValue(kind, out var k) ? k
        : throw new InvalidOperationException($"No job kind {kind} is registered in this host.");

    public bool Supports(string kind) => _kinds.ContainsKey(kind);

    /// <summary>The kinds this host runs: its dispatcher and workers take only these (a host without ClickHouse leaves exports alone).</summary>
    public string[] Kinds => [.. _kinds.Keys];

    /// <summary>
    /// Records the time window a job covers (from: exclusive, null = from the beginning; to: now), for a kind whose plan
    /// cuts one (the ClickHouse export); returns the window's end. Jobs owns the jobs table: kinds record through this.
    /// </summary>
    public static async Task<DateTimeOffset> RecordWindowAsync(Tx tx, Guid jobId, DateTimeOffset? from, CancellationToken ct) =>
        new(DateTime.SpecifyKind(await tx.ScalarAsync<DateTime>("UPDATE jobs SET window_from = $2, window_to = now() WHERE id = $1 AND org_id = $3 RETURNING window_to",
            ct, jobId, from, tx.OrgId), DateTimeKind.Utc));

    /// <summary>Writes to the job's log; every such moment (planned, shard done, finished, failed, cancelled) is a change of the job.</summary>
    public static async Task EventAsync(Tx tx, Guid jobId, int? shard, string level, string message, object? data, CancellationToken ct)
    {
        await tx.ExecuteAsync("INSERT INTO job_events (org_id, job_id, shard_idx, level, message, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb)", ct,
            tx.OrgId, jobId, shard, level, message, data is null ? null : JsonSerializer.Serialize(data, data.GetType(), Json.Options));
        await tx.RaiseAsync(new JobChanged(jobId), ct);
    }

    private static Task<Job?> JobAsync(Tx tx, Guid jobId, CancellationToken ct, bool forUpdate = false) =>
        tx.SingleAsync($"SELECT {Job.Columns} FROM jobs j WHERE j.id = $1 AND j.org_id = $2{(forUpdate ? " FOR UPDATE" : "")}", Job.Read, ct, jobId, tx.OrgId);

    /// <summary>
    /// Splits the job into shards, once: a second call returns the same plan, with the shards still unfinished. Each
    /// source of the kind is cut at the quantiles of its keys into up to parallelism shards; a cancelled or finished
    /// job gets none. A plan that throws fails the job with the reason (the same on every host).
    /// </summary>
    public async Task<JobPlan> PlanAsync(JobRef job, CancellationToken ct)
    {
        try
        {
            return await db.InOrgAsync(job.OrgId, async tx =>
            {
                var j = await JobAsync(tx, job.JobId, ct, forUpdate: true) ?? throw new InvalidOperationException($"Job {job.JobId} does not exist.");
                if (j.PlannedAt is null && !j.Terminal)
                {
                    await tx.ExecuteAsync("UPDATE jobs SET started_at = coalesce(started_at, now()), status = 'running' WHERE id = $1", ct, j.Id);
                    var plans = await KindOf(j.Kind).PlanAsync(tx, j, ct);
                    var idx = 0;
                    foreach (var plan in plans)
                        foreach (var range in ShardPlanner.Plan(plan.Boundaries))
                            await tx.ExecuteAsync("INSERT INTO job_shards (org_id, job_id, idx, source, range_after, range_end) VALUES ($1, $2, $3, $4, $5, $6)",
                                ct, tx.OrgId, j.Id, idx++, plan.Source, range.After, range.End);
                    await tx.ExecuteAsync("UPDATE jobs SET planned_at = clock_timestamp() WHERE id = $1", ct, j.Id); // now() is when the transaction began
                    await EventAsync(tx, j.Id, null, "info", $"Planned {idx} shard(s)",
                        new { sources = plans.Select(p => new { p.Source, p.Rows }), shards = idx, dry_run = j.DryRun }, ct);
                }
                var shards = await tx.ListAsync("SELECT idx, status FROM job_shards WHERE job_id = $1 ORDER BY idx", r => (Idx: r.GetInt32(0), Status: r.GetString(1)), ct, j.Id);
                return new JobPlan(shards.Count, [.. shards.Where(s => s.Status is "pending" or "running").Select(s => s.Idx)], j.Parallelism);
            }, ct);
        }
        // A database that does not answer is not the plan's fault: the activity fails and its retry policy tries again.
        catch (Exception e) when (!ct.IsCancellationRequested && e is not (NpgsqlException { IsTransient: true } or TimeoutException))
        {
            var error = SafeErrors.Message(e);
            logger.LogWarning("Job {Job} could not be planned: {Error}", job.JobId, error);
            await db.InOrgAsync(job.OrgId, async tx =>
            {
                await tx.ExecuteAsync("UPDATE jobs SET status = 'failed', error = left($2, 2000), finished_at = now() WHERE id = $1 AND status IN ('scheduled', 'running')", ct, job.JobId, error);
                await EventAsync(tx, job.JobId, null, "error", "Job could not be planned", new { error }, ct);
            }, ct);
            return new JobPlan(0, [], 0, Failed: true);
        }
    }

    /// <summary>
    /// Takes a shard for an owner (the job's orchestration: the same owner again after a redelivery, which resumes at
    /// the checkpoint) and runs it; a shard that is done, not yet due, or held by another owner's live lease is not run.
    /// </summary>
    public async Task<ShardRun> RunAsync(ShardRef shard, string owner, CancellationToken ct)
    {
        var claim = await db.InOrgAsync(shard.OrgId, async tx =>
        {
            var s = await tx.SingleAsync($"SELECT {Shard.Columns} FROM job_shards s WHERE s.job_id = $1 AND s.idx = $2 FOR UPDATE", Shard.Read, ct, shard.JobId, shard.Idx)
                ?? throw new InvalidOperationException($"Shard {shard.Idx} of job {shard.JobId} does not exist.");
            var decision = ShardClaims.Decide(s, owner, time.GetUtcNow());
            if (!decision.Take) return (decision, Epoch: 0L);
            var epoch = await tx.ScalarAsync<long>("""
                UPDATE job_shards SET status = 'running', lease_owner = $3, lease_expires_at = now() + make_interval(secs => $4),
                       heartbeat_at = now(), started_at = coalesce(started_at, now()), lease_epoch = lease_epoch + 1
                WHERE job_id = $1 AND idx = $2 RETURNING lease_epoch
                """, ct, shard.JobId, shard.Idx, owner, (int)Lease.TotalSeconds);
            if (decision.Resumed)
                await EventAsync(tx, shard.JobId, shard.Idx, "warn", "Shard resumed at its checkpoint: its run was interrupted (a worker stopped or crashed)",
                    new { previous_owner = s.LeaseOwner, s.CheckpointKey, s.Rows }, ct);
            return (decision, Epoch: epoch);
        }, ct);
        return claim.decision.Take ? await RunShardAsync(shard, owner, claim.Epoch, ct) : claim.decision.Run!;
    }

    /// <summary>
    /// How long one shard run (one activity) goes on before it hands the shard back, pending and due at once, to the
    /// orchestration's next run: an activity must end well inside a Functions timeout (30 min by default on Flex
    /// Consumption), and a long shard's history shows its progress.
    /// </summary>
    public static readonly TimeSpan MaxRunTime = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Runs a claimed shard from its checkpoint, one transaction per batch: the kind's batch, then the checkpoint
    /// (last key, rows, bytes; lease renewed) — so a retry starts after the last committed batch and redoes at most
    /// the one in flight. Stops at a batch boundary when the job is cancelled, and when the lease was lost (another
    /// worker took the shard over). A failure keeps its error and checkpoint; below max_attempts the shard is retried
    /// after a backoff, a backpressure signal backs off without using an attempt.
    /// </summary>
    private async Task<ShardRun> RunShardAsync(ShardRef shardRef, string owner, long epoch, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                var step = await db.InOrgAsync(shardRef.OrgId, async tx =>
                {
                    var job = await JobAsync(tx, shardRef.JobId, ct) ?? throw new InvalidOperationException($"Job {shardRef.JobId} does not exist.");
                    // Locked, and fenced by the epoch this run took: a second run of the shard waits here, then finds it lost.
                    var (shard, current) = await tx.SingleAsync($"SELECT {Shard.Columns}, s.lease_epoch FROM job_shards s WHERE s.job_id = $1 AND s.idx = $2 FOR UPDATE",
                        r => new Fenced(Shard.Read(r), r.GetInt64(17)), ct, job.Id, shardRef.Idx)
                        ?? throw new InvalidOperationException($"Shard {shardRef.Idx} of job {job.Id} does not exist.");
                    if (shard.Status != "running" || shard.LeaseOwner != owner || current != epoch) return new ShardRun(ShardOutcome.Waiting, LeaseLostRetry());
                    if (job.CancelRequestedAt is not null)
                    {
                        await tx.ExecuteAsync("UPDATE job_shards SET status = 'cancelled', finished_at = now(), lease_owner = NULL WHERE job_id = $1 AND idx = $2", ct, job.Id, shard.Idx);
                        await EventAsync(tx, job.Id, shard.Idx, "info", "Shard stopped at a batch boundary: the job was cancelled", new { shard.CheckpointKey, shard.Rows }, ct);
                        return new ShardRun(ShardOutcome.Cancelled);
                    }
                    if (time.GetElapsedTime(started) > MaxRunTime)
                    {
                        // Handed back due now: the orchestration's next run takes it as a pending shard (no "resumed" warning).
                        await tx.ExecuteAsync("UPDATE job_shards SET status = 'pending', next_attempt_at = now(), lease_owner = NULL WHERE job_id = $1 AND idx = $2", ct, job.Id, shard.Idx);
                        return new ShardRun(ShardOutcome.Waiting, time.GetUtcNow().UtcDateTime);
                    }
                    var batch = await KindOf(job.Kind).RunBatchAsync(tx, job, shard, shard.CheckpointKey ?? shard.RangeAfter, ct);
                    if (batch.Rows == 0)
                    {
                        await tx.ExecuteAsync("UPDATE job_shards SET status = 'succeeded', finished_at = now(), lease_owner = NULL, last_error = NULL WHERE job_id = $1 AND idx = $2",
                            ct, job.Id, shard.Idx);
                        await EventAsync(tx, job.Id, shard.Idx, "info", "Shard done", new { shard.Rows, shard.Bytes, shard.Batches }, ct);
                        return new ShardRun(ShardOutcome.Succeeded);
                    }
                    var data = Add(shard.Data, batch.Counters);
                    await tx.ExecuteAsync("""
                        UPDATE job_shards SET checkpoint_key = $3, rows = rows + $4, bytes = bytes + $5, batches = batches + 1, data = $6::jsonb,
                               heartbeat_at = now(), lease_expires_at = now() + make_interval(secs => $7)
                        WHERE job_id = $1 AND idx = $2
                        """, ct, job.Id, shard.Idx, batch.LastKey, (long)batch.Rows, batch.Bytes, data, (int)Lease.TotalSeconds);
                    await tx.RaiseAsync(new JobChanged(job.Id), ct);
                    return null;
                }, ct);
                if (step is not null) return step;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                return await FailedAsync(shardRef, owner, epoch, e, ct);
            }
        }
    }

    private sealed record Fenced(Shard Shard, long Epoch);

    /// <summary>Another owner took the shard over meanwhile: look again once its lease could have run out.</summary>
    private DateTime LeaseLostRetry() => (time.GetUtcNow() + Lease).UtcDateTime;

    private async Task<ShardRun> FailedAsync(ShardRef shardRef, string owner, long epoch, Exception e, CancellationToken ct)
    {
        var backpressure = e as JobBackpressureException ?? e.InnerException as JobBackpressureException;
        var message = SafeErrors.Message(backpressure ?? e);
        logger.LogWarning("Job {Job} shard {Shard} failed: {Error}", shardRef.JobId, shardRef.Idx, message);
        return await db.InOrgAsync(shardRef.OrgId, async tx =>
        {
            var job = (await JobAsync(tx, shardRef.JobId, ct))!;
            var attempts = await tx.ScalarAsync<int>("SELECT attempts FROM job_shards WHERE job_id = $1 AND idx = $2", ct, job.Id, shardRef.Idx);
            var used = backpressure is null ? attempts + 1 : attempts;
            var retry = used < job.MaxAttempts;
            var next = time.GetUtcNow() + JobRetry.Delay(Math.Max(1, used), Random.Shared.NextDouble(), options.RetryFirstDelay);
            var changed = await tx.ExecuteAsync("""
                UPDATE job_shards SET attempts = $4, last_error = left($5, 2000), lease_owner = NULL,
                       status = CASE WHEN $6 THEN 'pending' ELSE 'failed' END, next_attempt_at = $7, finished_at = CASE WHEN $6 THEN NULL ELSE now() END
                WHERE job_id = $1 AND idx = $2 AND lease_owner = $3 AND lease_epoch = $8
                """, ct, job.Id, shardRef.Idx, owner, used, message, retry, next, epoch);
            if (changed == 0) return new ShardRun(ShardOutcome.Waiting, LeaseLostRetry());
            await EventAsync(tx, job.Id, shardRef.Idx, backpressure is not null || retry ? "warn" : "error",
                backpressure is not null ? $"Destination asked to slow down; shard backs off until {next:O}"
                : retry ? $"Shard failed (attempt {used} of {job.MaxAttempts}); retrying at {next:O} from its checkpoint"
                : $"Shard failed after {used} attempt(s)", new { error = message }, ct);
            return retry ? new ShardRun(ShardOutcome.Retrying, next.UtcDateTime) : new ShardRun(ShardOutcome.Failed);
        }, ct);
    }

    /// <summary>Counters summed into the shard's data (an activity's own tallies, e.g. rows per type).</summary>
    private static string Add(JsonElement data, IReadOnlyDictionary<string, long>? counters)
    {
        var sums = data.ValueKind == JsonValueKind.Object
            ? data.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number).ToDictionary(p => p.Name, p => p.Value.GetInt64())
            : [];
        foreach (var (k, v) in counters ?? new Dictionary<string, long>()) sums[k] = sums.GetValueOrDefault(k) + v;
        return JsonSerializer.Serialize(sums);
    }

    /// <summary>
    /// Ends the job once every shard has: cancelled if asked, failed if a shard failed, else succeeded (and the kind
    /// finishes, e.g. moves the export watermark). The result sums the shards. Returns null while shards are still
    /// pending or running; the job's final status (idempotently) once it is finished.
    /// </summary>
    public Task<string?> FinishAsync(JobRef job, CancellationToken ct) => db.InOrgAsync(job.OrgId, tx => FinishAsync(tx, job.JobId, ct), ct);

    /// <summary>
    /// Closes a cancelled job whose orchestration has ended (an operator terminated it): nothing will run its open
    /// shards again, so they are cancelled here and the job ends cancelled, instead of a new orchestration being started
    /// only to stop each shard. A shard run still in flight finds its shard no longer running at its next batch
    /// boundary (the row lock waits for the batch it is committing) and stops. Returns the job's status, or null when
    /// the job was not cancelled.
    /// </summary>
    public async Task<string?> CloseCancelledAsync(Tx tx, Guid jobId, string reason, CancellationToken ct)
    {
        var j = await JobAsync(tx, jobId, ct, forUpdate: true);
        if (j is null || j.CancelRequestedAt is null) return null;
        if (j.Terminal) return j.Status;
        var open = await tx.ExecuteAsync("""
            UPDATE job_shards SET status = 'cancelled', finished_at = now(), lease_owner = NULL
            WHERE job_id = $1 AND status IN ('pending', 'running')
            """, ct, jobId);
        if (open > 0) await EventAsync(tx, jobId, null, "info", $"{open} open shard(s) cancelled: {reason}", new { shards = open }, ct);
        return await FinishAsync(tx, jobId, ct);
    }

    private async Task<string?> FinishAsync(Tx tx, Guid jobId, CancellationToken ct)
    {
        var j = await JobAsync(tx, jobId, ct, forUpdate: true);
        if (j is null) return "missing";
        if (j.Terminal) return j.Status;
        if (j.PlannedAt is null && j.CancelRequestedAt is null) return null;
        var shards = await tx.ListAsync($"SELECT {Shard.Columns} FROM job_shards s WHERE s.job_id = $1 ORDER BY s.idx", Shard.Read, ct, j.Id);
        if (shards.Any(s => s.Status is "pending" or "running")) return null;
        var status = j.CancelRequestedAt is not null ? "cancelled" : shards.Any(s => s.Status == "failed") ? "failed" : "succeeded";
        var counters = new Dictionary<string, long>();
        foreach (var s in shards)
            if (s.Data.ValueKind == JsonValueKind.Object)
                foreach (var p in s.Data.EnumerateObject()) counters[p.Name] = counters.GetValueOrDefault(p.Name) + p.Value.GetInt64();
        var result = new
        {
            rows = shards.Sum(s => s.Rows), bytes = shards.Sum(s => s.Bytes), batches = shards.Sum(s => s.Batches), shards = shards.Count,
            failed_shards = shards.Count(s => s.Status == "failed"),
            by_source = shards.GroupBy(s => s.Source).ToDictionary(g => g.Key, g => new { rows = g.Sum(s => s.Rows), bytes = g.Sum(s => s.Bytes) }),
            counters,
        };
        if (status == "succeeded") await KindOf(j.Kind).FinishAsync(tx, j, true, ct);
        var error = status == "failed" ? shards.First(s => s.Status == "failed").LastError : null;
        await tx.ExecuteAsync("UPDATE jobs SET status = $2, finished_at = now(), result = $3::jsonb, error = $4 WHERE id = $1", ct,
            j.Id, status, JsonSerializer.Serialize(result, Json.Options), error);
        await EventAsync(tx, j.Id, null, status == "failed" ? "error" : "info", $"Job {status}", result, ct);
        return status;
    }

    /// <summary>
    /// Cancels a job the caller has locked (not yet terminal): shards not running never start, running ones stop at
    /// their next batch boundary, a scheduled job ends now. Audited; nothing when a cancel was already requested.
    /// </summary>
    public static async Task RequestCancelAsync(Tx tx, Job before, Actor actor, string message, CancellationToken ct)
    {
        if (before.CancelRequestedAt is not null) return;
        await tx.ExecuteAsync("""
            UPDATE jobs SET cancel_requested_at = now(),
                   status = CASE WHEN status = 'scheduled' THEN 'cancelled' ELSE status END,
                   finished_at = CASE WHEN status = 'scheduled' THEN now() END
            WHERE id = $1
            """, ct, before.Id);
        var stopped = await tx.ExecuteAsync("UPDATE job_shards SET status = 'cancelled', finished_at = now() WHERE job_id = $1 AND status = 'pending'", ct, before.Id);
        await JobActivities.EventAsync(tx, before.Id, null, "info", message, new { pending_shards_cancelled = stopped }, ct);
        await AuditLog.RecordAsync(tx, actor, "job.cancelled", "job", before.Id, new { before.Status }, new { cancel_requested = true }, ct);
    }
}
