namespace AgentOps.Analytics.ClickHouse;

/// <summary>
/// The analytics tables in ClickHouse: copies of the Postgres columns that analytics read (never inputs, outputs or
/// metadata). Each is a ReplacingMergeTree keyed by (org_id, id) with a version, so exporting a row again — a retried
/// insert, an overlapping export window — replaces it instead of counting it twice; exact queries read with FINAL.
/// A Buffer table in front of each takes the async insert mode (18.16 has no async_insert). Applied with
/// <c>CREATE ... IF NOT EXISTS</c> at start-up when ClickHouse is configured, and by the tests. docs/analytics.md
/// documents every column.
/// </summary>
public static class ClickHouseSchema
{
    public const string Runs = "runs";
    public const string Events = "events";
    public const string RunsBuffer = "runs_buffer";
    public const string EventsBuffer = "events_buffer";

    /// <summary>
    /// Buffer thresholds: a buffer layer is flushed when ALL minimums are reached or ANY maximum is. So rows reach the
    /// table at most <see cref="BufferMaxSeconds"/> after they were written, and at least <see cref="BufferMinSeconds"/>
    /// worth of inserts go together into one part (fewer parts, fewer merges, no "too many parts").
    /// </summary>
    public const int BufferLayers = 16;
    public const int BufferMinSeconds = 1;
    public const int BufferMaxSeconds = 10;
    public const int BufferMinRows = 10_000;
    public const int BufferMaxRows = 1_000_000;
    public const int BufferMinBytes = 10_000_000;
    public const int BufferMaxBytes = 100_000_000;

    public static string Table(ExportSource source, InsertMode mode) => (source, mode) switch
    {
        (ExportSource.Runs, InsertMode.Sync) => Runs,
        (ExportSource.Runs, InsertMode.Async) => RunsBuffer,
        (ExportSource.Events, InsertMode.Sync) => Events,
        _ => EventsBuffer,
    };

    // Times are DateTime('UTC') (seconds: 18.16 has no DateTime64); money is Int64 micro-dollars; version is the
    // Postgres change time in microseconds (updated_at for runs, stored_at for events), so the latest copy wins.
    private const string RunsColumns = """
        org_id          UUID,
        id              String,
        agent_id        UUID,
        status          String,
        started_at      DateTime('UTC'),
        ended_at        Nullable(DateTime('UTC')),
        duration_ms     Nullable(Int64),
        error           Nullable(String),
        has_error       UInt8,
        tags            Array(String),
        environment     Nullable(String),
        models          Array(String),
        event_count     Int64,
        llm_calls       Int64,
        tool_calls      Int64,
        error_count     Int64,
        tokens_in       Int64,
        tokens_out      Int64,
        tokens_cached   Int64,
        cost_micros     Int64,
        unpriced_calls  Int64,
        updated_at      DateTime('UTC'),
        version         UInt64
        """;

    private const string EventsColumns = """
        org_id          UUID,
        id              String,
        run_id          String,
        agent_id        UUID,
        type            String,
        parent_id       Nullable(String),
        name            Nullable(String),
        ts              DateTime('UTC'),
        ended_at        Nullable(DateTime('UTC')),
        duration_ms     Nullable(Int64),
        status          Nullable(String),
        model           Nullable(String),
        provider        Nullable(String),
        tokens_in       Nullable(Int64),
        tokens_out      Nullable(Int64),
        tokens_cached   Nullable(Int64),
        cost_micros     Nullable(Int64),
        cost_source     Nullable(String),
        tool_name       Nullable(String),
        error           Nullable(String),
        has_error       UInt8,
        score           Nullable(Float64),
        tags            Array(String),
        environment     Nullable(String),
        accepted_at     DateTime('UTC'),
        stored_at       DateTime('UTC'),
        version         UInt64
        """;

    /// <summary>
    /// Rows are replaced only within a partition, so the partition key must never change for a row. An event's ts never
    /// does (events are immutable): events are partitioned by month. A run's started_at can move (a run.start that
    /// arrives late with an earlier time), possibly into another month, which would leave two copies in two partitions:
    /// runs (a tenth of the events) are not partitioned.
    /// </summary>
    public static IReadOnlyList<string> Statements(string database)
    {
        var db = ClickHouseSql.Name(database);
        var buffer = $"{BufferLayers}, {BufferMinSeconds}, {BufferMaxSeconds}, {BufferMinRows}, {BufferMaxRows}, {BufferMinBytes}, {BufferMaxBytes}";
        return
        [
            $"CREATE DATABASE IF NOT EXISTS {db}",
            $"""
            CREATE TABLE IF NOT EXISTS {db}.{Runs} (
            {RunsColumns}
            ) ENGINE = ReplacingMergeTree(version) ORDER BY (org_id, id)
            """,
            $"""
            CREATE TABLE IF NOT EXISTS {db}.{Events} (
            {EventsColumns}
            ) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(ts) ORDER BY (org_id, id)
            """,
            $"CREATE TABLE IF NOT EXISTS {db}.{RunsBuffer} AS {db}.{Runs} ENGINE = Buffer({db}, {Runs}, {buffer})",
            $"CREATE TABLE IF NOT EXISTS {db}.{EventsBuffer} AS {db}.{Events} ENGINE = Buffer({db}, {Events}, {buffer})",
        ];
    }

    public static async Task EnsureAsync(ClickHouseClient client, CancellationToken ct)
    {
        // The database may not exist yet: these run in "default".
        var inDefault = new Dictionary<string, string> { ["database"] = "default" };
        foreach (var statement in Statements(client.Database)) await client.ExecuteAsync(statement, ct, inDefault);
    }
}
