using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace AgentOps.Jobs;

/// <summary>
/// The timer's work, host-neutral: start due recurring schedules (each creates a job, unless its previous job is
/// still going), then take due jobs, and list the running ones. Schedules and due jobs are claimed with SKIP LOCKED,
/// so two dispatchers (two replicas, or a replica and a late timer) never start the same job twice; each running job
/// is looked after under its row lock (JobStarter).
/// </summary>
public sealed class JobDispatcher(Db db, TimeProvider time, ILogger<JobDispatcher> logger)
{
    /// <summary>At most this many schedules and jobs per tick.</summary>
    public const int PerTick = 50;

    public async Task<int> StartSchedulesAsync(CancellationToken ct)
    {
        var due = await db.WithoutOrgAsync(tx => tx.ListAsync("SELECT id, org_id FROM job_schedules_due($1)", r => (Id: r.GetGuid(0), Org: r.GetGuid(1)), ct, PerTick), ct);
        var started = 0;
        foreach (var (id, org) in due)
        {
            started += await db.InOrgAsync(org, async tx =>
            {
                var s = await tx.SingleAsync($"SELECT {JobSchedule.Columns} FROM job_schedules s WHERE s.id = $1 AND s.active AND s.next_run_at <= now() FOR UPDATE SKIP LOCKED",
                    JobSchedule.Read, ct, id);
                if (s is null) return 0; // another dispatcher has it
                var now = time.GetUtcNow();
                var next = Cron.Parse(s.Cron).Next(now > s.NextRunAt ? now : s.NextRunAt) ?? now.AddYears(5);
                var busy = s.LastJobId is { } last && await tx.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM jobs WHERE id = $1 AND status IN ('scheduled', 'running'))", ct, last);
                Guid? jobId = null;
                if (!busy)
                {
                    jobId = await JobService.RecordAsync(tx, JobSpec.Of(s), s.Id, new Actor(ActorType.System, s.Id, new RequestInfo(null, "job-schedule")), ct);
                }
                await tx.ExecuteAsync("UPDATE job_schedules SET next_run_at = $2, last_job_id = coalesce($3, last_job_id) WHERE id = $1", ct, s.Id, next, jobId);
                if (busy) logger.LogInformation("Schedule {Schedule} skipped a run: its previous job is still going", s.Id);
                return jobId is null ? 0 : 1;
            }, ct);
        }
        return started;
    }

    /// <summary>Takes the due jobs (each by exactly one dispatcher, which records itself on the job).</summary>
    public async Task<List<JobRef>> TakeDueAsync(string dispatcherName, string[] kinds, CancellationToken ct)
    {
        var due = await db.WithoutOrgAsync(tx => tx.ListAsync("SELECT id, org_id FROM jobs_take_due($1, $2)", r => new JobRef(r.GetGuid(1), r.GetGuid(0)), ct, PerTick, kinds), ct);
        foreach (var job in due)
            await db.InOrgAsync(job.OrgId, tx => JobActivities.EventAsync(tx, job.JobId, null, "info", "Dispatched", new { dispatcher = dispatcherName }, ct), ct);
        return due;
    }

    /// <summary>
    /// Running jobs that were planned, a random sample of PerTick (none starves when more run at once): the dispatcher makes sure each has a live orchestration
    /// (after an in-memory engine restarted, a task hub was reset, or a failed job was retried), and tells the
    /// orchestration of a cancelled one.
    /// </summary>
    public Task<List<(JobRef Job, bool CancelRequested)>> RunningAsync(string[] kinds, CancellationToken ct) =>
        db.WithoutOrgAsync(tx => tx.ListAsync("SELECT id, org_id, cancel_requested FROM jobs_running($1, $2)",
            r => (new JobRef(r.GetGuid(1), r.GetGuid(0)), r.GetBoolean(2)), ct, PerTick, kinds), ct);
}

/// <summary>A recurring schedule as stored.</summary>
public sealed record JobSchedule(Guid Id, string Name, string Kind, JsonElement Payload, string Cron, int BatchSize, int Parallelism, int Priority,
    string InsertMode, int MaxAttempts, bool Active, DateTimeOffset NextRunAt, Guid? LastJobId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public const string Columns = """
        s.id, s.name, s.kind, s.payload::text, s.cron, s.batch_size, s.parallelism, s.priority, s.insert_mode, s.max_attempts, s.active, s.next_run_at,
        s.last_job_id, s.created_at, s.updated_at
        """;

    public static JobSchedule Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetString(2), JsonDocument.Parse(r.GetString(3)).RootElement.Clone(),
        r.GetString(4), r.GetInt32(5), r.GetInt32(6), r.GetInt32(7), r.GetString(8), r.GetInt32(9), r.GetBoolean(10), r.Time(11), r.NullableGuid(12), r.Time(13), r.Time(14));
}
