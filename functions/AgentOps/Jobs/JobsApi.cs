using System.Text.Json;

namespace AgentOps.Jobs;

/// <summary>The jobs API over HTTP: binding, shape checks and answers; <see cref="JobService"/> holds the use cases.</summary>
public static class JobsApi
{
    public static void MapJobsApi(this RouteGroupBuilder api)
    {
        var jobs = api.MapGroup("/jobs").WithTags("Jobs");
        jobs.MapPost("/", CreateAsync).Requires(Permission.JobsWrite).WithName("createJob").WithSummary("Create a job");
        jobs.MapGet("/", ListAsync).Requires(Permission.JobsRead).WithName("listJobs").WithSummary("Jobs, newest first");
        jobs.MapGet("/kinds", KindsAsync).Requires(Permission.JobsRead).WithName("listJobKinds").WithSummary("The kinds of job, the defaults and the limits a job's fields take");
        jobs.MapGet("/{id:guid}", GetAsync).Requires(Permission.JobsRead).WithName("getJob").WithSummary("A job with its shards and events");
        jobs.MapPost("/{id:guid}/cancel", CancelAsync).Requires(Permission.JobsWrite).WithName("cancelJob").Problems(409).WithSummary("Cancel a job");
        jobs.MapPost("/{id:guid}/retry", RetryAsync).Requires(Permission.JobsWrite).WithName("retryJob").Problems(409).WithSummary("Run a failed job's failed shards again");
        jobs.MapPost("/schedules", CreateScheduleAsync).Requires(Permission.JobsWrite).WithName("createJobSchedule").Problems(409).WithSummary("Create a recurring schedule");
        jobs.MapGet("/schedules", ListSchedulesAsync).Requires(Permission.JobsRead).WithName("listJobSchedules").WithSummary("Recurring schedules");
        jobs.MapPatch("/schedules/{id:guid}", UpdateScheduleAsync).Requires(Permission.JobsWrite).WithName("updateJobSchedule").WithSummary("Change a schedule (cron, active)");
        jobs.MapDelete("/schedules/{id:guid}", DeleteScheduleAsync).Requires(Permission.JobsWrite).WithName("deleteJobSchedule").WithSummary("Delete a schedule");
    }

    public sealed record JobRequest(string? Kind, JsonElement? Payload, int? BatchSize, int? Parallelism, int? Priority, DateTimeOffset? ScheduledAt,
        bool? DryRun, string? InsertMode, int? MaxAttempts);

    public static async Task<Created<JobView>> CreateAsync(JobRequest body, Caller caller, JobService jobs, JobActivities activities, CancellationToken ct)
    {
        var spec = JobSpec.Check(new Validation(), activities, body.Kind, body.Payload, body.BatchSize, body.Parallelism, body.Priority, body.ScheduledAt,
            body.DryRun, body.InsertMode, body.MaxAttempts);
        return TypedResults.Created((string?)null, await jobs.CreateAsync(caller, spec, ct));
    }

    /// <summary>Defaults a field left out takes, and the ranges <see cref="JobSpec.Check"/> accepts.</summary>
    public sealed record JobDefaults(int BatchSize, int Parallelism, int Priority, int MaxAttempts, string InsertMode);

    public sealed record JobLimits(int BatchSizeMax, int ParallelismMax, int PriorityMin, int PriorityMax, int MaxAttemptsMax, int PayloadMaxChars, int SchedulesMax);

    public sealed record JobKindsResponse(IReadOnlyList<JobKindView> Kinds, JobDefaults Defaults, JobLimits Limits);

    /// <summary>What a job form offers, from the server that will check it (the dashboard keeps no copy).</summary>
    public static Ok<JobKindsResponse> KindsAsync(JobActivities activities) =>
        TypedResults.Ok(new JobKindsResponse(JobKinds.Catalog(activities.Kinds),
            new JobDefaults(JobSpec.DefaultBatchSize, JobSpec.DefaultParallelism, JobSpec.DefaultPriority, JobSpec.DefaultMaxAttempts, JobSpec.DefaultInsertMode),
            new JobLimits(JobSpec.MaxBatchSize, JobSpec.MaxParallelism, JobSpec.MinPriority, JobSpec.MaxPriority, JobSpec.MaxMaxAttempts, JobSpec.MaxPayloadChars,
                JobService.MaxSchedules)));

    public static async Task<Ok<Page<JobView>>> ListAsync(Caller caller, JobService jobs, string? status, string? kind, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var v = new Validation();
        if (status is not (null or "scheduled" or "running" or "succeeded" or "failed" or "cancelled")) v.Add("status", "must be scheduled, running, succeeded, failed or cancelled.");
        if (kind is not null && !JobKinds.IsName(kind)) v.Add("kind", JobKinds.NameRule);
        v.ThrowIfInvalid();
        return TypedResults.Ok(Paging.Of(await jobs.PageAsync(caller.OrgId, status, kind, after, take + 1, ct), take, j => j.Job.Id));
    }

    public static async Task<Ok<JobDetail>> GetAsync(Guid id, Caller caller, JobService jobs, CancellationToken ct) =>
        TypedResults.Ok(await jobs.GetAsync(caller.OrgId, id, ct));

    public static async Task<Ok<JobView>> CancelAsync(Guid id, Caller caller, JobService jobs, CancellationToken ct) =>
        TypedResults.Ok(await jobs.CancelAsync(caller, id, ct));

    public static async Task<Ok<JobView>> RetryAsync(Guid id, Caller caller, JobService jobs, CancellationToken ct) =>
        TypedResults.Ok(await jobs.RetryAsync(caller, id, ct));

    public sealed record ScheduleRequest(string? Name, string? Cron, string? Kind, JsonElement? Payload, int? BatchSize, int? Parallelism, int? Priority,
        string? InsertMode, int? MaxAttempts, bool? Active);

    public sealed record UpdateScheduleRequest(Optional<string> Cron, Optional<bool> Active, Optional<string> Name);

    private static Cron? CheckCron(Validation v, string? cron)
    {
        if (!Jobs.Cron.TryParse(cron, out var parsed, out var error)) v.Add("$.cron", error!);
        return parsed;
    }

    public static async Task<Created<JobSchedule>> CreateScheduleAsync(ScheduleRequest body, Caller caller, JobService jobs, JobActivities activities, CancellationToken ct)
    {
        var v = new Validation();
        var name = v.RequiredText("$.name", body.Name, 200);
        var cron = CheckCron(v, body.Cron);
        var spec = JobSpec.Check(v, activities, body.Kind, body.Payload, body.BatchSize, body.Parallelism, body.Priority, null, false, body.InsertMode, body.MaxAttempts);
        return TypedResults.Created((string?)null, await jobs.CreateScheduleAsync(caller, name!, cron!, body.Cron!.Trim(), spec, body.Active ?? true, ct));
    }

    public static async Task<Ok<Page<JobSchedule>>> ListSchedulesAsync(Caller caller, JobService jobs, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        return TypedResults.Ok(Paging.Of(await jobs.PageSchedulesAsync(caller.OrgId, after, take + 1, ct), take, s => s.Id));
    }

    public static async Task<Ok<JobSchedule>> UpdateScheduleAsync(Guid id, UpdateScheduleRequest body, Caller caller, JobService jobs, CancellationToken ct)
    {
        var v = new Validation();
        var cron = body.Cron.IsSet ? CheckCron(v, body.Cron.Value) : null;
        var name = body.Name.IsSet ? v.RequiredText("$.name", body.Name.Value, 200) : null;
        v.ThrowIfInvalid();
        return TypedResults.Ok(await jobs.UpdateScheduleAsync(caller, id, cron is null ? null : (cron, body.Cron.Value!.Trim()),
            body.Active.IsSet ? body.Active.Value : null, name, ct));
    }

    public static async Task<NoContent> DeleteScheduleAsync(Guid id, Caller caller, JobService jobs, CancellationToken ct)
    {
        await jobs.DeleteScheduleAsync(caller, id, ct);
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
