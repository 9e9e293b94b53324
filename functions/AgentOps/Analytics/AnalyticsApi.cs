namespace AgentOps.Analytics;

/// <summary>
/// The dashboard's aggregates over a time range: /analytics/summary (the home page), /analytics/timeseries (runs and
/// cost per bucket by agent, status or model, optionally of one agent), /analytics/latency (duration percentiles per
/// bucket, optionally of one agent) and /analytics/top-agents. Answered by ClickHouse when configured, else
/// by Postgres (the response says which). Ranges are [from, to) in UTC, cut to whole seconds; the default is the
/// last 24 hours, bucketed by hour (by day beyond 2 days). Binding and checks here; <see cref="AnalyticsService"/> answers.
/// </summary>
public static class AnalyticsApi
{
    public static void MapAnalyticsApi(this RouteGroupBuilder api)
    {
        var analytics = api.MapGroup("/analytics").WithTags("Analytics");
        analytics.MapGet("/summary", SummaryAsync).Requires(Permission.RunsRead).WithName("getAnalyticsSummary").WithSummary("Totals, error rate, latency percentiles, runs and cost over time, top agents");
        analytics.MapGet("/timeseries", TimeseriesAsync).Requires(Permission.RunsRead).WithName("getAnalyticsTimeseries").WithSummary("Runs and cost per hour or day, by agent, status or model");
        analytics.MapGet("/latency", LatencyAsync).Requires(Permission.RunsRead).WithName("getAnalyticsLatency").WithSummary("p50, p95 and p99 run duration per hour or day");
        analytics.MapGet("/top-agents", TopAgentsAsync).Requires(Permission.RunsRead).WithName("getTopAgents").WithSummary("Agents ranked by cost or runs");
    }

    public static readonly TimeSpan DefaultRange = TimeSpan.FromHours(24);
    /// <summary>Ranges up to this long default to hourly buckets.</summary>
    public static readonly TimeSpan HourlyUpTo = TimeSpan.FromDays(2);

    public static async Task<Ok<AnalyticsSummaryResponse>> SummaryAsync(Caller caller, AnalyticsService analytics, TimeProvider clock, DateTimeOffset? from,
        DateTimeOffset? to, string? bucket, CancellationToken ct)
    {
        var v = new Validation();
        var (range, b) = Parse(v, clock, from, to, bucket);
        v.ThrowIfInvalid();
        return TypedResults.Ok(await analytics.SummaryAsync(caller.OrgId, range, b, ct));
    }

    public static async Task<Ok<TimeseriesResponse>> TimeseriesAsync(Caller caller, AnalyticsService analytics, TimeProvider clock, DateTimeOffset? from,
        DateTimeOffset? to, string? bucket, string? by, string? agent, CancellationToken ct)
    {
        var v = new Validation();
        var (range, b) = Parse(v, clock, from, to, bucket);
        SeriesBy? series = (by ?? "none") switch { "none" => SeriesBy.None, "agent" => SeriesBy.Agent, "status" => SeriesBy.Status, "model" => SeriesBy.Model, _ => null };
        if (series is null) v.Add("by", "must be none, agent, status or model.");
        var agentId = AgentId(v, agent);
        v.ThrowIfInvalid();
        return TypedResults.Ok(await analytics.TimeseriesAsync(caller.OrgId, range, b, series!.Value, agentId, ct));
    }

    /// <summary>Buckets without an ended run are left out (no latency is not a latency of 0).</summary>
    public static async Task<Ok<LatencySeriesResponse>> LatencyAsync(Caller caller, AnalyticsService analytics, TimeProvider clock, DateTimeOffset? from,
        DateTimeOffset? to, string? bucket, string? agent, CancellationToken ct)
    {
        var v = new Validation();
        var (range, b) = Parse(v, clock, from, to, bucket);
        var agentId = AgentId(v, agent);
        v.ThrowIfInvalid();
        return TypedResults.Ok(await analytics.LatencyAsync(caller.OrgId, range, b, agentId, ct));
    }

    /// <summary>
    /// The agent a series is narrowed to: its id. An id of no agent of the organization gives empty series, as an agent
    /// without runs does (whether another organization has it is not told).
    /// </summary>
    private static Guid? AgentId(Validation v, string? agent)
    {
        if (agent is null) return null;
        if (Guid.TryParseExact(agent, "D", out var id)) return id;
        v.Add("agent", "must be an agent id (a UUID such as 0b5f4c1e-8d2a-4f6b-9c3d-2e1f0a9b8c7d).");
        return null;
    }

    public static async Task<Ok<TopAgentsResponse>> TopAgentsAsync(Caller caller, AnalyticsService analytics, TimeProvider clock, DateTimeOffset? from,
        DateTimeOffset? to, string? by, int? limit, CancellationToken ct)
    {
        var v = new Validation();
        var (range, _) = Parse(v, clock, from, to, null);
        TopBy? rank = (by ?? "cost") switch { "cost" => TopBy.Cost, "runs" => TopBy.Runs, _ => null };
        if (rank is null) v.Add("by", "must be cost or runs.");
        var take = limit ?? 10;
        if (take is < 1 or > AnalyticsRules.MaxTopAgents) v.Add("limit", $"must be from 1 to {AnalyticsRules.MaxTopAgents}.");
        v.ThrowIfInvalid();
        return TypedResults.Ok(await analytics.TopAgentsAsync(caller.OrgId, range, rank!.Value, take, ct));
    }

    /// <summary>The range and bucket asked for, defaulted and checked; problems go to <paramref name="v"/>.</summary>
    public static (AnalyticsRange Range, Bucket Bucket) Parse(Validation v, TimeProvider clock, DateTimeOffset? from, DateTimeOffset? to, string? bucket)
    {
        // Client times are checked before any arithmetic on them (0001-01-01 minus a day is not a time).
        var outside = false;
        if (to is { } t && !AnalyticsRange.Holds(t)) { v.Add("to", AnalyticsRange.OutOfBounds); outside = true; }
        if (from is { } f && !AnalyticsRange.Holds(f)) { v.Add("from", AnalyticsRange.OutOfBounds); outside = true; }
        if (outside) return (AnalyticsRange.Create(AnalyticsRange.Earliest, AnalyticsRange.Earliest + DefaultRange), Bucket.Hour);
        var end = to ?? clock.GetUtcNow();
        var start = from ?? end - DefaultRange;
        var range = AnalyticsRange.Create(start, end, v);
        Bucket? b = bucket switch
        {
            null => range.To - range.From <= HourlyUpTo ? Bucket.Hour : Bucket.Day,
            "hour" => Bucket.Hour,
            "day" => Bucket.Day,
            _ => null,
        };
        if (b is null) { v.Add("bucket", "must be hour or day."); return (range, Bucket.Day); }
        if (v.IsValid && AnalyticsRules.BucketCount(range, b.Value) > AnalyticsRules.MaxBuckets)
            v.Add("bucket", $"the range holds more than {AnalyticsRules.MaxBuckets} buckets of one {AnalyticsRules.ToWire(b.Value)}: use day, or a shorter range.");
        return (range, b.Value);
    }
}
