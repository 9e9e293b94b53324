using AgentOps.Analytics;

namespace AgentOps.Functions.Api;

/// <summary>/api/v1/analytics (AnalyticsApi): answered by ClickHouse when AGENTOPS_CLICKHOUSE_URL is set, else Postgres.</summary>
public sealed class AnalyticsFunctions(IAnalytics analytics, Db db, TimeProvider clock)
{
    [Function("AnalyticsSummary"), Requires(Permission.RunsRead)]
    public async Task<IResult> Summary([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/analytics/summary")] HttpRequest req) =>
        await AnalyticsApi.SummaryAsync(Bind.CallerOf(req), analytics, db, clock, Bind.QueryDateTimeOffset(req, "from"), Bind.QueryDateTimeOffset(req, "to"),
            Bind.Query(req, "bucket"), Bind.Aborted(req));

    [Function("AnalyticsTimeseries"), Requires(Permission.RunsRead)]
    public async Task<IResult> Timeseries([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/analytics/timeseries")] HttpRequest req) =>
        await AnalyticsApi.TimeseriesAsync(Bind.CallerOf(req), analytics, clock, Bind.QueryDateTimeOffset(req, "from"), Bind.QueryDateTimeOffset(req, "to"),
            Bind.Query(req, "bucket"), Bind.Query(req, "by"), Bind.Aborted(req));

    [Function("AnalyticsTopAgents"), Requires(Permission.RunsRead)]
    public async Task<IResult> TopAgents([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/analytics/top-agents")] HttpRequest req) =>
        await AnalyticsApi.TopAgentsAsync(Bind.CallerOf(req), analytics, db, clock, Bind.QueryDateTimeOffset(req, "from"), Bind.QueryDateTimeOffset(req, "to"),
            Bind.Query(req, "by"), Bind.QueryInt(req, "limit"), Bind.Aborted(req));
}
