using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace AgentOps.Jobs;

public enum ShardOutcome { Succeeded, Retrying, Failed, Cancelled, LeaseLost }

/// <summary>Identifies a job across organizations (workers and orchestrators pass ids, never payloads).</summary>
public sealed record JobRef(Guid OrgId, Guid JobId);

public sealed record ShardRef(Guid OrgId, Guid JobId, int Idx);

/// <summary>
/// The activities every host drives: plan a job into shards, run a shard batch by batch from its checkpoint, finish
/// the job. Each is idempotent and safe to retry; state lives in Postgres (job_shards.checkpoint_key after every
/// batch), inputs are ids. The self-host calls them from Postgres work items (JobWorker); Azure from Durable
/// orchestrators.
/// </summary>
public sealed class JobActivities(Db db, IEnumerable<IJobKind> kinds, Platform.AgentOpsOptions options, TimeProvider time, ILogger<JobActivities> logger)
{
    /// <summary>How long a shard's claim lasts without a heartbeat (AGENTOPS_JOB_LEASE_SECONDS, 60); every batch renews it.</summary>
    public TimeSpan Lease => options.JobLease;

    private readonly Dictionary<string, IJobKind> _kinds = kinds.ToDictionary(k => k.Kind);

    public IJobKind KindOf(string kind) => _kinds.TryGetValue(kind, out var k) ? k
        : throw new InvalidOperationException($"No job kind {kind} is registered in this host.");

    public bool Supports(string kind) => _kinds.ContainsKey(kind);

    /// <summary>The kinds this host runs: its dispatcher and workers take only these (a host without ClickHouse leaves exports alone).</summary>
    public string[] Kinds => [.. _kinds.Keys];

    public static Task EventAsync(Tx tx, Guid jobId, int? shard, string level, string message, object? data, CancellationToken ct) =>
        tx.ExecuteAsync("INSERT INTO job_events (org_id, job_id, shard_idx, level, message, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb)", ct,
            tx.OrgId, jobId, shard, level, message, data is null ? null : JsonSerializer.Serialize(data, data.GetType(), Json.Options));

    private static Task<Job?> JobAsync(Tx tx, Guid jobId, CancellationToken ct, bool forUpdate = false) =>
        tx.SingleAsync($"SELECT {Job.Columns} FROM jobs j WHERE j.id = $1 AND j.org_id = $2{(forUpdate ? " FOR UPDATE" : "")}", Job.Read, ct, jobId, tx.OrgId);

    /// <summary>
    /// Splits the job into shards (once: a second call returns the same plan). Each source of the kind is cut at the
    /// quantiles of its keys into up to parallelism shards; a cancelled or finished job gets none.
    /// </summary>
    public Task<int[]> PlanAsync(JobRef job, CancellationToken ct) =>
        db.InOrgAsync(job.OrgId, async tx =>
        {
            var j = await JobAsync(tx, job.JobId, ct, forUpdate: true) ?? throw new InvalidOperationException($"Job {job.JobId} does not exist.");
            if (j.PlannedAt is not null || j.Terminal)
                return (await tx.ListAsync("SELECT idx FROM job_shards WHERE job_id = $1 ORDER BY idx", r => r.GetInt32(0), ct, j.Id)).ToArray();
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
            return Enumerable.Range(0, idx).ToArray();
        }, ct);

    /// <summary>The job's parallelism and attempts (what an orchestrator needs to drive it).</summary>
    public Task<(int Parallelism, int MaxAttempts)> LimitsAsync(JobRef job, CancellationToken ct) =>
        db.InOrgAsync(job.OrgId, async tx => await JobAsync(tx, job.JobId, ct) is { } j ? (j.Parallelism, j.MaxAttempts)
            : throw new InvalidOperationException($"Job {job.JobId} does not exist."), ct);

    /// <summary>Takes a given shard for an owner (Durable: the orchestration), unless it is finished or someone else's live lease holds it.</summary>
    public Task<bool> ClaimAsync(ShardRef shard, string owner, CancellationToken ct) =>
        db.InOrgAsync(shard.OrgId, async tx => await tx.ExecuteAsync("""
            UPDATE job_shards SET status = 'running', lease_owner = $3, lease_expires_at = now() + make_interval(secs => $4),
                   heartbeat_at = now(), started_at = coalesce(started_at, now())
            WHERE job_id = $1 AND idx = $2 AND (status = 'pending' OR status = 'running' AND (lease_owner = $3 OR lease_expires_at < now()))
            """, ct, shard.JobId, shard.Idx, owner, (int)Lease.TotalSeconds) == 1, ct);

    /// <summary>
    /// Runs a claimed shard from its checkpoint, one transaction per batch: the kind's batch, then the checkpoint
    /// (last key, rows, bytes; lease renewed) — so a retry starts after the last committed batch and redoes at most
    /// the one in flight. Stops at a batch boundary when the job is cancelled, and when the lease was lost (another
    /// worker took the shard over). A failure keeps its error and checkpoint; below max_attempts the shard is retried
    /// after a backoff, a backpressure signal backs off without using an attempt.
    /// </summary>
    public async Task<ShardOutcome> RunShardAsync(ShardRef shardRef, string owner, CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                var step = await db.InOrgAsync(shardRef.OrgId, async tx =>
                {
                    var job = await JobAsync(tx, shardRef.JobId, ct) ?? throw new InvalidOperationException($"Job {shardRef.JobId} does not exist.");
                    var shard = await tx.SingleAsync($"SELECT {Shard.Columns} FROM job_shards s WHERE s.job_id = $1 AND s.idx = $2", Shard.Read, ct, job.Id, shardRef.Idx)
                        ?? throw new InvalidOperationException($"Shard {shardRef.Idx} of job {job.Id} does not exist.");
                    if (shard.Status != "running" || shard.LeaseOwner != owner) return (ShardOutcome?)ShardOutcome.LeaseLost;
                    if (job.CancelRequestedAt is not null)
                    {
                        await tx.ExecuteAsync("UPDATE job_shards SET status = 'cancelled', finished_at = now(), lease_owner = NULL WHERE job_id = $1 AND idx = $2", ct, job.Id, shard.Idx);
                        await EventAsync(tx, job.Id, shard.Idx, "info", "Shard stopped at a batch boundary: the job was cancelled", new { shard.CheckpointKey, shard.Rows }, ct);
                        return ShardOutcome.Cancelled;
                    }
                    var batch = await KindOf(job.Kind).RunBatchAsync(tx, job, shard, shard.CheckpointKey ?? shard.RangeAfter, ct);
                    if (batch.Rows == 0)
                    {
                        await tx.ExecuteAsync("UPDATE job_shards SET status = 'succeeded', finished_at = now(), lease_owner = NULL, last_error = NULL WHERE job_id = $1 AND idx = $2 AND lease_owner = $3",
                            ct, job.Id, shard.Idx, owner);
                        await EventAsync(tx, job.Id, shard.Idx, "info", "Shard done", new { shard.Rows, shard.Bytes, shard.Batches }, ct);
                        return ShardOutcome.Succeeded;
                    }
                    var data = Add(shard.Data, batch.Counters);
                    var renewed = await tx.ExecuteAsync("""
                        UPDATE job_shards SET checkpoint_key = $4, rows = rows + $5, bytes = bytes + $6, batches = batches + 1, data = $7::jsonb,
                               heartbeat_at = now(), lease_expires_at = now() + make_interval(secs => $8)
                        WHERE job_id = $1 AND idx = $2 AND lease_owner = $3 AND status = 'running'
                        """, ct, job.Id, shard.Idx, owner, batch.LastKey, (long)batch.Rows, batch.Bytes, data, (int)Lease.TotalSeconds);
                    // Lost meanwhile: roll this batch back (the new owner does it).
                    if (renewed == 0) throw new LeaseLostException();
                    return null;
                }, ct);
                if (step is { } outcome) return outcome;
            }
            catch (LeaseLostException)
            {
                return ShardOutcome.LeaseLost;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                return await FailedAsync(shardRef, owner, e, ct);
            }
        }
    }

    private sealed class LeaseLostException : Exception;

    private async Task<ShardOutcome> FailedAsync(ShardRef shardRef, string owner, Exception e, CancellationToken ct)
    {
        var backpressure = e as JobBackpressureException ?? e.InnerException as JobBackpressureException;
        var message = ErrorHandlingMiddleware.SafeMessage(backpressure ?? e);
        logger.LogWarning("Job {Job} shard {Shard} failed: {Error}", shardRef.JobId, shardRef.Idx, message);
        return await db.InOrgAsync(shardRef.OrgId, async tx =>
        {
            var job = (await JobAsync(tx, shardRef.JobId, ct))!;
            var attempts = await tx.ScalarAsync<int>("SELECT attempts FROM job_shards WHERE job_id = $1 AND idx = $2", ct, job.Id, shardRef.Idx);
            var used = backpressure is null ? attempts + 1 : attempts;
            var retry = used < job.MaxAttempts;
            var next = time.GetUtcNow() + JobRetry.Delay(Math.Max(1, used), Random.Shared.NextDouble(), options.JobRetryFirstDelay);
            var changed = await tx.ExecuteAsync("""
                UPDATE job_shards SET attempts = $4, last_error = left($5, 2000), lease_owner = NULL,
                       status = CASE WHEN $6 THEN 'pending' ELSE 'failed' END, next_attempt_at = $7, finished_at = CASE WHEN $6 THEN NULL ELSE now() END
                WHERE job_id = $1 AND idx = $2 AND lease_owner = $3
                """, ct, job.Id, shardRef.Idx, owner, used, message, retry, next);
            if (changed == 0) return ShardOutcome.LeaseLost;
            await EventAsync(tx, job.Id, shardRef.Idx, backpressure is not null || retry ? "warn" : "error",
                backpressure is not null ? $"Destination asked to slow down; shard backs off until {next:O}"
                : retry ? $"Shard failed (attempt {used} of {job.MaxAttempts}); retrying at {next:O} from its checkpoint"
                : $"Shard failed after {used} attempt(s)", new { error = message }, ct);
            return retry ? ShardOutcome.Retrying : ShardOutcome.Failed;
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
    /// finishes, e.g. moves the export watermark). The result sums the shards. Returns false while shards are still
    /// pending or running; true (idempotently) once the job is finished.
    /// </summary>
    public Task<bool> FinishAsync(JobRef job, CancellationToken ct) =>
        db.InOrgAsync(job.OrgId, async tx =>
        {
            var j = await JobAsync(tx, job.JobId, ct, forUpdate: true);
            if (j is null || j.Terminal) return true;
            if (j.PlannedAt is null && j.CancelRequestedAt is null) return false;
            var shards = await tx.ListAsync($"SELECT {Shard.Columns} FROM job_shards s WHERE s.job_id = $1 ORDER BY s.idx", Shard.Read, ct, j.Id);
            if (shards.Any(s => s.Status is "pending" or "running")) return false;
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
            return true;
        }, ct);
}

public static class JobLeases
{
    /// <summary>Renews a shard's lease while a long batch runs (every batch renews it too).</summary>
    public static Task<int> HeartbeatAsync(Db db, ShardRef shard, string owner, TimeSpan lease, CancellationToken ct) =>
        db.InOrgAsync(shard.OrgId, tx => tx.ExecuteAsync("""
            UPDATE job_shards SET heartbeat_at = now(), lease_expires_at = now() + make_interval(secs => $4)
            WHERE job_id = $1 AND idx = $2 AND lease_owner = $3 AND status = 'running'
            """, ct, shard.JobId, shard.Idx, owner, (int)lease.TotalSeconds), ct);
}
