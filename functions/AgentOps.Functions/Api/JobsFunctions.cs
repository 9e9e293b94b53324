using AgentOps.Jobs;

namespace AgentOps.Functions.Api;

/// <summary>/api/v1/jobs (JobsApi). Jobs run under Durable orchestrations here (Jobs/JobOrchestration.cs).</summary>
public sealed class JobsFunctions(Db db, JobActivities activities, JobSignal signal, TimeProvider time)
{
    [Function("JobsCreate"), Requires(Permission.JobsWrite)]
    public async Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/jobs")] HttpRequest req) =>
        await JobsApi.CreateAsync(await Bind.BodyAsync<JobsApi.JobRequest>(req), Bind.CallerOf(req), db, activities, signal, Bind.Aborted(req));

    [Function("JobsList"), Requires(Permission.JobsRead)]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/jobs")] HttpRequest req) =>
        await JobsApi.ListAsync(Bind.CallerOf(req), db, Bind.Query(req, "status"), Bind.Query(req, "kind"), Bind.QueryInt(req, "limit"), Bind.Query(req, "cursor"), Bind.Aborted(req));

    [Function("JobsGet"), Requires(Permission.JobsRead)]
    public async Task<IResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/jobs/{id:guid}")] HttpRequest req, Guid id) =>
        await JobsApi.GetAsync(id, Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("JobsCancel"), Requires(Permission.JobsWrite)]
    public async Task<IResult> Cancel([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/jobs/{id:guid}/cancel")] HttpRequest req, Guid id) =>
        await JobsApi.CancelAsync(id, Bind.CallerOf(req), db, activities, Bind.Aborted(req));

    [Function("JobsRetry"), Requires(Permission.JobsWrite)]
    public async Task<IResult> Retry([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/jobs/{id:guid}/retry")] HttpRequest req, Guid id) =>
        await JobsApi.RetryAsync(id, Bind.CallerOf(req), db, signal, Bind.Aborted(req));

    [Function("JobSchedulesCreate"), Requires(Permission.JobsWrite)]
    public async Task<IResult> CreateSchedule([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/jobs/schedules")] HttpRequest req) =>
        await JobsApi.CreateScheduleAsync(await Bind.BodyAsync<JobsApi.ScheduleRequest>(req), Bind.CallerOf(req), db, activities, time, Bind.Aborted(req));

    [Function("JobSchedulesList"), Requires(Permission.JobsRead)]
    public async Task<IResult> ListSchedules([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/jobs/schedules")] HttpRequest req) =>
        await JobsApi.ListSchedulesAsync(Bind.CallerOf(req), db, Bind.QueryInt(req, "limit"), Bind.Query(req, "cursor"), Bind.Aborted(req));

    [Function("JobSchedulesUpdate"), Requires(Permission.JobsWrite)]
    public async Task<IResult> UpdateSchedule([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "api/v1/jobs/schedules/{id:guid}")] HttpRequest req, Guid id) =>
        await JobsApi.UpdateScheduleAsync(id, await Bind.BodyAsync<JobsApi.UpdateScheduleRequest>(req), Bind.CallerOf(req), db, time, Bind.Aborted(req));

    [Function("JobSchedulesDelete"), Requires(Permission.JobsWrite)]
    public async Task<IResult> DeleteSchedule([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/jobs/schedules/{id:guid}")] HttpRequest req, Guid id) =>
        await JobsApi.DeleteScheduleAsync(id, Bind.CallerOf(req), db, Bind.Aborted(req));
}
