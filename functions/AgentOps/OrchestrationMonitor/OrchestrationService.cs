using System.Text.Json;
using AgentOps.Audit;
using AgentOps.Jobs;
using DurableTask.Core.History;
using Microsoft.DurableTask.Client;

namespace AgentOps.OrchestrationMonitor;

public sealed record InstanceView(string InstanceId, string Name, string Status, DateTimeOffset CreatedAt, DateTimeOffset LastUpdatedAt,
    JobProgress? Progress, Owner Job, JsonElement? Input, JsonElement? Output, string? Error);

public sealed record HistoryView(string InstanceId, string Status, IReadOnlyList<HistoryEntry> Entries, bool Truncated);

/// <summary>NextCursor: more jobs lie in the window; pass it as cursor to go on.</summary>
public sealed record PurgeResult(int Matched, int Purged, bool DryRun, string? NextCursor);

/// <summary>
/// The durable orchestration monitor: the organization's orchestration instances (today one per job, instance id =
/// job id) with their progress, history as a timeline, inputs and outputs on demand, and the operator's levers —
/// terminate, suspend, resume, raise an event, purge (one, or by filter with a dry-run count). The same on both hosts:
/// everything goes through <see cref="DurableTaskClient"/> (the self-host's reads its task hub; Azure binds the
/// Functions host's per request, so this service lives per request too). The task hub is shared by organizations, so
/// every instance is reached through a row the caller's organization owns (RLS), never listed from the hub directly.
/// Every operation is audited; refusals are <see cref="DomainError"/>s.
/// </summary>
public sealed class OrchestrationService(Db db, DurableTaskClient client, JobActivities jobs)
{
    /// <summary>Rows looked at per list request at most (a filter that matches little stops here and returns a cursor).</summary>
    public const int MaxScan = 500;

    /// <summary>Instances purged per purge request at most, and jobs looked at for it (each a task hub lookup; the rest comes with next_cursor).</summary>
    public const int MaxPurge = 100;
    public const int MaxPurgeScan = 1_000;

    /// <summary>Task hub lookups at once.</summary>
    private const int LookupParallelism = 8;

    public static readonly string[] Statuses = ["running", "pending", "suspended", "completed", "failed", "terminated"];
    public static readonly string[] Ended = ["completed", "failed", "terminated"];
    private static readonly string[] Live = ["running", "pending", "suspended"];

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

    /// <summary>
    /// Up to <paramref name="take"/> instances newest first, below the owner <paramref name="after"/>, that pass the
    /// filters (<paramref name="statuses"/> empty: any). Next: the last row looked at, when rows may remain.
    /// </summary>
    public async Task<(List<InstanceView> Items, Guid? Next)> ListAsync(Guid orgId, string[] statuses, string? kind, string? name, DateTimeOffset? from,
        DateTimeOffset? to, string? instance, Guid after, int take, CancellationToken ct)
    {
        // The organization's jobs newest first (v7 ids order by creation), looked up in the task hub a chunk at a time.
        var items = new List<InstanceView>();
        Guid? next = null;
        for (var scanned = 0; items.Count < take && scanned < MaxScan;)
        {
            // At least 50 rows a query: a small page under a filter that matches little would otherwise take many round trips.
            var chunk = Math.Min(Math.Max(take, 50), MaxScan - scanned);
            var owners = await db.InOrgAsync(orgId, tx => OrchestrationStore.PageOwnersAsync(tx, after, kind, from, to, instance?.ToLowerInvariant(), chunk, ct), ct);
            scanned += owners.Count;
            var found = await LookupAsync(owners, false, ct);
            var i = 0;
            for (; i < owners.Count && items.Count < take; i++)
            {
                after = owners[i].Id;
                if (found[i] is { } m && (statuses.Length == 0 || statuses.Contains(StatusName(m.RuntimeStatus))) && (name is null || m.Name == name))
                    items.Add(View(m, owners[i], false));
            }
            // Rows ran out (a short chunk, all looked at): no next page. Otherwise the cursor is the last row looked at.
            var exhausted = owners.Count < chunk && i == owners.Count;
            next = exhausted ? null : after;
            if (exhausted) break;
        }
        return (items, next);
    }

    private async Task<OrchestrationMetadata?[]> LookupAsync(List<Owner> owners, bool data, CancellationToken ct)
    {
        var found = new OrchestrationMetadata?[owners.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, owners.Count), new ParallelOptions { MaxDegreeOfParallelism = LookupParallelism, CancellationToken = ct },
            async (i, c) => found[i] = await client.GetInstanceAsync(owners[i].Id.ToString(), data, c));
        return found;
    }

    /// <summary>The instance behind a row of this organization, or not found (not the organization's, or never started, or purged).</summary>
    private async Task<(Owner Owner, OrchestrationMetadata Instance)> FindAsync(Guid orgId, Guid id, bool data, CancellationToken ct)
    {
        var owner = await db.InOrgAsync(orgId, tx => OrchestrationStore.OwnerAsync(tx, id, forUpdate: false, ct), ct) ?? throw DomainError.NotFound("orchestration");
        var instance = await client.GetInstanceAsync(id.ToString(), data, ct) ?? throw DomainError.NotFound("orchestration");
        return (owner, instance);
    }

    /// <summary>An instance, with its inputs and outputs when <paramref name="data"/>.</summary>
    public async Task<InstanceView> GetAsync(Guid orgId, Guid id, bool data, CancellationToken ct)
    {
        var (owner, instance) = await FindAsync(orgId, id, data, ct);
        return View(instance, owner, data);
    }

    /// <summary>An instance's history as a timeline (inputs and outputs when <paramref name="data"/>); refused (history_unavailable) where the hub keeps none.</summary>
    public async Task<HistoryView> HistoryAsync(Guid orgId, Guid id, bool data, CancellationToken ct)
    {
        var (_, instance) = await FindAsync(orgId, id, false, ct);
        IList<HistoryEvent> history;
        try { history = await client.GetOrchestrationHistoryAsync(id.ToString(), ct); }
        catch (NotSupportedException)
        {
            throw DomainError.Unprocessable("history_unavailable", "This task hub does not keep histories (the in-memory engine): set AGENTOPS_TASK_HUB_STORAGE.");
        }
        var entries = Timeline.Of(history, data);
        return new HistoryView(instance.InstanceId, StatusName(instance.RuntimeStatus), entries, entries.Count >= Timeline.MaxEntries);
    }

    /// <summary>
    /// One operation on one instance, in the transaction that locks its owner row and writes the audit row: a refused
    /// task hub call leaves no audit row; the state must be one the operation applies to (a conflict otherwise).
    /// </summary>
    private async Task<InstanceView> OperateAsync(Caller caller, Guid id, string[] allowed, string action, object? detail, Func<Tx, Owner, Task> operation,
        CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var owner = await OrchestrationStore.OwnerAsync(tx, id, forUpdate: true, ct) ?? throw DomainError.NotFound("orchestration");
            var instance = await client.GetInstanceAsync(id.ToString(), false, ct) ?? throw DomainError.NotFound("orchestration");
            var status = StatusName(instance.RuntimeStatus);
            if (!allowed.Contains(status))
                throw DomainError.Conflict("orchestration_state", $"The orchestration is {status}: {action.Replace("orchestration.", "")} applies to {string.Join(", ", allowed)} ones.");
            // The audit row first, the task hub call last: a refused call rolls the row back with everything else.
            await AuditLog.RecordAsync(tx, Actor.Of(caller), action, "orchestration", id, new { status, job_status = owner.Status }, detail, ct);
            await operation(tx, owner);
        }, ct);
        var (owner, after) = await FindAsync(caller.OrgId, id, false, ct);
        return View(after, owner, false);
    }

    public Task<InstanceView> TerminateAsync(Caller caller, Guid id, string? reason, CancellationToken ct) =>
        OperateAsync(caller, id, Live, "orchestration.terminated", new { status = "terminated", reason }, async (tx, owner) =>
        {
            // A terminated job orchestration would leave its job running: the job is cancelled and closed with it (a
            // shard run still in flight stops at its next batch boundary).
            var job = await OrchestrationStore.JobAsync(tx, owner.Id, ct);
            if (job is { Terminal: false })
            {
                await JobActivities.RequestCancelAsync(tx, job, Actor.Of(caller), "Cancel requested: its orchestration was terminated", ct);
                await jobs.CloseCancelledAsync(tx, job.Id, "its orchestration was terminated", ct);
            }
            await client.TerminateInstanceAsync(id.ToString(), new TerminateInstanceOptions(reason ?? "terminated by an operator"), ct);
        }, ct);

    public Task<InstanceView> SuspendAsync(Caller caller, Guid id, string? reason, CancellationToken ct) =>
        OperateAsync(caller, id, ["running", "pending"], "orchestration.suspended", new { status = "suspended", reason },
            (_, _) => client.SuspendInstanceAsync(id.ToString(), reason, ct), ct);

    public Task<InstanceView> ResumeAsync(Caller caller, Guid id, string? reason, CancellationToken ct) =>
        OperateAsync(caller, id, ["suspended"], "orchestration.resumed", new { status = "running", reason },
            (_, _) => client.ResumeInstanceAsync(id.ToString(), reason, ct), ct);

    public Task<InstanceView> RaiseEventAsync(Caller caller, Guid id, string name, JsonElement? payload, CancellationToken ct) =>
        OperateAsync(caller, id, Live, "orchestration.event_raised", new { name, payload },
            (_, _) => client.RaiseEventAsync(id.ToString(), name, payload, ct), ct);

    /// <summary>Purges an ended instance's state and history (audited first: a refused purge leaves no audit row).</summary>
    public async Task<PurgeResult> PurgeAsync(Caller caller, Guid id, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var owner = await OrchestrationStore.OwnerAsync(tx, id, forUpdate: true, ct) ?? throw DomainError.NotFound("orchestration");
            var instance = await client.GetInstanceAsync(id.ToString(), false, ct) ?? throw DomainError.NotFound("orchestration");
            var status = StatusName(instance.RuntimeStatus);
            if (!Ended.Contains(status)) throw DomainError.Conflict("orchestration_state", $"The orchestration is {status}: only an ended one (completed, failed, terminated) can be purged.");
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "orchestration.purged", "orchestration", id, new { status, job_status = owner.Status }, null, ct);
            await client.PurgeInstanceAsync(id.ToString(), cancellation: ct);
        }, ct);
        return new PurgeResult(1, 1, false, null);
    }

    /// <summary>
    /// Purges (or with <paramref name="dryRun"/> counts) the instances in <paramref name="statuses"/> (ended ones) of jobs
    /// created in [<paramref name="createdAfter"/>, <paramref name="createdBefore"/>), at most <see cref="MaxPurge"/>,
    /// oldest first after the job <paramref name="after"/>; the next call goes on after the last job looked at (next_cursor).
    /// </summary>
    public async Task<PurgeResult> PurgeManyAsync(Caller caller, string[] statuses, DateTimeOffset? createdAfter, DateTimeOffset? createdBefore, Guid after,
        bool dryRun, CancellationToken ct)
    {
        var owners = await db.InOrgAsync(caller.OrgId, tx => OrchestrationStore.PurgeCandidatesAsync(tx, createdBefore, createdAfter, after, MaxPurgeScan, ct), ct);
        var found = await LookupAsync(owners, false, ct);
        var matched = new List<Guid>();
        var last = (Guid?)null;
        foreach (var (owner, metadata) in owners.Zip(found))
        {
            if (matched.Count == MaxPurge) break;
            last = owner.Id;
            if (metadata is { } m && statuses.Contains(StatusName(m.RuntimeStatus))) matched.Add(owner.Id);
        }
        var next = owners.Count == MaxPurgeScan || last != owners.LastOrDefault()?.Id ? last?.ToString() : null;
        if (dryRun || matched.Count == 0) return new PurgeResult(matched.Count, 0, dryRun, next);
        // Audited before the task hub is touched: the row names every instance this request purges.
        await db.InOrgAsync(caller.OrgId, tx => AuditLog.RecordAsync(tx, Actor.Of(caller), "orchestrations.purged", "orchestration", null, null,
            new { statuses, CreatedAfter = createdAfter, CreatedBefore = createdBefore, instances = matched }, ct), ct);
        var purged = 0;
        foreach (var id in matched)
            purged += (await client.PurgeInstanceAsync(id.ToString(), cancellation: ct)).PurgedInstanceCount;
        return new PurgeResult(matched.Count, purged, false, next);
    }
}
