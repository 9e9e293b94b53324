using System.Text.Json;
using AgentOps.Audit;

namespace AgentOps.Jobs;

/// <summary>
/// Jobs: create (now or at scheduled_at), list, read with shards and events, cancel (no new shard starts; running
/// ones stop at their next batch boundary), retry the failed shards; recurring schedules (five-field cron, UTC).
/// </summary>
public static class JobsApi
{
    public static void MapJobsApi(this RouteGroupBuilder api)
    {
        var jobs = api.MapGroup("/jobs").WithTags("Jobs");
        jobs.MapPost("/", CreateAsync).Requires(Permission.JobsWrite).WithName("createJob").WithSummary("Create a job");
        jobs.MapGet("/", ListAsync).Requires(Permission.JobsRead).WithName("listJobs").WithSummary("Jobs, newest first");
        jobs.MapGet("/{id:guid}", GetAsync).Requires(Permission.JobsRead).WithName("getJob").WithSummary("A job with its shards and events");
        jobs.MapPost("/{id:guid}/cancel", CancelAsync).Requires(Permission.JobsWrite).WithName("cancelJob").Problems(409).WithSummary("Cancel a job");
        jobs.MapPost("/{id:guid}/retry", RetryAsync).Requires(Permission.JobsWrite).WithName("retryJob").Problems(409).WithSummary("Run a failed job's failed shards again");
        jobs.MapPost("/schedules", CreateScheduleAsync).Requires(Permission.JobsWrite).WithName("createJobSchedule").Problems(409).WithSummary("Create a recurring schedule");
        jobs.MapGet("/schedules", ListSchedulesAsync).Requires(Permission.JobsRead).WithName("listJobSchedules").WithSummary("Recurring schedules");
        jobs.MapPatch("/schedules/{id:guid}", UpdateScheduleAsync).Requires(Permission.JobsWrite).WithName("updateJobSchedule").WithSummary("Change a schedule (cron, active)");
        jobs.MapDelete("/schedules/{id:guid}", DeleteScheduleAsync).Requires(Permission.JobsWrite).WithName("deleteJobSchedule").WithSummary("Delete a schedule");
    }

    public const int DefaultBatchSize = 50_000;
    public const int DefaultParallelism = 8;
    public const int DefaultMaxAttempts = 5;

    /// <summary>Events shown with a job, newest first.</summary>
    public const int EventsShown = 200;

    /// <summary>Schedules per organization.</summary>
    public const int MaxSchedules = 50;

    public sealed record JobRequest(string? Kind, JsonElement? Payload, int? BatchSize, int? Parallelism, int? Priority, DateTimeOffset? ScheduledAt,
        bool? DryRun, string? InsertMode, int? MaxAttempts);

    public sealed record JobSpec(string Kind, JsonElement Payload, int BatchSize, int Parallelism, int Priority, DateTimeOffset? ScheduledAt, bool DryRun,
        string InsertMode, int MaxAttempts);

    public sealed record ShardView(int Idx, string Source, string? RangeAfter, string? RangeEnd, string Status, int Attempts, string? CheckpointKey,
        long Rows, long Bytes, int Batches, JsonElement Data, string? LastError, DateTimeOffset? NextAttemptAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

    public sealed record JobEventView(long Id, int? ShardIdx, string Level, string Message, JsonElement? Data, DateTimeOffset CreatedAt);

    public sealed record Progress(int Shards, int ShardsDone, int ShardsFailed, long Rows, long Bytes);
    public sealed record JobView(Job Job, Progress Progress);
    public sealed record JobDetail(Job Job, Progress Progress, IReadOnlyList<ShardView> Shards, IReadOnlyList<JobEventView> Events);

    private static JobSpec Check(Validation v, JobActivities activities, string? kind, JsonElement? payload, int? batchSize, int? parallelism, int? priority,
        DateTimeOffset? scheduledAt, bool? dryRun, string? insertMode, int? maxAttempts)
    {
        // The kinds are the registered IJobKinds (not a list in the database: a new kind needs no migration).
        if (kind is null || !activities.Supports(kind)) v.Add("$.kind", kind == JobKinds.ClickHouseExport
            ? "needs ClickHouse: set AGENTOPS_CLICKHOUSE_URL (docs/configuration.md)."
            : $"must be one of the job kinds this host runs: {string.Join(", ", activities.Kinds.Order(StringComparer.Ordinal))}.");
        var body = payload ?? JsonDocument.Parse("{}").RootElement;
        if (body.ValueKind != JsonValueKind.Object) v.Add("$.payload", "must be a JSON object.");
        else if (body.GetRawText().Length > 16 * 1024) v.Add("$.payload", "must be at most 16 KiB.");
        else if (kind is not null && activities.Supports(kind)) activities.KindOf(kind).Validate(body, v);
        if (batchSize is < 1 or > 1_000_000) v.Add("$.batch_size", "must be from 1 to 1000000.");
        if (parallelism is < 1 or > 64) v.Add("$.parallelism", "must be from 1 to 64.");
        if (priority is < -100 or > 100) v.Add("$.priority", "must be from -100 to 100 (higher first).");
        if (maxAttempts is < 1 or > 20) v.Add("$.max_attempts", "must be from 1 to 20.");
        if (insertMode is not (null or "sync" or "async")) v.Add("$.insert_mode", "must be sync or async.");
        if (scheduledAt is { } at && at > DateTimeOffset.UtcNow.AddYears(1)) v.Add("$.scheduled_at", "must be within a year.");
        v.ThrowIfInvalid();
        return new JobSpec(kind!, body.Clone(), batchSize ?? DefaultBatchSize, parallelism ?? DefaultParallelism, priority ?? 0, scheduledAt, dryRun ?? false,
            insertMode ?? "sync", maxAttempts ?? DefaultMaxAttempts);
    }

    /// <summary>Writes a job (and its audit row and first event) in the caller's transaction.</summary>
    public static async Task<Guid> InsertAsync(Tx tx, JobSpec spec, Guid? scheduleId, Actor actor, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        var job = (await tx.SingleAsync($"""
            INSERT INTO jobs AS j (id, org_id, kind, payload, priority, batch_size, parallelism, max_attempts, dry_run, insert_mode, scheduled_at, schedule_id,
                                   created_by_type, created_by)
            VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, coalesce($11, now()), $12, $13, $14) RETURNING {Job.Columns}
            """, Job.Read, ct, id, tx.OrgId, spec.Kind, spec.Payload.GetRawText(), spec.Priority, spec.BatchSize, spec.Parallelism, spec.MaxAttempts, spec.DryRun,
            spec.InsertMode, spec.ScheduledAt, scheduleId, AuditLog.ActorTypeWire(actor.Type), actor.Id))!;
        await AuditLog.RecordAsync(tx, actor, "job.created", "job", id, null, job, ct);
        await JobActivities.EventAsync(tx, id, null, "info", scheduleId is null ? "Job created" : "Job created by its schedule", new { job.ScheduledAt }, ct);
        return id;
    }

    public static async Task<Created<JobView>> CreateAsync(JobRequest body, Caller caller, Db db, JobActivities activities, JobSignal signal, CancellationToken ct)
    {
        var spec = Check(new Validation(), activities, body.Kind, body.Payload, body.BatchSize, body.Parallelism, body.Priority, body.ScheduledAt, body.DryRun,
            body.InsertMode, body.MaxAttempts);
        var view = await db.InOrgAsync(caller.OrgId, async tx => await ViewAsync(tx, await InsertAsync(tx, spec, null, Actor.Of(caller), ct), ct), ct);
        signal.Pulse();
        return TypedResults.Created((string?)null, view);
    }

    private const string ProgressSql = """
        (SELECT count(*)::int FROM job_shards s WHERE s.job_id = j.id), (SELECT count(*)::int FROM job_shards s WHERE s.job_id = j.id AND s.status IN ('succeeded', 'cancelled')),
        (SELECT count(*)::int FROM job_shards s WHERE s.job_id = j.id AND s.status = 'failed'),
        (SELECT coalesce(sum(rows), 0)::bigint FROM job_shards s WHERE s.job_id = j.id), (SELECT coalesce(sum(bytes), 0)::bigint FROM job_shards s WHERE s.job_id = j.id)
        """;

    private static JobView ReadView(NpgsqlDataReader r) => new(Job.Read(r), new Progress(r.GetInt32(21), r.GetInt32(22), r.GetInt32(23), r.GetInt64(24), r.GetInt64(25)));

    private static async Task<JobView> ViewAsync(Tx tx, Guid id, CancellationToken ct) =>
        await tx.SingleAsync($"SELECT {Job.Columns}, {ProgressSql} FROM jobs j WHERE j.id = $1 AND j.org_id = $2", ReadView, ct, id, tx.OrgId)
        ?? throw ApiProblem.NotFound("job");

    public static async Task<Ok<Page<JobView>>> ListAsync(Caller caller, Db db, string? status, string? kind, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var v = new Validation();
        if (status is not (null or "scheduled" or "running" or "succeeded" or "failed" or "cancelled")) v.Add("status", "must be scheduled, running, succeeded, failed or cancelled.");
        if (kind is not null && !JobKinds.IsName(kind)) v.Add("kind", JobKinds.NameRule);
        v.ThrowIfInvalid();
        // Newest first: v7 ids order by creation, so the cursor is the last id seen and the next page lies below it.
        var rows = await db.InOrgAsync(caller.OrgId, tx => tx.ListAsync($"""
            SELECT {Job.Columns}, {ProgressSql} FROM jobs j
            WHERE j.org_id = $1 AND ($2 = '00000000-0000-0000-0000-000000000000'::uuid OR j.id < $2) AND ($3::text IS NULL OR j.status = $3)
              AND ($4::text IS NULL OR j.kind = $4)
            ORDER BY j.id DESC LIMIT $5
            """, ReadView, ct, caller.OrgId, after, status, kind, take + 1), ct);
        return TypedResults.Ok(Paging.Of(rows, take, j => j.Job.Id));
    }

    public static async Task<Ok<JobDetail>> GetAsync(Guid id, Caller caller, Db db, CancellationToken ct) =>
        TypedResults.Ok(await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var view = await ViewAsync(tx, id, ct);
            var shards = await tx.ListAsync($"SELECT {Shard.Columns} FROM job_shards s WHERE s.job_id = $1 ORDER BY s.idx", Shard.Read, ct, id);
            var events = await tx.ListAsync("SELECT id, shard_idx, level, message, data::text, created_at FROM job_events WHERE job_id = $1 ORDER BY id DESC LIMIT $2",
                r => new JobEventView(r.GetInt64(0), r.IsDBNull(1) ? null : r.GetInt32(1), r.GetString(2), r.GetString(3),
                    r.IsDBNull(4) ? null : JsonDocument.Parse(r.GetString(4)).RootElement.Clone(), r.Time(5)), ct, id, EventsShown);
            return new JobDetail(view.Job, view.Progress, [.. shards.Select(s => new ShardView(s.Idx, s.Source, s.RangeAfter, s.RangeEnd, s.Status, s.Attempts,
                s.CheckpointKey, s.Rows, s.Bytes, s.Batches, s.Data, s.LastError, s.Status == "pending" ? s.NextAttemptAt : null, s.StartedAt, s.FinishedAt))], events);
        }, ct));

    public static async Task<Ok<JobView>> CancelAsync(Guid id, Caller caller, Db db, JobActivities activities, JobSignal signal, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await tx.SingleAsync($"SELECT {Job.Columns} FROM jobs j WHERE j.id = $1 AND j.org_id = $2 FOR UPDATE", Job.Read, ct, id, tx.OrgId)
                ?? throw ApiProblem.NotFound("job");
            if (before.Terminal) throw ApiProblem.Conflict("job_finished", $"The job is already {before.Status}.");
            await JobActivities.RequestCancelAsync(tx, before, Actor.Of(caller), "Cancel requested", ct);
        }, ct);
        await activities.FinishAsync(new JobRef(caller.OrgId, id), ct);
        signal.Pulse(); // the dispatcher tells the job's orchestration (self-host: now; Azure: on the timer's next tick)
        return TypedResults.Ok(await db.InOrgAsync(caller.OrgId, tx => ViewAsync(tx, id, ct), ct));
    }

    public static async Task<Ok<JobView>> RetryAsync(Guid id, Caller caller, Db db, JobSignal signal, CancellationToken ct)
    {
        var view = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await tx.SingleAsync($"SELECT {Job.Columns} FROM jobs j WHERE j.id = $1 AND j.org_id = $2 FOR UPDATE", Job.Read, ct, id, tx.OrgId)
                ?? throw ApiProblem.NotFound("job");
            if (before.Status != "failed") throw ApiProblem.Conflict("job_not_failed", "Only a failed job can be retried.");
            if (before.PlannedAt is null)
                await tx.ExecuteAsync("UPDATE jobs SET status = 'scheduled', scheduled_at = now(), error = NULL, finished_at = NULL, dispatched_at = NULL WHERE id = $1", ct, id);
            else
            {
                // Failed shards start again from their checkpoints, with a fresh set of attempts.
                var shards = await tx.ExecuteAsync("UPDATE job_shards SET status = 'pending', attempts = 0, next_attempt_at = now(), finished_at = NULL WHERE job_id = $1 AND status = 'failed'", ct, id);
                await tx.ExecuteAsync("UPDATE jobs SET status = 'running', error = NULL, result = NULL, finished_at = NULL, orchestration_restarts = 0 WHERE id = $1", ct, id);
                await JobActivities.EventAsync(tx, id, null, "info", $"Retrying {shards} failed shard(s) from their checkpoints", null, ct);
            }
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "job.retried", "job", id, new { before.Status }, new { status = "running" }, ct);
            return await ViewAsync(tx, id, ct);
        }, ct);
        signal.Pulse();
        return TypedResults.Ok(view);
    }

    public sealed record ScheduleRequest(string? Name, string? Cron, string? Kind, JsonElement? Payload, int? BatchSize, int? Parallelism, int? Priority,
        string? InsertMode, int? MaxAttempts, bool? Active);

    public sealed record UpdateScheduleRequest(Optional<string> Cron, Optional<bool> Active, Optional<string> Name);

    private static Cron CheckCron(Validation v, string? cron)
    {
        if (!Jobs.Cron.TryParse(cron, out var parsed, out var error)) v.Add("$.cron", error!);
        return parsed!;
    }

    public static async Task<Created<JobSchedule>> CreateScheduleAsync(ScheduleRequest body, Caller caller, Db db, JobActivities activities, TimeProvider time, CancellationToken ct)
    {
        var v = new Validation();
        var name = v.RequiredText("$.name", body.Name, 200);
        var cron = CheckCron(v, body.Cron);
        var spec = Check(v, activities, body.Kind, body.Payload, body.BatchSize, body.Parallelism, body.Priority, null, false, body.InsertMode, body.MaxAttempts);
        var id = Guid.CreateVersion7();
        return TypedResults.Created((string?)null, await RefuseTakenNameAsync(db.InOrgAsync(caller.OrgId, async tx =>
            {
                if (await tx.ScalarAsync<long>("SELECT count(*) FROM job_schedules WHERE org_id = $1", ct, tx.OrgId) >= MaxSchedules)
                    throw ApiProblem.Conflict("schedule_limit", $"An organization has at most {MaxSchedules} schedules.");
                var schedule = (await tx.SingleAsync($"""
                    INSERT INTO job_schedules AS s (id, org_id, name, kind, payload, cron, batch_size, parallelism, priority, insert_mode, max_attempts, active, next_run_at)
                    VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING {JobSchedule.Columns}
                    """, JobSchedule.Read, ct, id, tx.OrgId, name!.Trim(), spec.Kind, spec.Payload.GetRawText(), body.Cron!.Trim(), spec.BatchSize, spec.Parallelism,
                    spec.Priority, spec.InsertMode, spec.MaxAttempts, body.Active ?? true, cron.Next(time.GetUtcNow()) ?? time.GetUtcNow().AddYears(5)))!;
                await AuditLog.RecordAsync(tx, Actor.Of(caller), "job_schedule.created", "job_schedule", id, null, schedule, ct);
                return schedule;
            }, ct)));
    }

    /// <summary>A name another schedule of the organization has, on create and on rename alike: 409, nothing changed.</summary>
    private static async Task<T> RefuseTakenNameAsync<T>(Task<T> work)
    {
        try { return await work; }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "job_schedules_org_name_key" })
        {
            throw ApiProblem.Conflict("schedule_exists", "A schedule with this name exists in this organization.");
        }
    }

    public static async Task<Ok<Page<JobSchedule>>> ListSchedulesAsync(Caller caller, Db db, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var rows = await db.InOrgAsync(caller.OrgId, tx => tx.ListAsync(
            $"SELECT {JobSchedule.Columns} FROM job_schedules s WHERE s.org_id = $1 AND s.id > $2 ORDER BY s.id LIMIT $3", JobSchedule.Read, ct, tx.OrgId, after, take + 1), ct);
        return TypedResults.Ok(Paging.Of(rows, take, s => s.Id));
    }

    public static async Task<Ok<JobSchedule>> UpdateScheduleAsync(Guid id, UpdateScheduleRequest body, Caller caller, Db db, TimeProvider time, CancellationToken ct)
    {
        var v = new Validation();
        var cron = body.Cron.IsSet ? CheckCron(v, body.Cron.Value) : null;
        var name = body.Name.IsSet ? v.RequiredText("$.name", body.Name.Value, 200) : null;
        v.ThrowIfInvalid();
        return TypedResults.Ok(await RefuseTakenNameAsync(db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await tx.SingleAsync($"SELECT {JobSchedule.Columns} FROM job_schedules s WHERE s.id = $1 AND s.org_id = $2 FOR UPDATE", JobSchedule.Read, ct, id, tx.OrgId)
                ?? throw ApiProblem.NotFound("schedule");
            var after = (await tx.SingleAsync($"""
                UPDATE job_schedules s SET cron = $3, active = $4, name = $5, next_run_at = $6, updated_at = now()
                WHERE s.id = $1 AND s.org_id = $2 RETURNING {JobSchedule.Columns}
                """, JobSchedule.Read, ct, id, tx.OrgId, cron is null ? before.Cron : body.Cron.Value!.Trim(), body.Active.IsSet ? body.Active.Value : before.Active,
                name?.Trim() ?? before.Name, cron?.Next(time.GetUtcNow()) ?? before.NextRunAt))!;
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "job_schedule.updated", "job_schedule", id, before, after, ct);
            return after;
        }, ct)));
    }

    public static async Task<NoContent> DeleteScheduleAsync(Guid id, Caller caller, Db db, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await tx.SingleAsync($"SELECT {JobSchedule.Columns} FROM job_schedules s WHERE s.id = $1 AND s.org_id = $2 FOR UPDATE", JobSchedule.Read, ct, id, tx.OrgId)
                ?? throw ApiProblem.NotFound("schedule");
            await tx.ExecuteAsync("DELETE FROM job_schedules WHERE id = $1", ct, id);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "job_schedule.deleted", "job_schedule", id, before, null, ct);
        }, ct);
        return TypedResults.NoContent();
    }
}

/// <summary>Wakes this replica's job dispatcher when a job is created, retried or cancelled (others find it at their next tick).</summary>
public sealed class JobSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Pulse()
    {
        try { _signal.Release(); } catch (SemaphoreFullException) { }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}
