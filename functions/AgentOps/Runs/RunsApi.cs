using System.Text;

namespace AgentOps.Runs;

/// <summary>Runs and their timelines over HTTP: binding, shape checks, cursors and answers; <see cref="RunService"/> reads them.</summary>
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

    /// <summary>Sort keys as the API names them.</summary>
    private static readonly Dictionary<string, RunSort> SortKeys = new()
    {
        ["started_at"] = RunSort.StartedAt,
        ["cost"] = RunSort.Cost,
        ["duration"] = RunSort.Duration,
    };

    public static async Task<Ok<RunsPage>> ListAsync(Caller caller, RunService runs, string? agent, string? status, DateTimeOffset? from, DateTimeOffset? to,
        decimal? min_cost_usd, string? model, string? tag, string? q, string? sort, string? order, int? limit, string? cursor, CancellationToken ct)
    {
        var v = new Validation();
        var take = limit ?? 50;
        if (take is < 1 or > 200) v.Add("limit", "must be from 1 to 200.");
        sort ??= "started_at";
        if (!SortKeys.TryGetValue(sort, out var sortKey)) v.Add("sort", "must be started_at, cost or duration.");
        order ??= "desc";
        if (order is not ("asc" or "desc")) v.Add("order", "must be asc or desc.");
        if (status is not null && status is not ("running" or "succeeded" or "failed" or "cancelled")) v.Add("status", "must be running, succeeded, failed or cancelled.");
        if (min_cost_usd is < 0 or > 1_000_000_000m) v.Add("min_cost_usd", "must be from 0 to 1,000,000,000.");
        if (q is { Length: > 200 }) v.Add("q", "must be at most 200 characters.");
        var after = cursor is null ? null : Cursor.Decode(cursor);
        if (cursor is not null && after is null) v.Add("cursor", "is not a cursor this API returned.");
        v.ThrowIfInvalid();

        var rows = await runs.PageAsync(caller.OrgId, new RunFilter(agent, status, from, to, min_cost_usd, model, tag, q), sortKey, order == "desc", after, take + 1, ct);
        string? next = null;
        if (rows.Count > take)
        {
            rows = rows[..take];
            var last = rows[^1];
            next = sortKey switch
            {
                RunSort.Cost => Cursor.Encode(new KeysetPosition(null, last.CostMicros, last.Id)),
                RunSort.Duration => Cursor.Encode(new KeysetPosition(null, last.DurationMs ?? -1, last.Id)),
                _ => Cursor.Encode(new KeysetPosition(last.StartedAt, null, last.Id)),
            };
        }
        return TypedResults.Ok(new RunsPage(rows, next));
    }

    public sealed record RunsPage(IReadOnlyList<RunView> Items, string? NextCursor);

    /// <summary>A keyset position as clients see it: opaque base64url of its sort key (a time or a number) and id.</summary>
    private static class Cursor
    {
        public static string Encode(KeysetPosition c)
        {
            var key = c.Time is { } t ? "t" + t.UtcTicks.ToString(System.Globalization.CultureInfo.InvariantCulture) : "n" + c.Number!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Convert.ToBase64String(Encoding.UTF8.GetBytes($"{key}|{c.Id}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        }

        public static KeysetPosition? Decode(string cursor)
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
                    't' when n is >= 0 and <= 3155378975999999999 => new KeysetPosition(new DateTimeOffset((long)n, TimeSpan.Zero), null, id),
                    'n' => new KeysetPosition(null, n, id),
                    _ => null,
                };
            }
            catch (FormatException) { return null; }
        }
    }

    /// <summary>A catch-all route value keeps "%2F" encoded; both spellings of a slash name the same run.</summary>
    private static string RunId(string routeValue) => routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    public static async Task<Ok<RunDetail>> GetAsync(string id, Caller caller, RunService runs, CancellationToken ct) =>
        TypedResults.Ok(await runs.GetAsync(caller.OrgId, RunId(id), ct));

    public sealed record EventsPage(IReadOnlyList<EventView> Items, string? NextCursor);

    public static async Task<Ok<EventsPage>> EventsAsync(string runId, Caller caller, RunService runs, int? limit, string? cursor, CancellationToken ct)
    {
        runId = RunId(runId);
        var take = limit ?? 500;
        var v = new Validation();
        if (take is < 1 or > 1000) v.Add("limit", "must be from 1 to 1000.");
        var after = cursor is null ? null : Cursor.Decode(cursor);
        if (cursor is not null && after?.Time is null) v.Add("cursor", "is not a cursor this API returned.");
        v.ThrowIfInvalid();
        var rows = await runs.EventsAsync(caller.OrgId, runId, after, take + 1, ct);
        string? next = null;
        if (rows.Count > take)
        {
            rows = rows[..take];
            next = Cursor.Encode(new KeysetPosition(rows[^1].Timestamp, null, rows[^1].Id));
        }
        return TypedResults.Ok(new EventsPage(rows, next));
    }

    public static async Task<ContentHttpResult> PayloadAsync(string day, string name, Caller caller, RunService runs, CancellationToken ct) =>
        TypedResults.Text(await runs.PayloadAsync(caller.OrgId, $"{day}/{name}", ct), "text/plain", Encoding.UTF8);
}
