using System.Text.Json;

namespace AgentOps.Jobs;

/// <summary>
/// A C# activity that a custom job runs by name: the plug-in point. Register one with
/// <c>services.AddSingleton&lt;ICustomJobActivity, MyActivity&gt;()</c>; a job {"kind": "custom", "payload": {"activity":
/// "my.name", ...}} then plans and runs it like any other kind (sharded, checkpointed, retried, cancellable).
/// </summary>
public interface ICustomJobActivity
{
    string Name { get; }
    string Description { get; }
    Task<IReadOnlyList<SourcePlan>> PlanAsync(Tx tx, Job job, CancellationToken ct);
    Task<BatchResult> RunBatchAsync(Tx tx, Job job, Shard shard, string? after, CancellationToken ct);
}

/// <summary>The custom kind: finds the named activity and delegates to it.</summary>
public sealed class CustomJobKind(IEnumerable<ICustomJobActivity> activities) : IJobKind
{
    private readonly Dictionary<string, ICustomJobActivity> _activities = activities.ToDictionary(a => a.Name, StringComparer.Ordinal);

    public string Kind => JobKinds.Custom;

    private ICustomJobActivity Of(Job job) => _activities[job.Payload.GetProperty("activity").GetString()!];

    public void Validate(JsonElement payload, Validation v)
    {
        var name = payload.TryGetProperty("activity", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
        if (name is null || !_activities.ContainsKey(name))
            v.Add("$.payload.activity", $"must name a registered activity: {string.Join(", ", _activities.Keys.Order(StringComparer.Ordinal))}.");
    }

    public Task<IReadOnlyList<SourcePlan>> PlanAsync(Tx tx, Job job, CancellationToken ct) => Of(job).PlanAsync(tx, job, ct);
    public Task<BatchResult> RunBatchAsync(Tx tx, Job job, Shard shard, string? after, CancellationToken ct) => Of(job).RunBatchAsync(tx, job, shard, after, ct);
    public Task FinishAsync(Tx tx, Job job, bool succeeded, CancellationToken ct) => Task.CompletedTask;
}

/// <summary>
/// The example activity: counts the organization's events by type (the job's result carries the counts). Payload
/// option fail_once_at_batch: N makes each shard fail once (while it has no error on record) after N batches — a drill
/// for checkpoint resume.
/// </summary>
public sealed class CountEventsByType : ICustomJobActivity
{
    public string Name => "events.count_by_type";
    public string Description => "Counts the organization's events per type.";

    public async Task<IReadOnlyList<SourcePlan>> PlanAsync(Tx tx, Job job, CancellationToken ct) =>
        [await KeyQuantiles.PlanAsync(tx, "events", "events", null, null, null, job, ct)];

    public async Task<BatchResult> RunBatchAsync(Tx tx, Job job, Shard shard, string? after, CancellationToken ct)
    {
        if (job.Payload.TryGetProperty("fail_once_at_batch", out var n) && n.TryGetInt32(out var at) && shard.LastError is null && shard.Batches == at)
            throw new InvalidOperationException($"Injected fault after {at} batch(es) (fail_once_at_batch).");
        var rows = await tx.ListAsync("""
            SELECT id, type FROM events WHERE org_id = $1 AND ($2::text IS NULL OR id > $2) AND ($3::text IS NULL OR id <= $3) ORDER BY id LIMIT $4
            """, r => (Id: r.GetString(0), Type: r.GetString(1)), ct, tx.OrgId, after, shard.RangeEnd, job.BatchSize);
        if (rows.Count == 0) return new BatchResult(null, 0, 0);
        var counts = rows.GroupBy(r => r.Type).ToDictionary(g => g.Key, g => (long)g.Count());
        return new BatchResult(rows[^1].Id, rows.Count, rows.Sum(r => (long)(r.Id.Length + r.Type.Length)), counts);
    }
}
