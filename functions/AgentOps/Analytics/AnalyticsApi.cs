namespace AgentOps.Analytics;

/// <summary>
/// The dashboard's aggregates over a time range: /analytics/summary (the home page), /analytics/timeseries (runs and
/// cost per bucket by agent, status or model) and /analytics/top-agents. Answered by ClickHouse when configured, else
/// by Postgres (the response says which). Ranges are [from, to) in UTC, cut to whole seconds; the default is the
/// last 24 hours, bucketed by hour (by day beyond 2 days).
/// </summary>
public static class AnalyticsApi
{
    public static void MapAnalyticsApi(this RouteGroupBuilder api)
    {
        var analytics = api.MapGroup("/analytics").WithTags("Analytics");
        analytics.MapGet("/summary", SummaryAsync).Requires(Permission.RunsRead).WithName("getAnalyticsSummary").WithSummary("Totals, error rate, latency percentiles, runs and cost over time, top agents");
        analytics.MapGet("/timeseries", TimeseriesAsync).Requires(Permission.RunsRead).WithName("getAnalyticsTimeseries").WithSummary("Runs and cost per hour or day, by agent, status or model");
        analytics.MapGet("/top-agents", TopAgentsAsync).Requires(Permission.RunsRead).WithName("getTopAgents").WithSummary("Agents ranked by cost or runs");
    }

    public static readonly TimeSpan DefaultRange = TimeSpan.FromHours(24);
    /// <summary>Ranges up to this long default to hourly buckets.</summary>
    public static readonly TimeSpan HourlyUpTo = TimeSpan.FromDays(2);

    public sealed record TotalsView(long Runs, long SucceededRuns, long FailedRuns, long CancelledRuns, long RunningRuns, double ErrorRate, long Events,
        long LlmCalls, long ToolCalls, long TokensIn, long TokensOut, long CostMicros, decimal CostUsd)
    {
        public static TotalsView Of(AnalyticsTotals t) => new(t.Runs, t.SucceededRuns, t.FailedRuns, t.CancelledRuns, t.RunningRuns, t.ErrorRate,
            t.Events, t.LlmCalls, t.ToolCalls, t.TokensIn, t.TokensOut, t.CostMicros, t.CostMicros / 1_000_000m);
    }

    public sealed record PointView(DateTimeOffset Start, string? Key, long Count, long Errors, long CostMicros, decimal CostUsd, long TokensIn, long TokensOut)
    {
        public static PointView Of(SeriesPoint p) => new(p.Start, p.Key.Length == 0 ? null : p.Key, p.Count, p.Errors, p.CostMicros, p.CostMicros / 1_000_000m, p.TokensIn, p.TokensOut);
    }

    public sealed record TopAgentView(Guid AgentId, string? Name, long Runs, long FailedRuns, long CostMicros, decimal CostUsd, long TokensIn, long TokensOut);

    public sealed record AnalyticsSummaryResponse(string Store, DateTimeOffset From, DateTimeOffset To, string Bucket, TotalsView Totals, LatencyPercentiles Latency,
        IReadOnlyList<PointView> Series, IReadOnlyList<TopAgentView> TopAgents, IReadOnlyList<StatusCount> ByStatus);

    public sealed record TimeseriesResponse(string Store, DateTimeOffset From, DateTimeOffset To, string Bucket, string By, IReadOnlyList<PointView> Points);

    public sealed record TopAgentsResponse(string Store, DateTimeOffset From, DateTimeOffset To, string By, IReadOnlyList<TopAgentView> Agents);

    public static async Task<Ok<AnalyticsSummaryResponse>> SummaryAsync(Caller caller, IAnalytics analytics, Db db, TimeProvider clock, DateTimeOffset? from,
        DateTimeOffset? to, string? bucket, CancellationToken ct)
    {
        var v = new Validation();
        var (range, b) = Parse(v, clock, from, to, bucket);
        v.ThrowIfInvalid();
        var s = await analytics.SummaryAsync(caller.OrgId, range, b, ct);
        return TypedResults.Ok(new AnalyticsSummaryResponse(analytics.Store, s.From, s.To, Name(b), TotalsView.Of(s.Totals), s.Latency,
            [.. s.Series.Select(PointView.Of)], await NamedAsync(db, caller.OrgId, s.TopAgents, ct), s.ByStatus));
    }

    public static async Task<Ok<TimeseriesResponse>> TimeseriesAsync(Caller caller, IAnalytics analytics, TimeProvider clock, DateTimeOffset? from,
        DateTimeOffset? to, string? bucket, string? by, CancellationToken ct)
    {
        var v = new Validation();
        var (range, b) = Parse(v, clock, from, to, bucket);
        SeriesBy? series = (by ?? "none") switch { "none" => SeriesBy.None, "agent" => SeriesBy.Agent, "status" => SeriesBy.Status, "model" => SeriesBy.Model, _ => null };
        if (series is null) v.Add("by", "must be none, agent, status or model.");
        v.ThrowIfInvalid();
        var points = await analytics.SeriesAsync(caller.OrgId, range, b, series!.Value, ct);
        if (series == SeriesBy.None) points = AnalyticsRules.FillGaps(range, b, points);
        return TypedResults.Ok(new TimeseriesResponse(analytics.Store, range.From, range.To, Name(b), by ?? "none", [.. points.Select(PointView.Of)]));
    }

    public static async Task<Ok<TopAgentsResponse>> TopAgentsAsync(Caller caller, IAnalytics analytics, Db db, TimeProvider clock, DateTimeOffset? from,
        DateTimeOffset? to, string? by, int? limit, CancellationToken ct)
    {
        var v = new Validation();
        var (range, _) = Parse(v, clock, from, to, null);
        TopBy? rank = (by ?? "cost") switch { "cost" => TopBy.Cost, "runs" => TopBy.Runs, _ => null };
        if (rank is null) v.Add("by", "must be cost or runs.");
        var take = limit ?? 10;
        if (take is < 1 or > AnalyticsRules.MaxTopAgents) v.Add("limit", $"must be from 1 to {AnalyticsRules.MaxTopAgents}.");
        v.ThrowIfInvalid();
        var agents = await analytics.TopAgentsAsync(caller.OrgId, range, rank!.Value, take, ct);
        return TypedResults.Ok(new TopAgentsResponse(analytics.Store, range.From, range.To, by ?? "cost", await NamedAsync(db, caller.OrgId, agents, ct)));
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
            v.Add("bucket", $"the range holds more than {AnalyticsRules.MaxBuckets} buckets of one {Name(b.Value)}: use day, or a shorter range.");
        return (range, b.Value);
    }

    private static string Name(Bucket b) => b == Bucket.Hour ? "hour" : "day";

    /// <summary>Agent names come from Postgres (ClickHouse keeps ids only); an agent deleted since shows without a name.</summary>
    private static async Task<List<TopAgentView>> NamedAsync(Db db, Guid orgId, IReadOnlyList<AgentRank> agents, CancellationToken ct)
    {
        if (agents.Count == 0) return [];
        var names = await db.InOrgAsync(orgId, tx => tx.ListAsync("SELECT id, name FROM agents WHERE org_id = $1 AND id = ANY($2)",
            r => (Id: r.GetGuid(0), Name: r.GetString(1)), ct, orgId, agents.Select(a => a.AgentId).ToArray()), ct);
        var byId = names.ToDictionary(n => n.Id, n => n.Name);
        return [.. agents.Select(a => new TopAgentView(a.AgentId, byId.GetValueOrDefault(a.AgentId), a.Runs, a.FailedRuns, a.CostMicros, a.CostMicros / 1_000_000m, a.TokensIn, a.TokensOut))];
    }
}
