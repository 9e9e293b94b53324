using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using AgentOps.Platform.Database;

namespace AgentOps.Analytics.ClickHouse;

public enum ExportSource { Runs, Events }

/// <summary>Sync: straight into the table (visible when the insert returns). Async: into its Buffer table (visible within
/// <see cref="ClickHouseSchema.BufferMaxSeconds"/>; many small exports become few parts).</summary>
public enum InsertMode { Sync, Async }

/// <summary>One exported batch: the key to continue after, the rows written and their size as JSON before compression.</summary>
public sealed record ExportBatch(string? LastKey, int Rows, long Bytes);

/// <summary>
/// The Postgres → ClickHouse export activity (the jobs system calls it per shard and checkpoints LastKey). A batch is
/// one binary <c>COPY (keyset query) TO STDOUT</c> whose rows are rewritten as JSONEachRow straight from the wire bytes
/// (<see cref="BinaryCopyReader"/>) into the request body as it is sent: no row, string or value is ever materialized,
/// so the export costs little more than the COPY and the insert it connects.
/// </summary>
public sealed class ClickHouseExport(ClickHouseClient client)
{
    /// <summary>Largest batch one call exports (a 100k-row events batch is ~40 MB of JSON, ~4 MB gzipped).</summary>
    public const int MaxBatchSize = 100_000;

    /// <summary>JSON is handed to the gzip stream in chunks of this size (one write per chunk, not per row).</summary>
    private const int ChunkBytes = 64 * 1024;

    /// <summary>
    /// Reads up to batchSize rows of tx.OrgId's source with key (the text id) &gt; afterKey and &lt;= endKey (null = open),
    /// and (when changedAfter is set) changed in (changedAfter, changedUpTo] — events by stored_at, runs by updated_at —
    /// in key order (keyset, never OFFSET), writes them as JSONEachRow into ClickHouse (mode: direct table or its Buffer),
    /// returns the last key written, row count and uncompressed bytes. Rows == 0 means the range is exhausted (LastKey
    /// is then afterKey, so a checkpoint never moves back).
    /// </summary>
    /// <remarks>
    /// Safe to repeat: a retried insert re-reads the same rows (the writer runs once per attempt) and ClickHouse keeps
    /// one copy per (org_id, id) at the highest version. Without changedAfter, every row of the key range is exported,
    /// including rows changed after changedUpTo (the next incremental window exports them again, harmlessly).
    /// </remarks>
    public async Task<ExportBatch> ExportBatchAsync(Tx tx, ExportSource source, string? afterKey, string? endKey,
        DateTimeOffset? changedAfter, DateTimeOffset changedUpTo, int batchSize, InsertMode mode, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, MaxBatchSize);
        var copy = CopyCommand(source, tx.OrgId, afterKey, endKey, changedAfter, changedUpTo, batchSize);
        (string? LastKey, int Rows) written = default;
        var bytes = await client.InsertJsonEachRowAsync(ClickHouseSchema.Table(source, mode), async (body, token) =>
            written = await CopyAsJsonEachRowAsync(tx.Connection, copy, source, tx.OrgId, body, token), ct); // a retry starts over
        return written.Rows == 0 ? new ExportBatch(afterKey, 0, 0) : new ExportBatch(written.LastKey, written.Rows, bytes);
    }

    /// <summary>
    /// Runs a binary COPY made by <see cref="CopyCommand"/> on the connection (in its transaction, so under its
    /// organization's row-level security) and writes its rows to output as JSONEachRow, one line per row; returns the
    /// last row's key and the row count.
    /// </summary>
    public static async Task<(string? LastKey, int Rows)> CopyAsJsonEachRowAsync(NpgsqlConnection connection, string copyCommand,
        ExportSource source, Guid orgId, Stream output, CancellationToken ct)
    {
        var org = OrgId(orgId);
        var lastKey = new ArrayBufferWriter<byte>(64);
        var rows = 0;
        var buffer = new ArrayBufferWriter<byte>(ChunkBytes * 2);
        await using var json = new Utf8JsonWriter(buffer, JsonOptions);
        await using (var copy = await connection.BeginRawBinaryCopyAsync(copyCommand, ct))
        using (var reader = new BinaryCopyReader(copy))
        {
            while (await reader.ReadAsync(ct))
            {
                json.Reset();
                var row = reader.Current;
                var key = source == ExportSource.Runs ? WriteRun(json, ref row, org) : WriteEvent(json, ref row, org);
                json.Flush();
                buffer.Write("\n"u8);
                lastKey.ResetWrittenCount();
                lastKey.Write(key);
                rows++;
                if (buffer.WrittenCount >= ChunkBytes)
                {
                    await output.WriteAsync(buffer.WrittenMemory, ct);
                    buffer.ResetWrittenCount();
                }
            }
        }
        if (buffer.WrittenCount > 0) await output.WriteAsync(buffer.WrittenMemory, ct);
        return (rows == 0 ? null : Encoding.UTF8.GetString(lastKey.WrittenSpan), rows);
    }

    /// <summary>ClickHouse reads any valid JSON string, and this JSON never lands in HTML: escape only what JSON requires
    /// (the default encoder would also turn every non-ASCII character and &lt;&gt;&amp;' into \uXXXX).</summary>
    private static readonly JsonWriterOptions JsonOptions = new() { SkipValidation = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The keyset query with only the conditions in use, so Postgres plans each shape on its own (a walk of the
    /// primary key in id order, or the change-time index of migration 0009 when few rows changed).</summary>
    public static (string Sql, object[] Args) Select(ExportSource source, Guid orgId, string? afterKey, string? endKey,
        DateTimeOffset? changedAfter, DateTimeOffset changedUpTo, int batchSize)
    {
        var (columns, table, changedColumn) = source == ExportSource.Runs
            ? (RunColumns, "runs", "updated_at")
            : (EventColumns, "events", "stored_at");
        var args = new List<object> { orgId };
        var where = new List<string> { "org_id = $1" };
        if (afterKey is not null) { args.Add(afterKey); where.Add($"id > ${args.Count}"); }
        if (endKey is not null) { args.Add(endKey); where.Add($"id <= ${args.Count}"); }
        if (changedAfter is { } after)
        {
            args.Add(after);
            args.Add(changedUpTo);
            where.Add($"{changedColumn} > ${args.Count - 1} AND {changedColumn} <= ${args.Count}");
        }
        args.Add(batchSize);
        return ($"SELECT {columns} FROM {table} WHERE {string.Join(" AND ", where)} ORDER BY id LIMIT ${args.Count}", [.. args]);
    }

    /// <summary><see cref="Select"/> as a binary COPY. COPY takes no parameters, so the values are written in as
    /// literals (quoted by <see cref="Literal"/>; keys are client-chosen text).</summary>
    public static string CopyCommand(ExportSource source, Guid orgId, string? afterKey, string? endKey,
        DateTimeOffset? changedAfter, DateTimeOffset changedUpTo, int batchSize)
    {
        var (sql, args) = Select(source, orgId, afterKey, endKey, changedAfter, changedUpTo, batchSize);
        for (var i = args.Length; i >= 1; i--) sql = sql.Replace($"${i}", Literal(args[i - 1])); // $10 before $1
        return $"COPY ({sql}) TO STDOUT (FORMAT binary)";
    }

    /// <summary>A SQL literal for the values <see cref="Select"/> binds (standard_conforming_strings is on since
    /// Postgres 9.1: a backslash is an ordinary character, a quote is doubled).</summary>
    public static string Literal(object value) => value switch
    {
        string s => $"'{s.Replace("'", "''", StringComparison.Ordinal)}'",
        Guid g => $"'{g:D}'::uuid",
        DateTimeOffset t => $"'{t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)}'::timestamptz", // Postgres' microseconds
        int n => n.ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentException($"No literal for {value.GetType().Name}.", nameof(value)),
    };

    /// <summary>The columns a batch reads from the source, in the writer's order (the export bench COPYs the same).</summary>
    public static string Columns(ExportSource source) => source == ExportSource.Runs ? RunColumns : EventColumns;

    /// <summary>The organization id as the writers put it in every row (encoded once per batch).</summary>
    private static JsonEncodedText OrgId(Guid orgId) => JsonEncodedText.Encode(orgId.ToString("D"));

    // Read as binary, so each column's type is part of the contract with the writers below (BinaryRow checks widths).
    private const string RunColumns = "id, agent_id, status, started_at, end_ts, duration_ms, error, tags, environment, models, event_count, " +
        "llm_calls, tool_calls, error_count, tokens_in, tokens_out, tokens_cached, cost_micros, unpriced_calls, updated_at";

    private const string EventColumns = "id, run_id, agent_id, type, parent_id, name, ts, ended_at, duration_ms, status, model, provider, " +
        "tokens_in, tokens_out, tokens_cached, cost_micros, cost_source, tool_name, error, score, tags, environment, accepted_at, stored_at";

    /// <summary>Property names, encoded once (the writer copies them instead of escaping a string per row).</summary>
    private static class N
    {
        public static readonly JsonEncodedText OrgId = JsonEncodedText.Encode("org_id"), Id = JsonEncodedText.Encode("id"),
            AgentId = JsonEncodedText.Encode("agent_id"), RunId = JsonEncodedText.Encode("run_id"), Status = JsonEncodedText.Encode("status"),
            StartedAt = JsonEncodedText.Encode("started_at"), EndedAt = JsonEncodedText.Encode("ended_at"), DurationMs = JsonEncodedText.Encode("duration_ms"),
            Error = JsonEncodedText.Encode("error"), HasError = JsonEncodedText.Encode("has_error"), Tags = JsonEncodedText.Encode("tags"),
            Environment = JsonEncodedText.Encode("environment"), Models = JsonEncodedText.Encode("models"), EventCount = JsonEncodedText.Encode("event_count"),
            LlmCalls = JsonEncodedText.Encode("llm_calls"), ToolCalls = JsonEncodedText.Encode("tool_calls"), ErrorCount = JsonEncodedText.Encode("error_count"),
            TokensIn = JsonEncodedText.Encode("tokens_in"), TokensOut = JsonEncodedText.Encode("tokens_out"), TokensCached = JsonEncodedText.Encode("tokens_cached"),
            CostMicros = JsonEncodedText.Encode("cost_micros"), UnpricedCalls = JsonEncodedText.Encode("unpriced_calls"),
            UpdatedAt = JsonEncodedText.Encode("updated_at"), Version = JsonEncodedText.Encode("version"), Type = JsonEncodedText.Encode("type"),
            ParentId = JsonEncodedText.Encode("parent_id"), Name = JsonEncodedText.Encode("name"), Ts = JsonEncodedText.Encode("ts"),
            Model = JsonEncodedText.Encode("model"), Provider = JsonEncodedText.Encode("provider"), CostSource = JsonEncodedText.Encode("cost_source"),
            ToolName = JsonEncodedText.Encode("tool_name"), Score = JsonEncodedText.Encode("score"), AcceptedAt = JsonEncodedText.Encode("accepted_at"),
            StoredAt = JsonEncodedText.Encode("stored_at");
    }

    // HotPath: the per-row methods are compiled optimized at their first call instead of tiering up. An export is a
    // burst of millions of calls right after the first; on a busy 2-core machine tiering took seconds to catch up, and a
    // 2.2M-row export spent a fifth of the server's CPU in unoptimized and instrumented copies of them (perf, measured).
    // Their small helpers are inlined into them.

    // Defaults are left out of the row: JSONEachRow fills a missing field with its column's default — NULL for a
    // Nullable column, 0 for a number, [] for an array. Fewer bytes to write, send and parse.

    /// <summary>Writes the row (fields in <see cref="RunColumns"/> order) and returns its key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see HotPath
    private static ReadOnlySpan<byte> WriteRun(Utf8JsonWriter w, ref BinaryRow r, JsonEncodedText orgId)
    {
        r.Next(out var id);
        w.WriteStartObject();
        w.WriteString(N.OrgId, orgId);
        w.WriteString(N.Id, id);
        Uuid(w, N.AgentId, ref r);
        Text(w, N.Status, ref r);
        Time(w, N.StartedAt, ref r);
        Time(w, N.EndedAt, ref r);
        Long(w, N.DurationMs, ref r);
        if (Text(w, N.Error, ref r)) w.WriteNumber(N.HasError, 1);
        Strings(w, N.Tags, ref r);
        Text(w, N.Environment, ref r);
        Strings(w, N.Models, ref r);
        Count32(w, N.EventCount, ref r);
        Count32(w, N.LlmCalls, ref r);
        Count32(w, N.ToolCalls, ref r);
        Count32(w, N.ErrorCount, ref r);
        Count64(w, N.TokensIn, ref r);
        Count64(w, N.TokensOut, ref r);
        Count64(w, N.TokensCached, ref r);
        Count64(w, N.CostMicros, ref r);
        Count32(w, N.UnpricedCalls, ref r);
        ChangeTime(w, N.UpdatedAt, ref r);
        w.WriteEndObject();
        return id;
    }

    /// <summary>Writes the row (fields in <see cref="EventColumns"/> order) and returns its key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see HotPath
    private static ReadOnlySpan<byte> WriteEvent(Utf8JsonWriter w, ref BinaryRow r, JsonEncodedText orgId)
    {
        r.Next(out var id);
        w.WriteStartObject();
        w.WriteString(N.OrgId, orgId);
        w.WriteString(N.Id, id);
        Text(w, N.RunId, ref r);
        Uuid(w, N.AgentId, ref r);
        Text(w, N.Type, ref r);
        Text(w, N.ParentId, ref r);
        Text(w, N.Name, ref r);
        Time(w, N.Ts, ref r);
        Time(w, N.EndedAt, ref r);
        Long(w, N.DurationMs, ref r);
        Text(w, N.Status, ref r);
        Text(w, N.Model, ref r);
        Text(w, N.Provider, ref r);
        Long(w, N.TokensIn, ref r);
        Long(w, N.TokensOut, ref r);
        Long(w, N.TokensCached, ref r);
        Long(w, N.CostMicros, ref r);
        Text(w, N.CostSource, ref r);
        Text(w, N.ToolName, ref r);
        if (Text(w, N.Error, ref r)) w.WriteNumber(N.HasError, 1);
        if (r.Next(out var score) && BinaryRow.Float64(score) is var value && double.IsFinite(value)) w.WriteNumber(N.Score, value); // JSON has no NaN: left NULL
        Strings(w, N.Tags, ref r);
        Text(w, N.Environment, ref r);
        Time(w, N.AcceptedAt, ref r);
        ChangeTime(w, N.StoredAt, ref r);
        w.WriteEndObject();
        return id;
    }

    /// <summary>
    /// A time as DateTime('UTC') reads it: whole seconds since 1970 (cut, not rounded: what range filters on whole
    /// seconds agree with), as a JSON number — shorter to write and cheaper for ClickHouse to read than a date string.
    /// DateTime is a UInt32, so times outside 1970–2106 are clamped to its ends rather than wrapped.
    /// </summary>
    public static long UnixSeconds(long unixMicros) => Math.Clamp(Math.DivRem(unixMicros, 1_000_000, out var rest) - (rest < 0 ? 1 : 0), 0, uint.MaxValue);

    /// <summary>The change time (updated_at, stored_at) to the second, and in microseconds since 1970 as the row's
    /// version: Postgres' own resolution, so two changes of a row never share a version.</summary>
    private static void ChangeTime(Utf8JsonWriter w, JsonEncodedText name, ref BinaryRow r)
    {
        r.Next(out var value);
        var micros = BinaryRow.UnixMicros(value);
        w.WriteNumber(name, UnixSeconds(micros));
        w.WriteNumber(N.Version, micros);
    }

    private static void Time(Utf8JsonWriter w, JsonEncodedText name, ref BinaryRow r)
    {
        if (r.Next(out var value)) w.WriteNumber(name, UnixSeconds(BinaryRow.UnixMicros(value)));
    }

    /// <summary>A NOT NULL integer or bigint counter: left out when 0, its column's default.</summary>
    private static void Count32(Utf8JsonWriter w, JsonEncodedText name, ref BinaryRow r)
    {
        r.Next(out var value);
        if (BinaryRow.Int32(value) is var n and not 0) w.WriteNumber(name, n);
    }

    private static void Count64(Utf8JsonWriter w, JsonEncodedText name, ref BinaryRow r)
    {
        r.Next(out var value);
        if (BinaryRow.Int64(value) is var n and not 0) w.WriteNumber(name, n);
    }

    private static void Uuid(Utf8JsonWriter w, JsonEncodedText name, ref BinaryRow r)
    {
        if (r.Next(out var value)) w.WriteString(name, BinaryRow.Uuid(value));
    }

    private static void Long(Utf8JsonWriter w, JsonEncodedText name, ref BinaryRow r)
    {
        if (r.Next(out var value)) w.WriteNumber(name, BinaryRow.Int64(value));
    }

    /// <summary>Writes a text field unless NULL; true if it was written.</summary>
    private static bool Text(Utf8JsonWriter w, JsonEncodedText name, ref BinaryRow r)
    {
        if (!r.Next(out var value)) return false;
        w.WriteString(name, value);
        return true;
    }

    /// <summary>A text[] as a JSON array, left out when NULL or empty (the column's default is []); a NULL element is
    /// written "" (ClickHouse's Array(String) has no NULL).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see HotPath
    private static void Strings(Utf8JsonWriter w, JsonEncodedText name, ref BinaryRow r)
    {
        if (!r.Next(out var array)) return;
        var elements = BinaryRow.Elements(array);
        if (!elements.Next(out var element, out var isNull)) return;
        w.WriteStartArray(name);
        do w.WriteStringValue(isNull ? default : element);
        while (elements.Next(out element, out isNull));
        w.WriteEndArray();
    }
}
