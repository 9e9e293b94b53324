using System.Text.Json;

namespace AgentOps.Jobs;

/// <summary>
/// The kinds the application ships. The kinds a host runs are the <see cref="IJobKind"/>s it registers
/// (<see cref="JobActivities.Kinds"/>): a job is created only for one of those, so a new kind is code, not a migration
/// (0012 dropped the database's frozen list and keeps only the shape of a name, <see cref="IsName"/>).
/// </summary>
public static partial class JobKinds
{
    public const string ClickHouseExport = "clickhouse_export";
    public const string Reindex = "reindex";
    public const string Custom = "custom";

    /// <summary>What a filter by kind says when the value cannot be a kind's name.</summary>
    public const string NameRule = "must be a job kind's name (a lower-case letter, then lower-case letters, digits or _; at most 63).";

    /// <summary>Whether a value has the shape of a kind's name (the jobs table checks the same). A filter needs no more: it may name a kind another host runs.</summary>
    public static bool IsName(string kind) => Name().IsMatch(kind);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z][a-z0-9_]{0,62}$")]
    private static partial System.Text.RegularExpressions.Regex Name();

    /// <summary>How people call the shipped kinds, and what each does (GET /jobs/kinds; the dashboard's job form).</summary>
    public static readonly IReadOnlyDictionary<string, (string Label, string Description)> Shipped = new Dictionary<string, (string, string)>
    {
        [Custom] = ("Custom activity", "Runs a C# activity registered in the host by name, sharded and checkpointed like any job."),
        [Reindex] = ("Reindex", "Recomputes the cost of stored events with the prices as they are now."),
        [ClickHouseExport] = ("ClickHouse export", "Copies new events to ClickHouse."),
    };

    /// <summary>
    /// Every kind a person can pick here: the ones this host runs, and the shipped ones it does not (with why), so a
    /// form can say what is missing instead of hiding it. Ordered shipped first, then by name.
    /// </summary>
    public static IReadOnlyList<JobKindView> Catalog(IEnumerable<string> running)
    {
        var runs = running.ToHashSet(StringComparer.Ordinal);
        return [.. Shipped.Keys.Union(runs).OrderBy(k => Shipped.ContainsKey(k) ? 0 : 1).ThenBy(k => k, StringComparer.Ordinal)
            .Select(k => new JobKindView(k, Shipped.TryGetValue(k, out var s) ? s.Label : k, Shipped.TryGetValue(k, out var d) ? d.Description : null,
                runs.Contains(k), runs.Contains(k) ? null : k == ClickHouseExport ? "Needs ClickHouse: set AGENTOPS_CLICKHOUSE_URL on the server." : "This host does not run it."))];
    }
}

/// <summary>A kind a job can be: its name, label, what it does, whether this host runs it (and if not, why).</summary>
public sealed record JobKindView(string Kind, string Label, string? Description, bool Available, string? UnavailableReason);

/// <summary>A job as stored.</summary>
public sealed record Job(Guid Id, string Kind, JsonElement Payload, string Status, int Priority, int BatchSize, int Parallelism, int MaxAttempts,
    bool DryRun, string InsertMode, DateTimeOffset ScheduledAt, Guid? ScheduleId, DateTimeOffset CreatedAt, DateTimeOffset? PlannedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, DateTimeOffset? CancelRequestedAt, DateTimeOffset? WindowFrom, DateTimeOffset? WindowTo,
    string? Error, JsonElement? Result)
{
    public const string Columns = """
        j.id, j.kind, j.payload::text, j.status, j.priority, j.batch_size, j.parallelism, j.max_attempts, j.dry_run, j.insert_mode, j.scheduled_at,
        j.schedule_id, j.created_at, j.planned_at, j.started_at, j.finished_at, j.cancel_requested_at, j.window_from, j.window_to, j.error, j.result::text
        """;

    public static Job Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), Parse(r.GetString(2)), r.GetString(3), r.GetInt32(4), r.GetInt32(5),
        r.GetInt32(6), r.GetInt32(7), r.GetBoolean(8), r.GetString(9), r.Time(10), r.NullableGuid(11), r.Time(12), r.NullableTime(13), r.NullableTime(14),
        r.NullableTime(15), r.NullableTime(16), r.NullableTime(17), r.NullableTime(18), r.NullableString(19), r.IsDBNull(20) ? null : Parse(r.GetString(20)));

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public bool Terminal => Status is "succeeded" or "failed" or "cancelled";
}

/// <summary>A shard as stored: a key range of one source and how far it got.</summary>
public sealed record Shard(int Idx, string Source, string? RangeAfter, string? RangeEnd, string Status, int Attempts, DateTimeOffset NextAttemptAt,
    string? CheckpointKey, long Rows, long Bytes, int Batches, JsonElement Data, string? LeaseOwner, DateTimeOffset? LeaseExpiresAt, string? LastError,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt)
{
    public const string Columns = """
        s.idx, s.source, s.range_after, s.range_end, s.status, s.attempts, s.next_attempt_at, s.checkpoint_key, s.rows, s.bytes, s.batches, s.data::text,
        s.lease_owner, s.lease_expires_at, s.last_error, s.started_at, s.finished_at
        """;

    public static Shard Read(NpgsqlDataReader r) => new(r.GetInt32(0), r.GetString(1), r.NullableString(2), r.NullableString(3), r.GetString(4), r.GetInt32(5),
        r.Time(6), r.NullableString(7), r.GetInt64(8), r.GetInt64(9), r.GetInt32(10), JsonDocument.Parse(r.GetString(11)).RootElement.Clone(),
        r.NullableString(12), r.NullableTime(13), r.NullableString(14), r.NullableTime(15), r.NullableTime(16));

    public KeyRange Range => new(RangeAfter, RangeEnd);
}

/// <summary>One source of a plan: its name, how many rows it has to do, and the quantile keys that cut it.</summary>
public sealed record SourcePlan(string Source, long Rows, IReadOnlyList<string?> Boundaries);

/// <summary>What one batch did: the last key done (null with Rows 0: the range is exhausted), counts, and counters to add up.</summary>
public sealed record BatchResult(string? LastKey, int Rows, long Bytes, IReadOnlyDictionary<string, long>? Counters = null);

/// <summary>
/// A kind of job: how it checks its payload, plans its sources, does one batch of a key range (in the transaction
/// that then records the checkpoint), and finishes. Batches must be idempotent: a batch may run again after a crash.
/// </summary>
public interface IJobKind
{
    string Kind { get; }
    void Validate(JsonElement payload, Validation v);
    Task<IReadOnlyList<SourcePlan>> PlanAsync(Tx tx, Job job, CancellationToken ct);
    Task<BatchResult> RunBatchAsync(Tx tx, Job job, Shard shard, string? after, CancellationToken ct);
    Task FinishAsync(Tx tx, Job job, bool succeeded, CancellationToken ct);
}

/// <summary>Thrown by a batch when the destination asks to slow down: the shard backs off without using up an attempt.</summary>
public sealed class JobBackpressureException(string message, Exception? inner = null) : Exception(message, inner);
