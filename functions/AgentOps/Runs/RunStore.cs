using System.Text.Json;

namespace AgentOps.Runs;

public sealed record RunView(string Id, Guid AgentId, string? AgentName, string? Name, string Status, DateTimeOffset StartedAt, DateTimeOffset? EndedAt,
    long? DurationMs, string? Input, string? Output, string? Error, string[] Tags, string? Environment, JsonElement? Metadata, int EventCount,
    int LlmCalls, int ToolCalls, int ErrorCount, long TokensIn, long TokensOut, long TokensCached, long CostMicros, decimal CostUsd,
    int UnpricedCalls, string[] Models, DateTimeOffset FirstEventAt, DateTimeOffset LastEventAt)
{
    public const string Select = """
        SELECT r.id, r.agent_id, a.name, r.name, r.status, r.started_at, r.end_ts, r.duration_ms, r.input, r.output, r.error, r.tags,
               r.environment, r.metadata::text, r.event_count, r.llm_calls, r.tool_calls, r.error_count, r.tokens_in, r.tokens_out,
               r.tokens_cached, r.cost_micros, r.unpriced_calls, r.models, r.first_event_at, r.last_event_at
        FROM runs r LEFT JOIN agents a ON a.id = r.agent_id
        """;

    /// <summary>The list leaves out inputs and outputs (up to 16 KiB each): the run itself has them.</summary>
    public static readonly string ListSelect = Select.Replace("r.input, r.output,", "NULL::text, NULL::text,", StringComparison.Ordinal);

    public static RunView Read(NpgsqlDataReader r) => new(r.GetString(0), r.GetGuid(1), r.NullableString(2), r.NullableString(3), r.GetString(4),
        r.Time(5), r.NullableTime(6), r.IsDBNull(7) ? null : r.GetInt64(7), r.NullableString(8), r.NullableString(9), r.NullableString(10),
        (string[])r[11], r.NullableString(12), RunStore.JsonOrNull(r.NullableString(13)), r.GetInt32(14), r.GetInt32(15), r.GetInt32(16), r.GetInt32(17),
        r.GetInt64(18), r.GetInt64(19), r.GetInt64(20), r.GetInt64(21), r.GetInt64(21) / 1_000_000m, r.GetInt32(22), (string[])r[23], r.Time(24), r.Time(25));
}

public sealed record EventView(string Id, string Type, string? ParentId, string? Name, DateTimeOffset Timestamp, DateTimeOffset? EndedAt, long? DurationMs,
    string? Status, string? Model, string? Provider, long? TokensIn, long? TokensOut, long? TokensCached, long? CostMicros, decimal? CostUsd,
    string? CostSource, string? ToolName, string? Input, string? Output, string? InputRef, string? OutputRef, string? Error, double? Score,
    JsonElement? Metadata)
{
    public const string Select = """
        SELECT id, type, parent_id, name, ts, ended_at, duration_ms, status, model, provider, tokens_in, tokens_out, tokens_cached, cost_micros,
               cost_source, tool_name, input, output, input_ref, output_ref, error, score, metadata::text
        FROM events
        """;

    public static EventView Read(NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.NullableString(2), r.NullableString(3), r.Time(4),
        r.NullableTime(5), Long(r, 6), r.NullableString(7), r.NullableString(8), r.NullableString(9), Long(r, 10), Long(r, 11), Long(r, 12),
        Long(r, 13), Long(r, 13) / 1_000_000m, r.NullableString(14), r.NullableString(15), r.NullableString(16), r.NullableString(17),
        r.NullableString(18), r.NullableString(19), r.NullableString(20), r.IsDBNull(21) ? null : r.GetDouble(21), RunStore.JsonOrNull(r.NullableString(22)));

    private static long? Long(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}

public sealed record TimelineEntry(EventView Event, int Depth, int Children, bool Orphaned);
public sealed record RunDetail(RunView Run, IReadOnlyList<TimelineEntry> Timeline, bool Truncated);

/// <summary>Which runs a list shows (null: any). Agent is an agent's id or name; Text is searched (case-insensitive substring) in the run's id, name, error, input, output and metadata.</summary>
public sealed record RunFilter(string? Agent, string? Status, DateTimeOffset? From, DateTimeOffset? To, decimal? MinCostUsd, string? Model, string? Tag, string? Text);

/// <summary>What a list of runs is sorted by (then by id, in the same direction).</summary>
public enum RunSort { StartedAt, Cost, Duration }

/// <summary>A keyset position: the last row's sort key (a time or a number) and id.</summary>
public sealed record KeysetPosition(DateTimeOffset? Time, decimal? Number, string Id);

/// <summary>
/// The SQL that reads runs and their events, in the caller's transaction and organization. Both are Ingest's rollup and
/// raw tables (one fold writes them); runs are shown with their agent's name.
/// </summary>
public static class RunStore
{
    internal static JsonElement? JsonOrNull(string? text) => text is null ? null : JsonDocument.Parse(text).RootElement.Clone();

    private static string Column(RunSort sort) => sort switch
    {
        RunSort.Cost => "r.cost_micros",
        RunSort.Duration => "coalesce(r.duration_ms, -1)",
        _ => "r.started_at",
    };

    /// <summary>
    /// One page after <paramref name="after"/> in the given order. A position holds a time for the started_at order and a
    /// number for the others; one of the wrong kind matches nothing.
    /// </summary>
    public static Task<List<RunView>> PageAsync(Tx tx, RunFilter filter, RunSort sort, bool descending, KeysetPosition? after, int take, CancellationToken ct)
    {
        var column = Column(sort);
        var order = descending ? "desc" : "asc";
        var cmp = descending ? "<" : ">";
        // Both cursor slots are always typed in the SQL; only the one matching the sort key can be set.
        var afterCondition = sort == RunSort.StartedAt
            ? $"($10::timestamptz IS NULL OR (r.started_at, r.id) {cmp} ($10::timestamptz, $12::text)) AND $11::numeric IS NULL"
            : $"($11::numeric IS NULL OR ({column}, r.id) {cmp} ($11::numeric, $12::text)) AND $10::timestamptz IS NULL";
        var sql = $"""
            {RunView.ListSelect}
            WHERE r.org_id = $1
              AND ($2::text IS NULL OR r.agent_id::text = $2 OR a.name = $2)
              AND ($3::text IS NULL OR r.status = $3)
              AND ($4::timestamptz IS NULL OR r.started_at >= $4)
              AND ($5::timestamptz IS NULL OR r.started_at < $5)
              AND ($6::bigint IS NULL OR r.cost_micros >= $6)
              AND ($7::text IS NULL OR $7 = ANY(r.models))
              AND ($8::text IS NULL OR $8 = ANY(r.tags))
              AND ($9::text IS NULL OR r.id ILIKE $9 OR r.name ILIKE $9 OR r.error ILIKE $9
                   OR r.input ILIKE $9 OR r.output ILIKE $9 OR r.metadata::text ILIKE $9)
              AND {afterCondition}
            ORDER BY {column} {order}, r.id {order}
            LIMIT $13
            """;
        var minCost = filter.MinCostUsd is { } usd ? (long?)Math.Round(usd * 1_000_000m) : null;
        var q = filter.Text;
        var pattern = q is null ? null : "%" + q.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%";
        return tx.ListAsync(sql, RunView.Read, ct, tx.OrgId, filter.Agent, filter.Status, filter.From, filter.To, minCost,
            filter.Model?.ToLowerInvariant(), filter.Tag, pattern, after?.Time, after?.Number, after?.Id, take);
    }

    public static Task<RunView?> ReadAsync(Tx tx, string id, CancellationToken ct) =>
        tx.SingleAsync($"{RunView.Select} WHERE r.org_id = $1 AND r.id = $2", RunView.Read, ct, tx.OrgId, id);

    public static async Task<bool> ExistsAsync(Tx tx, string id, CancellationToken ct) =>
        await tx.ScalarAsync<string>("SELECT id FROM runs WHERE org_id = $1 AND id = $2", ct, tx.OrgId, id) is not null;

    /// <summary>A run's first events in time order (then by id).</summary>
    public static Task<List<EventView>> FirstEventsAsync(Tx tx, string runId, int take, CancellationToken ct) =>
        tx.ListAsync($"{EventView.Select} WHERE org_id = $1 AND run_id = $2 ORDER BY ts, id LIMIT $3", EventView.Read, ct, tx.OrgId, runId, take);

    /// <summary>A run's events in time order (then by id) after <paramref name="after"/> (its time and id).</summary>
    public static Task<List<EventView>> EventsAsync(Tx tx, string runId, KeysetPosition? after, int take, CancellationToken ct) =>
        tx.ListAsync($"""
            {EventView.Select} WHERE org_id = $1 AND run_id = $2
              AND ($3::timestamptz IS NULL OR (ts, id) > ($3::timestamptz, $4::text))
            ORDER BY ts, id LIMIT $5
            """, EventView.Read, ct, tx.OrgId, runId, after?.Time, after?.Id, take);
}
