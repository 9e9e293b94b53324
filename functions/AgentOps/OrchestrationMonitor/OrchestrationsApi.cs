using System.Text.Json;
using System.Text.RegularExpressions;
using AgentOps.Audit;
using AgentOps.Contracts;
using AgentOps.Jobs;
using DurableTask.Core.History;
using Microsoft.DurableTask.Client;

namespace AgentOps.OrchestrationMonitor;

/// <summary>
/// The durable orchestration monitor: the organization's orchestration instances (today one per job, instance id =
/// job id) with their progress, history as a timeline, inputs and outputs on demand, and the operator's levers —
/// terminate, suspend, resume, raise an event, purge (one, or by filter with a dry-run count). The same on both hosts:
/// everything goes through <see cref="DurableTaskClient"/> (the self-host's reads its task hub; Azure binds the
/// Functions host's). The task hub is shared by organizations, so every instance is reached through a row the
/// caller's organization owns (RLS), never listed from the hub directly.
/// </summary>
public static partial class OrchestrationsApi
{
    public static void MapOrchestrationsApi(this RouteGroupBuilder api)
    {
        var o = api.MapGroup("/orchestrations").WithTags("Orchestrations");
        o.MapGet("/", ListAsync).Requires(Permission.JobsRead).WithName("listOrchestrations").WithSummary("Orchestration instances, newest first");
        o.MapGet("/{id:guid}", GetAsync).Requires(Permission.JobsRead).WithName("getOrchestration").WithSummary("An orchestration instance (inputs and outputs with ?data=true)");
        o.MapGet("/{id:guid}/history", HistoryAsync).Requires(Permission.JobsRead).WithName("getOrchestrationHistory").WithSummary("An instance's history as a timeline");
        o.MapPost("/{id:guid}/terminate", TerminateAsync).Requires(Permission.JobsWrite).WithName("terminateOrchestration").Problems(409).WithSummary("Terminate an instance (its job is cancelled)");
        o.MapPost("/{id:guid}/suspend", SuspendAsync).Requires(Permission.JobsWrite).WithName("suspendOrchestration").Problems(409).WithSummary("Suspend an instance");
        o.MapPost("/{id:guid}/resume", ResumeAsync).Requires(Permission.JobsWrite).WithName("resumeOrchestration").Problems(409).WithSummary("Resume a suspended instance");
        o.MapPost("/{id:guid}/events", RaiseEventAsync).Requires(Permission.JobsWrite).WithName("raiseOrchestrationEvent").Problems(409).WithSummary("Raise an external event");
        o.MapPost("/{id:guid}/purge", PurgeAsync).Requires(Permission.JobsWrite).WithName("purgeOrchestration").Problems(409).WithSummary("Purge an ended instance's state and history");
        o.MapPost("/purge", PurgeManyAsync).Requires(Permission.JobsWrite).WithName("purgeOrchestrations").WithSummary("Purge ended instances by filter (dry_run counts)");
    }

    /// <summary>Rows looked at per list request at most (a filter that matches little stops here and returns a cursor).</summary>
    public const int MaxScan = 500;

    /// <summary>Instances purged per purge request at most, and jobs looked at for it (each a task hub lookup; the rest comes with next_cursor).</summary>
    public const int MaxPurge = 100;
    public const int MaxPurgeScan = 1_000;

    /// <summary>Task hub lookups at once.</summary>
    private const int LookupParallelism = 8;

    public const int MaxReasonChars = 1_000;

    /// <summary>JobOrchestrator.CancelEvent (that project depends on this one).</summary>
    public const string JobCancelEvent = "cancel";
    public const int MaxEventPayloadBytes = 16 * 1024;

    public static readonly string[] Statuses = ["running", "pending", "suspended", "completed", "failed", "terminated"];
    private static readonly string[] Ended = ["completed", "failed", "terminated"];
    private static readonly string[] Live = ["running", "pending", "suspended"];

    /// <summary>What owns an instance in this organization: its job.</summary>
    public sealed record Owner(string Type, Guid Id, string Kind, string Status);

    public sealed record InstanceView(string InstanceId, string Name, string Status, DateTimeOffset CreatedAt, DateTimeOffset LastUpdatedAt,
        JobProgress? Progress, Owner Job, JsonElement? Input, JsonElement? Output, string? Error);

    public sealed record HistoryView(string InstanceId, string Status, IReadOnlyList<HistoryEntry> Entries, bool Truncated);

    public sealed record RaiseEventRequest(string? Name, JsonElement? Payload);
    public sealed record PurgeRequest(string[]? Statuses, DateTimeOffset? CreatedAfter, DateTimeOffset? CreatedBefore, bool? DryRun, string? Cursor);
    /// <summary>NextCursor: more jobs lie in the window; pass it as cursor to go on.</summary>
    public sealed record PurgeResult(int Matched, int Purged, bool DryRun, string? NextCursor);

    /// <summary>The client's status in lower case (an instance between generations shows as running: ContinueAsNew happens within one work item).</summary>
    public static string StatusName(OrchestrationRuntimeStatus status) => status.ToString().ToLowerInvariant();

    private static InstanceView View(OrchestrationMetadata m, Owner owner, bool data) => new(m.InstanceId, m.Name, StatusName(m.RuntimeStatus), m.CreatedAt,
        m.LastUpdatedAt, ProgressOf(m.SerializedCustomStatus), owner, data ? Timeline.Payload(m.SerializedInput) : null,
        data ? Timeline.Payload(m.SerializedOutput) : null, m.FailureDetails?.ErrorMessage);

    private static readonly JsonSerializerOptions StoredJson = new(JsonSerializerDefaults.Web);

    /// <summary>A job orchestration's custom status, whatever casing the host's data converter wrote.</summary>
    private static JobProgress? ProgressOf(string? status)
    {
        try { return string.IsNullOrEmpty(status) ? null : JsonSerializer.Deserialize<JobProgress>(status, StoredJson); }
        catch (JsonException) { return null; }
    }

    private static Owner ReadOwner(NpgsqlDataReader r) => new("job", r.GetGuid(0), r.GetString(1), r.GetString(2));

    private static Task<Owner?> OwnerAsync(Tx tx, Guid id, CancellationToken ct, bool forUpdate = false) =>
        tx.SingleAsync($"SELECT j.id, j.kind, j.status FROM jobs j WHERE j.id = $1 AND j.org_id = $2{(forUpdate ? " FOR UPDATE" : "")}", ReadOwner, ct, id, tx.OrgId);

    public static async Task<Ok<Page<InstanceView>>> ListAsync(Caller caller, Db db, DurableTaskClient client, string? status, string? kind, string? name,
        DateTimeOffset? from, DateTimeOffset? to, string? instance, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var v = new Validation();
        var statuses = status?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (statuses.Any(s => !Statuses.Contains(s))) v.Add("status", $"must be one or more of {string.Join(", ", Statuses)} (comma-separated).");
        if (kind is not null && !JobKinds.IsName(kind)) v.Add("kind", JobKinds.NameRule);
        if (name is { Length: > 200 }) v.Add("name", "must be at most 200 characters.");
        if (from > to) v.Add("from", "must not be after to.");
        if (instance is not null && !InstancePrefix().IsMatch(instance)) v.Add("instance", "must be the start of an instance id (hex digits and dashes, at most 36).");
        v.ThrowIfInvalid();

        // from/to: when the job was created; instance: the start of an instance id.
        // The organization's jobs newest first (v7 ids order by creation), looked up in the task hub a chunk at a time.
        var items = new List<InstanceView>();
        string? next = null;
        for (var scanned = 0; items.Count < take && scanned < MaxScan;)
        {
            // At least 50 rows a query: a small page under a filter that matches little would otherwise take many round trips.
            var chunk = Math.Min(Math.Max(take, 50), MaxScan - scanned);
            var owners = await db.InOrgAsync(caller.OrgId, tx => tx.ListAsync("""
                SELECT j.id, j.kind, j.status FROM jobs j
                WHERE j.org_id = $1 AND ($2 = '00000000-0000-0000-0000-000000000000'::uuid OR j.id < $2) AND j.status <> 'scheduled'
                  AND ($3::text IS NULL OR j.kind = $3) AND ($4::timestamptz IS NULL OR j.created_at >= $4) AND ($5::timestamptz IS NULL OR j.created_at < $5)
                  AND ($6::text IS NULL OR j.id::text LIKE $6 || '%')
                ORDER BY j.id DESC LIMIT $7
                """, ReadOwner, ct, caller.OrgId, after, kind, from, to, instance?.ToLowerInvariant(), chunk), ct);
            scanned += owners.Count;
            var found = await LookupAsync(client, owners, false, ct);
            var i = 0;
            for (; i < owners.Count && items.Count < take; i++)
            {
                after = owners[i].Id;
                if (found[i] is { } m && (statuses.Length == 0 || statuses.Contains(StatusName(m.RuntimeStatus))) && (name is null || m.Name == name))
                    items.Add(View(m, owners[i], false));
            }
            // Rows ran out (a short chunk, all looked at): no next page. Otherwise the cursor is the last row looked at.
            var exhausted = owners.Count < chunk && i == owners.Count;
            next = exhausted ? null : after.ToString();
            if (exhausted) break;
        }
        return TypedResults.Ok(new Page<InstanceView>(items, next));
    }

    private static async Task<OrchestrationMetadata?[]> LookupAsync(DurableTaskClient client, List<Owner> owners, bool data, CancellationToken ct)
    {
        var found = new OrchestrationMetadata?[owners.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, owners.Count), new ParallelOptions { MaxDegreeOfParallelism = LookupParallelism, CancellationToken = ct },
            async (i, c) => found[i] = await client.GetInstanceAsync(owners[i].Id.ToString(), data, c));
        return found;
    }

    /// <summary>The instance behind a row of this organization, or 404 (not the organization's, or never started, or purged).</summary>
    private static async Task<(Owner Owner, OrchestrationMetadata Instance)> FindAsync(Db db, DurableTaskClient client, Caller caller, Guid id, bool data, CancellationToken ct)
    {
        var owner = await db.InOrgAsync(caller.OrgId, tx => OwnerAsync(tx, id, ct), ct) ?? throw ApiProblem.NotFound("orchestration");
        var instance = await client.GetInstanceAsync(id.ToString(), data, ct) ?? throw ApiProblem.NotFound("orchestration");
        return (owner, instance);
    }

    public static async Task<Ok<InstanceView>> GetAsync(Guid id, bool? data, Caller caller, Db db, DurableTaskClient client, CancellationToken ct)
    {
        var (owner, instance) = await FindAsync(db, client, caller, id, data ?? false, ct);
        return TypedResults.Ok(View(instance, owner, data ?? false));
    }

    public static async Task<Ok<HistoryView>> HistoryAsync(Guid id, bool? data, Caller caller, Db db, DurableTaskClient client, CancellationToken ct)
    {
        var (_, instance) = await FindAsync(db, client, caller, id, false, ct);
        IList<HistoryEvent> history;
        try { history = await client.GetOrchestrationHistoryAsync(id.ToString(), ct); }
        catch (NotSupportedException) { throw ApiProblem.Unprocessable("history_unavailable", "This task hub does not keep histories (the in-memory engine): set AGENTOPS_TASK_HUB_STORAGE."); }
        var entries = Timeline.Of(history, data ?? false);
        return TypedResults.Ok(new HistoryView(instance.InstanceId, StatusName(instance.RuntimeStatus), entries, entries.Count >= Timeline.MaxEntries));
    }

    private static string? Reason(Validation v, ReasonRequest? body)
    {
        var reason = v.Text("$.reason", body?.Reason, MaxReasonChars);
        v.ThrowIfInvalid();
        return reason;
    }

    /// <summary>
    /// One operation on one instance, in the transaction that locks its owner row and writes the audit row: a refused
    /// task hub call leaves no audit row; the state must be one the operation applies to (409 otherwise).
    /// </summary>
    private static async Task<InstanceView> OperateAsync(Guid id, Caller caller, Db db, DurableTaskClient client, string[] allowed, string action, object? detail,
        Func<Tx, Owner, Task> operation, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var owner = await OwnerAsync(tx, id, ct, forUpdate: true) ?? throw ApiProblem.NotFound("orchestration");
            var instance = await client.GetInstanceAsync(id.ToString(), false, ct) ?? throw ApiProblem.NotFound("orchestration");
            var status = StatusName(instance.RuntimeStatus);
            if (!allowed.Contains(status))
                throw ApiProblem.Conflict("orchestration_state", $"The orchestration is {status}: {action.Replace("orchestration.", "")} applies to {string.Join(", ", allowed)} ones.");
            // The audit row first, the task hub call last: a refused call rolls the row back with everything else.
            await AuditLog.RecordAsync(tx, Actor.Of(caller), action, "orchestration", id, new { status, job_status = owner.Status }, detail, ct);
            await operation(tx, owner);
        }, ct);
        var (owner, after) = await FindAsync(db, client, caller, id, false, ct);
        return View(after, owner, false);
    }

    public static async Task<Ok<InstanceView>> TerminateAsync(Guid id, ReasonRequest? body, Caller caller, Db db, DurableTaskClient client, JobActivities jobs,
        CancellationToken ct)
    {
        var reason = Reason(new Validation(), body);
        var view = await OperateAsync(id, caller, db, client, Live, "orchestration.terminated", new { status = "terminated", reason }, async (tx, owner) =>
        {
            // A terminated job orchestration would leave its job running: the job is cancelled and closed with it (a
            // shard run still in flight stops at its next batch boundary).
            var job = await tx.SingleAsync($"SELECT {Job.Columns} FROM jobs j WHERE j.id = $1", Job.Read, ct, owner.Id);
            if (job is { Terminal: false })
            {
                await JobActivities.RequestCancelAsync(tx, job, Actor.Of(caller), "Cancel requested: its orchestration was terminated", ct);
                await jobs.CloseCancelledAsync(tx, job.Id, "its orchestration was terminated", ct);
            }
            await client.TerminateInstanceAsync(id.ToString(), new TerminateInstanceOptions(reason ?? "terminated by an operator"), ct);
        }, ct);
        return TypedResults.Ok(view);
    }

    public static async Task<Ok<InstanceView>> SuspendAsync(Guid id, ReasonRequest? body, Caller caller, Db db, DurableTaskClient client, CancellationToken ct)
    {
        var reason = Reason(new Validation(), body);
        return TypedResults.Ok(await OperateAsync(id, caller, db, client, ["running", "pending"], "orchestration.suspended", new { status = "suspended", reason },
            (_, _) => client.SuspendInstanceAsync(id.ToString(), reason, ct), ct));
    }

    public static async Task<Ok<InstanceView>> ResumeAsync(Guid id, ReasonRequest? body, Caller caller, Db db, DurableTaskClient client, CancellationToken ct)
    {
        var reason = Reason(new Validation(), body);
        return TypedResults.Ok(await OperateAsync(id, caller, db, client, ["suspended"], "orchestration.resumed", new { status = "running", reason },
            (_, _) => client.ResumeInstanceAsync(id.ToString(), reason, ct), ct));
    }

    public static async Task<Ok<InstanceView>> RaiseEventAsync(Guid id, RaiseEventRequest body, Caller caller, Db db, DurableTaskClient client, CancellationToken ct)
    {
        var v = new Validation();
        var name = v.RequiredText("$.name", body.Name, 100);
        if (name is not null && !EventName().IsMatch(name)) v.Add("$.name", "must be letters, digits, '_', '-' or '.'.");
        // The job orchestration's own signal: raised alone it would cut every backoff short without cancelling anything.
        if (name == JobCancelEvent) v.Add("$.name", "is the job orchestration's cancel signal: cancel the job with POST /api/v1/jobs/{id}/cancel.");
        if (body.Payload is { } p && System.Text.Encoding.UTF8.GetByteCount(p.GetRawText()) > MaxEventPayloadBytes) v.Add("$.payload", $"must be at most {MaxEventPayloadBytes / 1024} KiB.");
        v.ThrowIfInvalid();
        return TypedResults.Ok(await OperateAsync(id, caller, db, client, Live, "orchestration.event_raised", new { name, payload = body.Payload },
            (_, _) => client.RaiseEventAsync(id.ToString(), name!, body.Payload, ct), ct));
    }

    public static async Task<Ok<PurgeResult>> PurgeAsync(Guid id, Caller caller, Db db, DurableTaskClient client, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var owner = await OwnerAsync(tx, id, ct, forUpdate: true) ?? throw ApiProblem.NotFound("orchestration");
            var instance = await client.GetInstanceAsync(id.ToString(), false, ct) ?? throw ApiProblem.NotFound("orchestration");
            var status = StatusName(instance.RuntimeStatus);
            if (!Ended.Contains(status)) throw ApiProblem.Conflict("orchestration_state", $"The orchestration is {status}: only an ended one (completed, failed, terminated) can be purged.");
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "orchestration.purged", "orchestration", id, new { status, job_status = owner.Status }, null, ct);
            await client.PurgeInstanceAsync(id.ToString(), cancellation: ct);
        }, ct);
        return TypedResults.Ok(new PurgeResult(1, 1, false, null));
    }

    public static async Task<Ok<PurgeResult>> PurgeManyAsync(PurgeRequest body, Caller caller, Db db, DurableTaskClient client, CancellationToken ct)
    {
        var v = new Validation();
        var statuses = body.Statuses ?? Ended;
        if (statuses.Length == 0 || statuses.Any(s => !Ended.Contains(s))) v.Add("$.statuses", "must be one or more of completed, failed, terminated (only ended instances are purged).");
        if (body.CreatedBefore is null) v.Add("$.created_before", "is required: purge what was created before a time.");
        if (body.CreatedAfter > body.CreatedBefore) v.Add("$.created_after", "must not be after created_before.");
        var after = Guid.Empty;
        if (body.Cursor is not null && !Guid.TryParse(body.Cursor, out after)) v.Add("$.cursor", "is not a cursor this API returned.");
        v.ThrowIfInvalid();
        var dryRun = body.DryRun ?? false;
        // Oldest first from the cursor; the next call goes on after the last job looked at (next_cursor).
        var owners = await db.InOrgAsync(caller.OrgId, tx => tx.ListAsync("""
            SELECT j.id, j.kind, j.status FROM jobs j
            WHERE j.org_id = $1 AND j.status <> 'scheduled' AND j.created_at < $2 AND ($3::timestamptz IS NULL OR j.created_at >= $3) AND j.id > $4
            ORDER BY j.id LIMIT $5
            """, ReadOwner, ct, caller.OrgId, body.CreatedBefore, body.CreatedAfter, after, MaxPurgeScan), ct);
        var found = await LookupAsync(client, owners, false, ct);
        var matched = new List<Guid>();
        var last = (Guid?)null;
        foreach (var (owner, metadata) in owners.Zip(found))
        {
            if (matched.Count == MaxPurge) break;
            last = owner.Id;
            if (metadata is { } m && statuses.Contains(StatusName(m.RuntimeStatus))) matched.Add(owner.Id);
        }
        var next = owners.Count == MaxPurgeScan || last != owners.LastOrDefault()?.Id ? last?.ToString() : null;
        if (dryRun || matched.Count == 0) return TypedResults.Ok(new PurgeResult(matched.Count, 0, dryRun, next));
        // Audited before the task hub is touched: the row names every instance this request purges.
        await db.InOrgAsync(caller.OrgId, tx => AuditLog.RecordAsync(tx, Actor.Of(caller), "orchestrations.purged", "orchestration", null, null,
            new { statuses, body.CreatedAfter, body.CreatedBefore, instances = matched }, ct), ct);
        var purged = 0;
        foreach (var id in matched)
            purged += (await client.PurgeInstanceAsync(id.ToString(), cancellation: ct)).PurgedInstanceCount;
        return TypedResults.Ok(new PurgeResult(matched.Count, purged, false, next));
    }

    [GeneratedRegex("^[0-9a-fA-F-]{1,36}$")]
    private static partial Regex InstancePrefix();

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex EventName();
}
