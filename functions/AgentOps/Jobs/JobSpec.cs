using System.Text.Json;

namespace AgentOps.Jobs;

/// <summary>What a job runs and how (a request checked, or a schedule's template): the kind, its payload and the knobs.</summary>
public sealed record JobSpec(string Kind, JsonElement Payload, int BatchSize, int Parallelism, int Priority, DateTimeOffset? ScheduledAt, bool DryRun,
    string InsertMode, int MaxAttempts)
{
    public const int DefaultBatchSize = 50_000;
    public const int DefaultParallelism = 8;
    public const int DefaultPriority = 0;
    public const int DefaultMaxAttempts = 5;
    public const string DefaultInsertMode = "sync";
    public const int MaxBatchSize = 1_000_000;
    public const int MaxParallelism = 64;
    public const int MinPriority = -100, MaxPriority = 100;
    public const int MaxMaxAttempts = 20;

    /// <summary>A job's payload, at most (it travels with every shard's activity input).</summary>
    public const int MaxPayloadChars = 16 * 1024;

    /// <summary>
    /// Checks a job's fields, adding every fault to <paramref name="v"/> and refusing once (the caller may have added
    /// its own first). The kinds are the registered IJobKinds, not a list in the database: a new kind needs no migration.
    /// </summary>
    public static JobSpec Check(Validation v, JobActivities activities, string? kind, JsonElement? payload, int? batchSize, int? parallelism, int? priority,
        DateTimeOffset? scheduledAt, bool? dryRun, string? insertMode, int? maxAttempts)
    {
        if (kind is null || !activities.Supports(kind)) v.Add("$.kind", kind == JobKinds.ClickHouseExport
            ? "needs ClickHouse: set AGENTOPS_CLICKHOUSE_URL (docs/configuration.md)."
            : $"must be one of the job kinds this host runs: {string.Join(", ", activities.Kinds.Order(StringComparer.Ordinal))}.");
        var body = payload ?? JsonDocument.Parse("{}").RootElement;
        if (body.ValueKind != JsonValueKind.Object) v.Add("$.payload", "must be a JSON object.");
        else if (body.GetRawText().Length > MaxPayloadChars) v.Add("$.payload", "must be at most 16 KiB.");
        else if (kind is not null && activities.Supports(kind)) activities.KindOf(kind).Validate(body, v);
        if (batchSize is < 1 or > MaxBatchSize) v.Add("$.batch_size", $"must be from 1 to {MaxBatchSize}.");
        if (parallelism is < 1 or > MaxParallelism) v.Add("$.parallelism", $"must be from 1 to {MaxParallelism}.");
        if (priority is < MinPriority or > MaxPriority) v.Add("$.priority", $"must be from {MinPriority} to {MaxPriority} (higher first).");
        if (maxAttempts is < 1 or > MaxMaxAttempts) v.Add("$.max_attempts", $"must be from 1 to {MaxMaxAttempts}.");
        if (insertMode is not (null or "sync" or "async")) v.Add("$.insert_mode", "must be sync or async.");
        if (scheduledAt is { } at && at > DateTimeOffset.UtcNow.AddYears(1)) v.Add("$.scheduled_at", "must be within a year.");
        v.ThrowIfInvalid();
        return new JobSpec(kind!, body.Clone(), batchSize ?? DefaultBatchSize, parallelism ?? DefaultParallelism, priority ?? DefaultPriority, scheduledAt,
            dryRun ?? false, insertMode ?? DefaultInsertMode, maxAttempts ?? DefaultMaxAttempts);
    }

    /// <summary>The job a schedule starts: its template, due now.</summary>
    public static JobSpec Of(JobSchedule s) => new(s.Kind, s.Payload, s.BatchSize, s.Parallelism, s.Priority, null, false, s.InsertMode, s.MaxAttempts);
}
