using System.Buffers;
using System.Data;
using System.Text.Json;

namespace AgentOps.Analytics.ClickHouse;

public enum ExportSource { Runs, Events }

/// <summary>Sync: straight into the table (visible when the insert returns). Async: into its Buffer table (visible within
/// <see cref="ClickHouseSchema.BufferMaxSeconds"/>; many small exports become few parts).</summary>
public enum InsertMode { Sync, Async }

/// <summary>One exported batch: the key to continue after, the rows written and their size as JSON before compression.</summary>
public sealed record ExportBatch(string? LastKey, int Rows, long Bytes);

/// <summary>
/// The Postgres → ClickHouse export activity (the jobs system calls it per shard and checkpoints LastKey). Rows stream
/// from the Npgsql reader through a small JSON buffer into the gzip request body: a batch is never held as objects.
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
        var (sql, args) = Select(source, tx.OrgId, afterKey, endKey, changedAfter, changedUpTo, batchSize);
        var write = source == ExportSource.Runs ? (Func<Utf8JsonWriter, NpgsqlDataReader, Guid, string>)WriteRun : WriteEvent;

        string? lastKey = null;
        var rows = 0;
        var bytes = await client.InsertJsonEachRowAsync(ClickHouseSchema.Table(source, mode), async (body, token) =>
        {
            (lastKey, rows) = (null, 0); // a retry starts over
            await using var command = tx.Command(sql, args);
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, token);
            var buffer = new ArrayBufferWriter<byte>(ChunkBytes * 2);
            await using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
            while (await reader.ReadAsync(token))
            {
                json.Reset();
                lastKey = write(json, reader, tx.OrgId);
                json.Flush();
                buffer.Write("\n"u8);
                rows++;
                if (buffer.WrittenCount >= ChunkBytes)
                {
                    await body.WriteAsync(buffer.WrittenMemory, token);
                    buffer.ResetWrittenCount();
                }
            }
            if (buffer.WrittenCount > 0) await body.WriteAsync(buffer.WrittenMemory, token);
        }, ct);
        return rows == 0 ? new ExportBatch(afterKey, 0, 0) : new ExportBatch(lastKey, rows, bytes);
    }

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

    /// <summary>The columns a batch reads from the source, in the writer's order (the export bench COPYs the same).</summary>
    public static string Columns(ExportSource source) => source == ExportSource.Runs ? RunColumns : EventColumns;

    /// <summary>Writes the reader's current row (read with <see cref="Select"/>'s columns) as the export does; returns its key.</summary>
    public static string WriteRow(ExportSource source, Utf8JsonWriter w, NpgsqlDataReader r, Guid orgId) =>
        source == ExportSource.Runs ? WriteRun(w, r, orgId) : WriteEvent(w, r, orgId);

    private const string RunColumns = "id, agent_id, status, started_at, end_ts, duration_ms, error, tags, environment, models, event_count, " +
        "llm_calls, tool_calls, error_count, tokens_in, tokens_out, tokens_cached, cost_micros, unpriced_calls, updated_at";

    private const string EventColumns = "id, run_id, agent_id, type, parent_id, name, ts, ended_at, duration_ms, status, model, provider, " +
        "tokens_in, tokens_out, tokens_cached, cost_micros, cost_source, tool_name, error, score, tags, environment, accepted_at, stored_at";

    /// <summary>Writes the row (columns read in order: the reader is sequential) and returns its key.</summary>
    private static string WriteRun(Utf8JsonWriter w, NpgsqlDataReader r, Guid orgId)
    {
        var id = r.GetString(0);
        w.WriteStartObject();
        w.WriteString("org_id", orgId);
        w.WriteString("id", id);
        w.WriteString("agent_id", r.GetGuid(1));
        w.WriteString("status", r.GetString(2));
        Time(w, "started_at", r, 3);
        Time(w, "ended_at", r, 4);
        Long(w, "duration_ms", r, 5);
        var error = r.IsDBNull(6) ? null : r.GetString(6);
        w.WriteString("error", error);
        w.WriteNumber("has_error", error is null ? 0 : 1);
        Strings(w, "tags", r, 7);
        Text(w, "environment", r, 8);
        Strings(w, "models", r, 9);
        w.WriteNumber("event_count", r.GetInt32(10));
        w.WriteNumber("llm_calls", r.GetInt32(11));
        w.WriteNumber("tool_calls", r.GetInt32(12));
        w.WriteNumber("error_count", r.GetInt32(13));
        w.WriteNumber("tokens_in", r.GetInt64(14));
        w.WriteNumber("tokens_out", r.GetInt64(15));
        w.WriteNumber("tokens_cached", r.GetInt64(16));
        w.WriteNumber("cost_micros", r.GetInt64(17));
        w.WriteNumber("unpriced_calls", r.GetInt32(18));
        var updated = r.GetDateTime(19);
        w.WriteString("updated_at", Seconds(updated));
        w.WriteNumber("version", Micros(updated));
        w.WriteEndObject();
        return id;
    }

    /// <summary>Writes the row (columns read in order: the reader is sequential) and returns its key.</summary>
    private static string WriteEvent(Utf8JsonWriter w, NpgsqlDataReader r, Guid orgId)
    {
        var id = r.GetString(0);
        w.WriteStartObject();
        w.WriteString("org_id", orgId);
        w.WriteString("id", id);
        w.WriteString("run_id", r.GetString(1));
        w.WriteString("agent_id", r.GetGuid(2));
        w.WriteString("type", r.GetString(3));
        Text(w, "parent_id", r, 4);
        Text(w, "name", r, 5);
        Time(w, "ts", r, 6);
        Time(w, "ended_at", r, 7);
        Long(w, "duration_ms", r, 8);
        Text(w, "status", r, 9);
        Text(w, "model", r, 10);
        Text(w, "provider", r, 11);
        Long(w, "tokens_in", r, 12);
        Long(w, "tokens_out", r, 13);
        Long(w, "tokens_cached", r, 14);
        Long(w, "cost_micros", r, 15);
        Text(w, "cost_source", r, 16);
        Text(w, "tool_name", r, 17);
        var error = r.IsDBNull(18) ? null : r.GetString(18);
        w.WriteString("error", error);
        w.WriteNumber("has_error", error is null ? 0 : 1);
        var score = r.IsDBNull(19) ? (double?)null : r.GetDouble(19);
        if (score is { } finite && double.IsFinite(finite)) w.WriteNumber("score", finite); else w.WriteNull("score"); // JSON has no NaN
        Strings(w, "tags", r, 20);
        Text(w, "environment", r, 21);
        Time(w, "accepted_at", r, 22);
        var stored = r.GetDateTime(23);
        w.WriteString("stored_at", Seconds(stored));
        w.WriteNumber("version", Micros(stored));
        w.WriteEndObject();
        return id;
    }

    /// <summary>To the second, cut (not rounded): DateTime's resolution, and what range filters on whole seconds agree with.</summary>
    public static string Seconds(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Microseconds since 1970: Postgres' own resolution, so two changes of a row never share a version.</summary>
    public static long Micros(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    private static void Time(Utf8JsonWriter w, string name, NpgsqlDataReader r, int i)
    {
        if (r.IsDBNull(i)) w.WriteNull(name); else w.WriteString(name, Seconds(r.GetDateTime(i)));
    }

    private static void Long(Utf8JsonWriter w, string name, NpgsqlDataReader r, int i)
    {
        if (r.IsDBNull(i)) w.WriteNull(name); else w.WriteNumber(name, r.GetInt64(i));
    }

    private static void Text(Utf8JsonWriter w, string name, NpgsqlDataReader r, int i)
    {
        if (r.IsDBNull(i)) w.WriteNull(name); else w.WriteString(name, r.GetString(i));
    }

    private static void Strings(Utf8JsonWriter w, string name, NpgsqlDataReader r, int i)
    {
        w.WriteStartArray(name);
        if (!r.IsDBNull(i))
            foreach (var s in r.GetFieldValue<string?[]>(i)) w.WriteStringValue(s ?? "");
        w.WriteEndArray();
    }
}
