using System.Text.Json;
using AgentOps.Audit;

namespace AgentOps.Jobs;

public sealed record Progress(int Shards, int ShardsDone, int ShardsFailed, long Rows, long Bytes);
public sealed record JobView(Job Job, Progress Progress);
public sealed record ShardView(int Idx, string Source, string? RangeAfter, string? RangeEnd, string Status, int Attempts, string? CheckpointKey,
    long Rows, long Bytes, int Batches, JsonElement Data, string? LastError, DateTimeOffset? NextAttemptAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);
public sealed record JobEventView(long Id, int? ShardIdx, string Level, string Message, JsonElement? Data, DateTimeOffset CreatedAt);
public sealed record JobDetail(Job Job, Progress Progress, IReadOnlyList<ShardView> Shards, IReadOnlyList<JobEventView> Events);

/// <summary>
/// The SQL behind the jobs API: jobs as users create, list, read, cancel and retry them, and their recurring schedules.
/// Runs in the caller's transaction, inside its organization. (Planning shards and running them is JobActivities' SQL; a
/// retry here only resets the failed ones.)
/// </summary>
public static class JobStore
{
    /// <summary>The unique key that makes a schedule's name one per organization.</summary>
    public const string ScheduleNameKey = "job_schedules_org_name_key";

    public static async Task<Job> InsertAsync(Tx tx, Guid id, JobSpec spec, Guid? scheduleId, Actor actor, CancellationToken ct) =>
        (await tx.SingleAsync($"""
            INSERT INTO jobs AS j (id, org_id, kind, payload, priority, batch_size, parallelism, max_attempts, dry_run, insert_mode, scheduled_at, schedule_id,
                                   created_by_type, created_by)
            VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, coalesce($11, now()), $12, $13, $14) RETURNING {Job.Columns}
            """, Job.Read, ct, id, tx.OrgId, spec.Kind, spec.Payload.GetRawText(), spec.Priority, spec.BatchSize, spec.Parallelism, spec.MaxAttempts, spec.DryRun,
            spec.InsertMode, spec.ScheduledAt, scheduleId, AuditLog.ActorTypeWire(actor.Type), actor.Id))!;

    private const string ProgressSql = """
        (SELECT count(*)::int FROM job_shards s WHERE s.job_id = j.id), (SELECT count(*)::int FROM job_shards s WHERE s.job_id = j.id AND s.status IN ('succeeded', 'cancelled')),
        (SELECT count(*)::int FROM job_shards s WHERE s.job_id = j.id AND s.status = 'failed'),
        (SELECT coalesce(sum(rows), 0)::bigint FROM job_shards s WHERE s.job_id = j.id), (SELECT coalesce(sum(bytes), 0)::bigint FROM job_shards s WHERE s.job_id = j.id)
        """;

    private static JobView ReadView(NpgsqlDataReader r) => new(Job.Read(r), new Progress(r.GetInt32(21), r.GetInt32(22), r.GetInt32(23), r.GetInt64(24), r.GetInt64(25)));

    public static Task<JobView?> ViewAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {Job.Columns}, {ProgressSql} FROM jobs j WHERE j.id = $1 AND j.org_id = $2", ReadView, ct, id, tx.OrgId);

    /// <summary>Newest first: v7 ids order by creation, so the cursor is the last id seen and the next page lies below it.</summary>
    public static Task<List<JobView>> PageAsync(Tx tx, string? status, string? kind, Guid after, int take, CancellationToken ct) =>
        tx.ListAsync($"""
            SELECT {Job.Columns}, {ProgressSql} FROM jobs j
            WHERE j.org_id = $1 AND ($2 = '00000000-0000-0000-0000-000000000000'::uuid OR j.id < $2) AND ($3::text IS NULL OR j.status = $3)
              AND ($4::text IS NULL OR j.kind = $4)
            ORDER BY j.id DESC LIMIT $5
            """, ReadView, ct, tx.OrgId, after, status, kind, take);

    public static async Task<List<ShardView>> ShardsAsync(Tx tx, Guid id, CancellationToken ct) =>
        [.. (await tx.ListAsync($"SELECT {Shard.Columns} FROM job_shards s WHERE s.job_id = $1 ORDER BY s.idx", Shard.Read, ct, id)).Select(s => new ShardView(
            s.Idx, s.Source, s.RangeAfter, s.RangeEnd, s.Status, s.Attempts, s.CheckpointKey, s.Rows, s.Bytes, s.Batches, s.Data, s.LastError,
            s.Status == "pending" ? s.NextAttemptAt : null, s.StartedAt, s.FinishedAt))];

    public static Task<List<JobEventView>> EventsAsync(Tx tx, Guid id, int take, CancellationToken ct) =>
        tx.ListAsync("SELECT id, shard_idx, level, message, data::text, created_at FROM job_events WHERE job_id = $1 ORDER BY id DESC LIMIT $2",
            r => new JobEventView(r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt32(1), r.GetString(2), r.GetString(3),
                r.IsDBNull(4) ? null : JsonDocument.Parse(r.GetString(4)).RootElement.Clone(), r.Time(5)), ct, id, take);

    public static Task<Job?> LockAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {Job.Columns} FROM jobs j WHERE j.id = $1 AND j.org_id = $2 FOR UPDATE", Job.Read, ct, id, tx.OrgId);

    /// <summary>A job that failed before it was planned is due again, as if new.</summary>
    public static Task RescheduleAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.ExecuteAsync("UPDATE jobs SET status = 'scheduled', scheduled_at = now(), error = NULL, finished_at = NULL, dispatched_at = NULL WHERE id = $1", ct, id);

    /// <summary>Failed shards start again from their checkpoints, with a fresh set of attempts; the job runs again. Returns the shards reset.</summary>
    public static async Task<int> RetryFailedShardsAsync(Tx tx, Guid id, CancellationToken ct)
    {
        var shards = await tx.ExecuteAsync("UPDATE job_shards SET status = 'pending', attempts = 0, next_attempt_at = now(), finished_at = NULL WHERE job_id = $1 AND status = 'failed'", ct, id);
        await tx.ExecuteAsync("UPDATE jobs SET status = 'running', error = NULL, result = NULL, finished_at = NULL, orchestration_restarts = 0 WHERE id = $1", ct, id);
        return shards;
    }

    public static Task<long> CountSchedulesAsync(Tx tx, CancellationToken ct) =>
        tx.ScalarAsync<long>("SELECT count(*) FROM job_schedules WHERE org_id = $1", ct, tx.OrgId);

    public static async Task<JobSchedule> InsertScheduleAsync(Tx tx, Guid id, string name, string cron, JobSpec spec, bool active, DateTimeOffset nextRunAt,
        CancellationToken ct) =>
        (await tx.SingleAsync($"""
            INSERT INTO job_schedules AS s (id, org_id, name, kind, payload, cron, batch_size, parallelism, priority, insert_mode, max_attempts, active, next_run_at)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING {JobSchedule.Columns}
            """, JobSchedule.Read, ct, id, tx.OrgId, name, spec.Kind, spec.Payload.GetRawText(), cron, spec.BatchSize, spec.Parallelism,
            spec.Priority, spec.InsertMode, spec.MaxAttempts, active, nextRunAt))!;

    public static Task<List<JobSchedule>> PageSchedulesAsync(Tx tx, Guid after, int take, CancellationToken ct) =>
        tx.ListAsync($"SELECT {JobSchedule.Columns} FROM job_schedules s WHERE s.org_id = $1 AND s.id > $2 ORDER BY s.id LIMIT $3", JobSchedule.Read, ct, tx.OrgId, after, take);

    public static Task<JobSchedule?> LockScheduleAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {JobSchedule.Columns} FROM job_schedules s WHERE s.id = $1 AND s.org_id = $2 FOR UPDATE", JobSchedule.Read, ct, id, tx.OrgId);

    public static async Task<JobSchedule> UpdateScheduleAsync(Tx tx, Guid id, string cron, bool active, string name, DateTimeOffset nextRunAt, CancellationToken ct) =>
        (await tx.SingleAsync($"""
            UPDATE job_schedules s SET cron = $3, active = $4, name = $5, next_run_at = $6, updated_at = now()
            WHERE s.id = $1 AND s.org_id = $2 RETURNING {JobSchedule.Columns}
            """, JobSchedule.Read, ct, id, tx.OrgId, cron, active, name, nextRunAt))!;

    public static Task DeleteScheduleAsync(Tx tx, Guid id, CancellationToken ct) => tx.ExecuteAsync("DELETE FROM job_schedules WHERE id = $1", ct, id);
}
