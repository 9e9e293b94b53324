namespace AgentOps.Analytics;

public sealed record TotalsView(long Runs, long SucceededRuns, long FailedRuns, long CancelledRuns, long RunningRuns, double ErrorRate, long Events,
    long LlmCalls, long ToolCalls, long TokensIn, long TokensOut, long CostMicros, decimal CostUsd, long UnpricedCalls)
{
    public static TotalsView Of(AnalyticsTotals t) => new(t.Runs, t.SucceededRuns, t.FailedRuns, t.CancelledRuns, t.RunningRuns, t.ErrorRate,
        t.Events, t.LlmCalls, t.ToolCalls, t.TokensIn, t.TokensOut, t.CostMicros, t.CostMicros / 1_000_000m, t.UnpricedCalls);
}

public sealed record PointView(DateTimeOffset Start, string? Key, long Count, long Errors, long CostMicros, decimal CostUsd, long TokensIn, long TokensOut)
{
    public static PointView Of(SeriesPoint p) => new(p.Start, p.Key.Length == 0 ? null : p.Key, p.Count, p.Errors, p.CostMicros, p.CostMicros / 1_000_000m, p.TokensIn, p.TokensOut);
}

public sealed record TopAgentView(Guid AgentId, string? Name, long Runs, long FailedRuns, long CostMicros, decimal CostUsd, long TokensIn, long TokensOut);

public sealed record AnalyticsSummaryResponse(string Store, DateTimeOffset From, DateTimeOffset To, string Bucket, TotalsView Totals, LatencyPercentiles Latency,
    IReadOnlyList<PointView> Series, IReadOnlyList<TopAgentView> TopAgents, IReadOnlyList<StatusCount> ByStatus);

/// <summary>Agent: the agent the series is of, or null for the whole organization.</summary>
public sealed record TimeseriesResponse(string Store, DateTimeOffset From, DateTimeOffset To, string Bucket, string By, Guid? Agent, IReadOnlyList<PointView> Points);

/// <summary>Points: buckets with at least one ended run only (a bucket without one has no latency, not a latency of 0).</summary>
public sealed record LatencySeriesResponse(string Store, DateTimeOffset From, DateTimeOffset To, string Bucket, Guid? Agent, IReadOnlyList<LatencyPoint> Points);

public sealed record TopAgentsResponse(string Store, DateTimeOffset From, DateTimeOffset To, string By, IReadOnlyList<TopAgentView> Agents);

/// <summary>
/// The dashboard's aggregates over a checked range: answered by ClickHouse when configured, else by Postgres
/// (<see cref="IAnalytics"/>; every answer says which), with the agents' names from Postgres.
/// </summary>
public sealed class AnalyticsService(IAnalytics analytics, Db db)
{
    public async Task<AnalyticsSummaryResponse> SummaryAsync(Guid orgId, AnalyticsRange range, Bucket bucket, CancellationToken ct)
    {
        var s = await analytics.SummaryAsync(orgId, range, bucket, ct);
        return new AnalyticsSummaryResponse(analytics.Store, s.From, s.To, AnalyticsRules.ToWire(bucket), TotalsView.Of(s.Totals), s.Latency,
            [.. s.Series.Select(PointView.Of)], await NamedAsync(orgId, s.TopAgents, ct), s.ByStatus);
    }

    /// <summary>The series by nothing has every bucket of the range (zeros where nothing happened); the keyed ones are sparse.</summary>
    public async Task<TimeseriesResponse> TimeseriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, SeriesBy by, Guid? agentId, CancellationToken ct)
    {
        var points = await analytics.SeriesAsync(orgId, range, bucket, by, agentId, ct);
        if (by == SeriesBy.None) points = AnalyticsRules.FillGaps(range, bucket, points);
        return new TimeseriesResponse(analytics.Store, range.From, range.To, AnalyticsRules.ToWire(bucket), AnalyticsRules.ToWire(by), agentId, [.. points.Select(PointView.Of)]);
    }

    public async Task<LatencySeriesResponse> LatencyAsync(Guid orgId, AnalyticsRange range, Bucket bucket, Guid? agentId, CancellationToken ct) =>
        new(analytics.Store, range.From, range.To, AnalyticsRules.ToWire(bucket), agentId, await analytics.LatencySeriesAsync(orgId, range, bucket, agentId, ct));

    public async Task<TopAgentsResponse> TopAgentsAsync(Guid orgId, AnalyticsRange range, TopBy by, int limit, CancellationToken ct)
    {
        var agents = await analytics.TopAgentsAsync(orgId, range, by, limit, ct);
        return new TopAgentsResponse(analytics.Store, range.From, range.To, AnalyticsRules.ToWire(by), await NamedAsync(orgId, agents, ct));
    }

    /// <summary>Agent names come from Postgres (ClickHouse keeps ids only); an agent deleted since shows without a name.</summary>
    private async Task<List<TopAgentView>> NamedAsync(Guid orgId, IReadOnlyList<AgentRank> agents, CancellationToken ct)
    {
        if (agents.Count == 0) return [];
        var byId = await db.InOrgAsync(orgId, tx => AnalyticsStore.AgentNamesAsync(tx, [.. agents.Select(a => a.AgentId)], ct), ct);
        return [.. agents.Select(a => new TopAgentView(a.AgentId, byId.GetValueOrDefault(a.AgentId), a.Runs, a.FailedRuns, a.CostMicros, a.CostMicros / 1_000_000m, a.TokensIn, a.TokensOut))];
    }
}
