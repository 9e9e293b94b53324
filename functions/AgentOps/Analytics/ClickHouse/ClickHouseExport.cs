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
        var write = source == ExportSource.Runs ? (Func<Utf8JsonWriter, NpgsqlDataReader, JsonEncodedText, string>)WriteRun : WriteEvent;
        var org = OrgId(tx.OrgId);

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
                lastKey = write(json, reader, org);
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
    public static string WriteRow(ExportSource source, Utf8JsonWriter w, NpgsqlDataReader r, JsonEncodedText orgId) =>
        source == ExportSource.Runs ? WriteRun(w, r, orgId) : WriteEvent(w, r, orgId);

    /// <summary>The organization id as the writers put it in every row (encoded once per batch).</summary>
    public static JsonEncodedText OrgId(Guid orgId) => JsonEncodedText.Encode(orgId.ToString("D"));

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

    // NULLs are left out of the row: JSONEachRow fills a missing field with its column's default, NULL for every Nullable
    // column (the only ones that can be NULL). Fewer bytes to write, compress, send and parse.

    /// <summary>Writes the row (columns read in order: the reader is sequential) and returns its key.</summary>
    private static string WriteRun(Utf8JsonWriter w, NpgsqlDataReader r, JsonEncodedText orgId)
    {
        var id = r.GetString(0);
        w.WriteStartObject();
        w.WriteString(N.OrgId, orgId);
        w.WriteString(N.Id, id);
        w.WriteString(N.AgentId, r.GetGuid(1));
        w.WriteString(N.Status, r.GetString(2));
        Time(w, N.StartedAt, r, 3);
        Time(w, N.EndedAt, r, 4);
        Long(w, N.DurationMs, r, 5);
        var error = r.IsDBNull(6) ? null : r.GetString(6);
        if (error is not null) w.WriteString(N.Error, error);
        w.WriteNumber(N.HasError, error is null ? 0 : 1);
        Strings(w, N.Tags, r, 7);
        Text(w, N.Environment, r, 8);
        Strings(w, N.Models, r, 9);
        w.WriteNumber(N.EventCount, r.GetInt32(10));
        w.WriteNumber(N.LlmCalls, r.GetInt32(11));
        w.WriteNumber(N.ToolCalls, r.GetInt32(12));
        w.WriteNumber(N.ErrorCount, r.GetInt32(13));
        w.WriteNumber(N.TokensIn, r.GetInt64(14));
        w.WriteNumber(N.TokensOut, r.GetInt64(15));
        w.WriteNumber(N.TokensCached, r.GetInt64(16));
        w.WriteNumber(N.CostMicros, r.GetInt64(17));
        w.WriteNumber(N.UnpricedCalls, r.GetInt32(18));
        var updated = r.GetDateTime(19);
        WriteSeconds(w, N.UpdatedAt, updated);
        w.WriteNumber(N.Version, Micros(updated));
        w.WriteEndObject();
        return id;
    }

    /// <summary>Writes the row (columns read in order: the reader is sequential) and returns its key.</summary>
    private static string WriteEvent(Utf8JsonWriter w, NpgsqlDataReader r, JsonEncodedText orgId)
    {
        var id = r.GetString(0);
        w.WriteStartObject();
        w.WriteString(N.OrgId, orgId);
        w.WriteString(N.Id, id);
        w.WriteString(N.RunId, r.GetString(1));
        w.WriteString(N.AgentId, r.GetGuid(2));
        w.WriteString(N.Type, r.GetString(3));
        Text(w, N.ParentId, r, 4);
        Text(w, N.Name, r, 5);
        Time(w, N.Ts, r, 6);
        Time(w, N.EndedAt, r, 7);
        Long(w, N.DurationMs, r, 8);
        Text(w, N.Status, r, 9);
        Text(w, N.Model, r, 10);
        Text(w, N.Provider, r, 11);
        Long(w, N.TokensIn, r, 12);
        Long(w, N.TokensOut, r, 13);
        Long(w, N.TokensCached, r, 14);
        Long(w, N.CostMicros, r, 15);
        Text(w, N.CostSource, r, 16);
        Text(w, N.ToolName, r, 17);
        var error = r.IsDBNull(18) ? null : r.GetString(18);
        if (error is not null) w.WriteString(N.Error, error);
        w.WriteNumber(N.HasError, error is null ? 0 : 1);
        if (!r.IsDBNull(19) && r.GetDouble(19) is var score && double.IsFinite(score)) w.WriteNumber(N.Score, score); // JSON has no NaN: left NULL
        Strings(w, N.Tags, r, 20);
        Text(w, N.Environment, r, 21);
        Time(w, N.AcceptedAt, r, 22);
        var stored = r.GetDateTime(23);
        WriteSeconds(w, N.StoredAt, stored);
        w.WriteNumber(N.Version, Micros(stored));
        w.WriteEndObject();
        return id;
    }

    /// <summary>To the second, cut (not rounded): DateTime's resolution, and what range filters on whole seconds agree with.</summary>
    public static string Seconds(DateTime utc)
    {
        Span<byte> text = stackalloc byte[SecondsLength];
        FormatSeconds(utc, text);
        return System.Text.Encoding.ASCII.GetString(text);
    }

    private const int SecondsLength = 20; // yyyy-MM-ddTHH:mm:ssZ

    /// <summary><see cref="Seconds"/> into a span, without a format string or a string (once per time column of every row).</summary>
    private static void FormatSeconds(DateTime utc, Span<byte> s)
    {
        static void Two(Span<byte> s, int at, int v) { s[at] = (byte)('0' + v / 10); s[at + 1] = (byte)('0' + v % 10); }
        var (year, month, day) = utc;
        Two(s, 0, year / 100);
        Two(s, 2, year % 100);
        s[4] = (byte)'-';
        Two(s, 5, month);
        s[7] = (byte)'-';
        Two(s, 8, day);
        s[10] = (byte)'T';
        Two(s, 11, utc.Hour);
        s[13] = (byte)':';
        Two(s, 14, utc.Minute);
        s[16] = (byte)':';
        Two(s, 17, utc.Second);
        s[19] = (byte)'Z';
    }

    private static void WriteSeconds(Utf8JsonWriter w, JsonEncodedText name, DateTime utc)
    {
        Span<byte> text = stackalloc byte[SecondsLength];
        FormatSeconds(utc, text);
        w.WriteString(name, text);
    }

    /// <summary>Microseconds since 1970: Postgres' own resolution, so two changes of a row never share a version.</summary>
    public static long Micros(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    private static void Time(Utf8JsonWriter w, JsonEncodedText name, NpgsqlDataReader r, int i)
    {
        if (!r.IsDBNull(i)) WriteSeconds(w, name, r.GetDateTime(i));
    }

    private static void Long(Utf8JsonWriter w, JsonEncodedText name, NpgsqlDataReader r, int i)
    {
        if (!r.IsDBNull(i)) w.WriteNumber(name, r.GetInt64(i));
    }

    private static void Text(Utf8JsonWriter w, JsonEncodedText name, NpgsqlDataReader r, int i)
    {
        if (!r.IsDBNull(i)) w.WriteString(name, r.GetString(i));
    }

    private static void Strings(Utf8JsonWriter w, JsonEncodedText name, NpgsqlDataReader r, int i)
    {
        w.WriteStartArray(name);
        if (!r.IsDBNull(i))
            foreach (var s in r.GetFieldValue<string?[]>(i)) w.WriteStringValue(s ?? "");
        w.WriteEndArray();
    }
}
