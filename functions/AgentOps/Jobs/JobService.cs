using AgentOps.Audit;

namespace AgentOps.Jobs;

/// <summary>
/// The jobs' use cases: create (now or at a time), list, read with shards and events, cancel (no new shard starts;
/// running ones stop at their next batch boundary), retry the failed shards; recurring schedules (five-field cron,
/// UTC). Every change is audited; a change to a job wakes this replica's dispatcher (schedules are found at its next
/// tick); refusals are <see cref="DomainError"/>s.
/// </summary>
public sealed class JobService(Db db, JobActivities activities, JobSignal signal, TimeProvider time)
{
    /// <summary>Events shown with a job, newest first.</summary>
    public const int EventsShown = 200;

    /// <summary>Schedules per organization.</summary>
    public const int MaxSchedules = 50;

    /// <summary>Writes a job, its audit row and its first event in the caller's transaction (a request's, or a schedule's run).</summary>
    public static async Task<Guid> RecordAsync(Tx tx, JobSpec spec, Guid? scheduleId, Actor actor, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        var job = await JobStore.InsertAsync(tx, id, spec, scheduleId, actor, ct);
        await AuditLog.RecordAsync(tx, actor, "job.created", "job", id, null, job, ct);
        await JobActivities.EventAsync(tx, id, null, "info", scheduleId is null ? "Job created" : "Job created by its schedule", new { job.ScheduledAt }, ct);
        return id;
    }

    public async Task<JobView> CreateAsync(Caller caller, JobSpec spec, CancellationToken ct)
    {
        var view = await db.InOrgAsync(caller.OrgId, async tx => await ViewAsync(tx, await RecordAsync(tx, spec, null, Actor.Of(caller), ct), ct), ct);
        signal.Pulse();
        return view;
    }

    public Task<List<JobView>> PageAsync(Guid orgId, string? status, string? kind, Guid after, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => JobStore.PageAsync(tx, status, kind, after, take, ct), ct);

    public Task<JobDetail> GetAsync(Guid orgId, Guid id, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx =>
        {
            var view = await ViewAsync(tx, id, ct);
            return new JobDetail(view.Job, view.Progress, await JobStore.ShardsAsync(tx, id, ct), await JobStore.EventsAsync(tx, id, EventsShown, ct));
        }, ct);

    public async Task<JobView> CancelAsync(Caller caller, Guid id, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await JobStore.LockAsync(tx, id, ct) ?? throw DomainError.NotFound("job");
            if (before.Terminal) throw DomainError.Conflict("job_finished", $"The job is already {before.Status}.");
            await JobActivities.RequestCancelAsync(tx, before, Actor.Of(caller), "Cancel requested", ct);
        }, ct);
        await activities.FinishAsync(new JobRef(caller.OrgId, id), ct);
        signal.Pulse(); // the dispatcher tells the job's orchestration (self-host: now; Azure: on the timer's next tick)
        return await db.InOrgAsync(caller.OrgId, tx => ViewAsync(tx, id, ct), ct);
    }

    public async Task<JobView> RetryAsync(Caller caller, Guid id, CancellationToken ct)
    {
        var view = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await JobStore.LockAsync(tx, id, ct) ?? throw DomainError.NotFound("job");
            if (before.Status != "failed") throw DomainError.Conflict("job_not_failed", "Only a failed job can be retried.");
            if (before.PlannedAt is null) await JobStore.RescheduleAsync(tx, id, ct);
            else
            {
                var shards = await JobStore.RetryFailedShardsAsync(tx, id, ct);
                await JobActivities.EventAsync(tx, id, null, "info", $"Retrying {shards} failed shard(s) from their checkpoints", null, ct);
            }
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "job.retried", "job", id, new { before.Status }, new { status = "running" }, ct);
            return await ViewAsync(tx, id, ct);
        }, ct);
        signal.Pulse();
        return view;
    }

    /// <summary>A schedule runs <paramref name="spec"/> at every time <paramref name="cron"/> names (its text as given, trimmed).</summary>
    public Task<JobSchedule> CreateScheduleAsync(Caller caller, string name, Cron cron, string cronText, JobSpec spec, bool active, CancellationToken ct) =>
        RefuseTakenNameAsync(db.InOrgAsync(caller.OrgId, async tx =>
        {
            if (await JobStore.CountSchedulesAsync(tx, ct) >= MaxSchedules)
                throw DomainError.Conflict("schedule_limit", $"An organization has at most {MaxSchedules} schedules.");
            var id = Guid.CreateVersion7();
            var schedule = await JobStore.InsertScheduleAsync(tx, id, name, cronText, spec, active, NextRun(cron), ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "job_schedule.created", "job_schedule", id, null, schedule, ct);
            return schedule;
        }, ct));

    public Task<List<JobSchedule>> PageSchedulesAsync(Guid orgId, Guid after, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => JobStore.PageSchedulesAsync(tx, after, take, ct), ct);

    /// <summary>Changes what is given (null: as it is); a new cron moves the next run to its next time from now.</summary>
    public Task<JobSchedule> UpdateScheduleAsync(Caller caller, Guid id, (Cron Parsed, string Text)? cron, bool? active, string? name, CancellationToken ct) =>
        RefuseTakenNameAsync(db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await JobStore.LockScheduleAsync(tx, id, ct) ?? throw DomainError.NotFound("schedule");
            var after = await JobStore.UpdateScheduleAsync(tx, id, cron?.Text ?? before.Cron, active ?? before.Active, name ?? before.Name,
                cron is { Parsed: var parsed } ? NextRun(parsed) : before.NextRunAt, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "job_schedule.updated", "job_schedule", id, before, after, ct);
            return after;
        }, ct));

    public Task DeleteScheduleAsync(Caller caller, Guid id, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await JobStore.LockScheduleAsync(tx, id, ct) ?? throw DomainError.NotFound("schedule");
            await JobStore.DeleteScheduleAsync(tx, id, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "job_schedule.deleted", "job_schedule", id, before, null, ct);
        }, ct);

    private static async Task<JobView> ViewAsync(Tx tx, Guid id, CancellationToken ct) => await JobStore.ViewAsync(tx, id, ct) ?? throw DomainError.NotFound("job");

    /// <summary>A cron with no time in the next five years (30 February, say) parks the schedule five years out.</summary>
    private DateTimeOffset NextRun(Cron cron) => cron.Next(time.GetUtcNow()) ?? time.GetUtcNow().AddYears(5);

    /// <summary>A name another schedule of the organization has, on create and on rename alike: a conflict, nothing changed.</summary>
    private static async Task<T> RefuseTakenNameAsync<T>(Task<T> work)
    {
        try { return await work; }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: JobStore.ScheduleNameKey })
        {
            throw DomainError.Conflict("schedule_exists", "A schedule with this name exists in this organization.");
        }
    }
}
