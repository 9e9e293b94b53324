using System.Text;
using System.Text.Json;
using AgentOps.Blobs;

namespace AgentOps.Runs;

/// <summary>Runs and their timelines: what agents did, in order, with cost.</summary>
public static class RunsApi
{
    public static void MapRunsApi(this RouteGroupBuilder api)
    {
        var runs = api.MapGroup("/runs").WithTags("Runs");
        runs.MapGet("/", ListAsync).Requires(Permission.RunsRead).WithName("listRuns").WithSummary("Runs, filtered and sorted, cursor-paginated");
        // Catch-all: client run ids may contain "/".
        runs.MapGet("/{**id}", GetAsync).Requires(Permission.RunsRead).WithName("getRun").WithSummary("A run with its ordered span tree and events");
        api.MapGet("/events/{**runId}", EventsAsync).Requires(Permission.RunsRead).WithName("listRunEvents").WithTags("Runs").WithSummary("A run's events in time order");
        api.MapGet("/payloads/{day}/{name}", PayloadAsync).Requires(Permission.RunsRead).WithName("getPayload").Produces<string>(StatusCodes.Status200OK, "text/plain").WithTags("Runs").WithSummary("A large input or output kept in the blob store");
    }

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
            (string[])r[11], r.NullableString(12), JsonOrNull(r.NullableString(13)), r.GetInt32(14), r.GetInt32(15), r.GetInt32(16), r.GetInt32(17),
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
            r.NullableString(18), r.NullableString(19), r.NullableString(20), r.IsDBNull(21) ? null : r.GetDouble(21), JsonOrNull(r.NullableString(22)));
    }

    public sealed record TimelineEntry(EventView Event, int Depth, int Children, bool Orphaned);
    public sealed record RunDetail(RunView Run, IReadOnlyList<TimelineEntry> Timeline, bool Truncated);

    /// <summary>The most events a timeline shows; the events endpoint pages through the rest.</summary>
    public const int MaxTimelineEvents = 5000;

    private static long? Long(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
    private static JsonElement? JsonOrNull(string? text) => text is null ? null : JsonDocument.Parse(text).RootElement.Clone();

    /// <summary>Sort keys: each a column and how a cursor value is read back.</summary>
    private static readonly Dictionary<string, string> SortColumns = new()
    {
        ["started_at"] = "r.started_at",
        ["cost"] = "r.cost_micros",
        ["duration"] = "coalesce(r.duration_ms, -1)",
    };

    public static async Task<Ok<RunsPage>> ListAsync(Caller caller, Db db, string? agent, string? status, DateTimeOffset? from, DateTimeOffset? to,
        decimal? min_cost_usd, string? model, string? tag, string? q, string? sort, string? order, int? limit, string? cursor, CancellationToken ct)
    {
        var v = new Validation();
        var take = limit ?? 50;
        if (take is < 1 or > 200) v.Add("limit", "must be from 1 to 200.");
        sort ??= "started_at";
        if (!SortColumns.TryGetValue(sort, out var column)) v.Add("sort", "must be started_at, cost or duration.");
        order ??= "desc";
        if (order is not ("asc" or "desc")) v.Add("order", "must be asc or desc.");
        if (status is not null && status is not ("running" or "succeeded" or "failed" or "cancelled")) v.Add("status", "must be running, succeeded, failed or cancelled.");
        if (min_cost_usd is < 0 or > 1_000_000_000m) v.Add("min_cost_usd", "must be from 0 to 1,000,000,000.");
        if (q is { Length: > 200 }) v.Add("q", "must be at most 200 characters.");
        var after = cursor is null ? null : Cursor.Decode(cursor);
        if (cursor is not null && after is null) v.Add("cursor", "is not a cursor this API returned.");
        v.ThrowIfInvalid();

        var cmp = order == "desc" ? "<" : ">";
        // Both cursor slots are always typed in the SQL; only the one matching the sort key can be set.
        var afterCondition = sort == "started_at"
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
              AND ($9::text IS NULL OR r.name ILIKE $9 OR r.error ILIKE $9)
              AND {afterCondition}
            ORDER BY {column} {order}, r.id {order}
            LIMIT $13
            """;
        var minCost = min_cost_usd is { } usd ? (long?)Math.Round(usd * 1_000_000m) : null;
        var pattern = q is null ? null : "%" + q.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%";
        var rows = await db.InOrgAsync(caller.OrgId, tx => tx.ListAsync(sql, RunView.Read, ct, caller.OrgId, agent, status, from, to, minCost,
            model?.ToLowerInvariant(), tag, pattern, after?.Time, after?.Number, after?.Id, take + 1), ct);
        string? next = null;
        if (rows.Count > take)
        {
            rows = rows[..take];
            var last = rows[^1];
            next = sort switch
            {
                "cost" => Cursor.Encode(new Cursor(null, last.CostMicros, last.Id)),
                "duration" => Cursor.Encode(new Cursor(null, last.DurationMs ?? -1, last.Id)),
                _ => Cursor.Encode(new Cursor(last.StartedAt, null, last.Id)),
            };
        }
        return TypedResults.Ok(new RunsPage(rows, next));
    }

    public sealed record RunsPage(IReadOnlyList<RunView> Items, string? NextCursor);

    /// <summary>A keyset position: the last row's sort key (a time or a number) and id. Opaque base64url to clients.</summary>
    private sealed record Cursor(DateTimeOffset? Time, decimal? Number, string Id)
    {
        public static string Encode(Cursor c)
        {
            var key = c.Time is { } t ? "t" + t.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture) : "n" + c.Number!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Convert.ToBase64String(Encoding.UTF8.GetBytes($"{key}|{c.Id}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        }

        public static Cursor? Decode(string cursor)
        {
            try
            {
                var padded = cursor.Replace('-', '+').Replace('_', '/');
                var text = Encoding.UTF8.GetString(Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4)));
                var bar = text.IndexOf('|', StringComparison.Ordinal);
                if (bar < 2 || !decimal.TryParse(text[1..bar], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n)) return null;
                var id = text[(bar + 1)..];
                return text[0] switch
                {
                    't' when n is >= 0 and <= 3155378975999999999 => new Cursor(new DateTimeOffset((long)n, TimeSpan.Zero), null, id),
                    'n' => new Cursor(null, n, id),
                    _ => null,
                };
            }
            catch (FormatException) { return null; }
        }
    }

    /// <summary>A catch-all route value keeps "%2F" encoded; both spellings of a slash name the same run.</summary>
    private static string RunId(string routeValue) => routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    public static async Task<Ok<RunDetail>> GetAsync(string id, Caller caller, Db db, CancellationToken ct)
    {
        id = RunId(id);
        var (run, events) = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var run = await tx.SingleAsync($"{RunView.Select} WHERE r.org_id = $1 AND r.id = $2", RunView.Read, ct, caller.OrgId, id) ?? throw ApiProblem.NotFound("run");
            var events = await tx.ListAsync($"{EventView.Select} WHERE org_id = $1 AND run_id = $2 ORDER BY ts, id LIMIT $3", EventView.Read, ct, caller.OrgId, id, MaxTimelineEvents + 1);
            return (run, events);
        }, ct);
        var truncated = events.Count > MaxTimelineEvents;
        if (truncated) events = events[..MaxTimelineEvents];
        var timeline = Timeline.Build(events, e => e.Id, e => e.ParentId, e => e.Timestamp)
            .Select(n => new TimelineEntry(n.Event, n.Depth, n.Children, n.Orphaned)).ToList();
        return TypedResults.Ok(new RunDetail(run, timeline, truncated));
    }

    public sealed record EventsPage(IReadOnlyList<EventView> Items, string? NextCursor);

    public static async Task<Ok<EventsPage>> EventsAsync(string runId, Caller caller, Db db, int? limit, string? cursor, CancellationToken ct)
    {
        runId = RunId(runId);
        var take = limit ?? 500;
        var v = new Validation();
        if (take is < 1 or > 1000) v.Add("limit", "must be from 1 to 1000.");
        var after = cursor is null ? null : Cursor.Decode(cursor);
        if (cursor is not null && after?.Time is null) v.Add("cursor", "is not a cursor this API returned.");
        v.ThrowIfInvalid();
        var rows = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            if (await tx.ScalarAsync<string>("SELECT id FROM runs WHERE org_id = $1 AND id = $2", ct, caller.OrgId, runId) is null) throw ApiProblem.NotFound("run");
            return await tx.ListAsync($"""
                {EventView.Select} WHERE org_id = $1 AND run_id = $2
                  AND ($3::timestamptz IS NULL OR (ts, id) > ($3::timestamptz, $4::text))
                ORDER BY ts, id LIMIT $5
                """, EventView.Read, ct, caller.OrgId, runId, after?.Time, after?.Id, take + 1);
        }, ct);
        string? next = null;
        if (rows.Count > take)
        {
            rows = rows[..take];
            next = Cursor.Encode(new Cursor(rows[^1].Timestamp, null, rows[^1].Id));
        }
        return TypedResults.Ok(new EventsPage(rows, next));
    }

    public static async Task<ContentHttpResult> PayloadAsync(string day, string name, Caller caller, IBlobStore blobs, CancellationToken ct) =>
        await blobs.GetAsync(caller.OrgId, $"{day}/{name}", ct) is { } text
            ? TypedResults.Text(text, "text/plain", Encoding.UTF8)
            : throw ApiProblem.NotFound("payload");
}
