namespace AgentOps.Analytics;

/// <summary>
/// The dashboard's aggregate queries, per organization and time range. Two implementations answer identically
/// (a differential test holds them to it): <see cref="PostgresAnalytics"/> over the system of record, and
/// <see cref="ClickHouse.ClickHouseAnalytics"/> over the tables the export fills. Everything is integers (counts,
/// micro-dollars, milliseconds), so "identically" means exactly equal; ratios are computed from them in one place.
/// Runs count where they started (started_at in [from, to)); the model series counts LLM calls (events with a
/// model) where they happened (ts in [from, to)).
/// </summary>
public interface IAnalytics
{
    /// <summary>"clickhouse" or "postgres": which store answered (shown by the API).</summary>
    string Store { get; }

    /// <summary>What a dashboard home shows: totals, error rate, latency, runs and cost over time, top agents by cost, runs by status.</summary>
    Task<AnalyticsSummary> SummaryAsync(Guid orgId, AnalyticsRange range, Bucket bucket, CancellationToken ct);

    /// <summary>
    /// Runs and cost per bucket, by nothing, agent or status (runs) or by model (LLM calls); of one agent when
    /// <paramref name="agentId"/> is given. Sparse: empty buckets are left out.
    /// </summary>
    Task<IReadOnlyList<SeriesPoint>> SeriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, SeriesBy by, Guid? agentId, CancellationToken ct);

    /// <summary>
    /// Nearest-rank p50/p95/p99 (to within 1 %) of the duration of the runs that started in each bucket and have ended (of one agent
    /// when <paramref name="agentId"/> is given). Sparse: buckets without an ended run are left out.
    /// </summary>
    Task<IReadOnlyList<LatencyPoint>> LatencySeriesAsync(Guid orgId, AnalyticsRange range, Bucket bucket, Guid? agentId, CancellationToken ct);

    /// <summary>Nearest-rank p50/p95/p99 (to within 1 %) of the duration of runs that started in the range and have ended.</summary>
    Task<LatencyPercentiles> LatencyAsync(Guid orgId, AnalyticsRange range, CancellationToken ct);

    /// <summary>The agents with the highest cost (or most runs), ties broken by agent id.</summary>
    Task<IReadOnlyList<AgentRank>> TopAgentsAsync(Guid orgId, AnalyticsRange range, TopBy by, int limit, CancellationToken ct);
}

public enum Bucket { Hour, Day }

public enum SeriesBy { None, Agent, Model, Status }

public enum TopBy { Cost, Runs }

/// <summary>
/// [From, To) in UTC, on whole seconds: ClickHouse keeps DateTime to the second, and with whole-second bounds
/// "t &gt;= from" and "t &lt; to" give the same answer for a Postgres time and for the same time cut to the second.
/// </summary>
public sealed record AnalyticsRange
{
    /// <summary>Longest range one query covers.</summary>
    public const int MaxDays = 400;

    /// <summary>
    /// The times a range may start and end at, both included: ClickHouse's DateTime (unsigned 32-bit seconds) holds
    /// 1970-01-01 to 2106-02-07, and every bucket and default computed from a bound in here stays representable.
    /// </summary>
    public static readonly DateTimeOffset Earliest = new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset Latest = new(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>What a parameter outside [<see cref="Earliest"/>, <see cref="Latest"/>] is told.</summary>
    public const string OutOfBounds = "must be from 1970-01-01T00:00:00Z to 2100-01-01T00:00:00Z.";

    public static bool Holds(DateTimeOffset t) => t >= Earliest && t <= Latest;

    public DateTimeOffset From { get; }
    public DateTimeOffset To { get; }

    private AnalyticsRange(DateTimeOffset from, DateTimeOffset to) => (From, To) = (from, to);

    /// <summary>The range cut to whole seconds, or the problems with it (by parameter name).</summary>
    public static AnalyticsRange Create(DateTimeOffset from, DateTimeOffset to, Validation? validation = null)
    {
        var f = DateTimeOffset.FromUnixTimeSeconds(from.ToUnixTimeSeconds());
        var t = DateTimeOffset.FromUnixTimeSeconds(to.ToUnixTimeSeconds());
        var v = validation ?? new Validation();
        if (!Holds(f)) v.Add("from", OutOfBounds);
        else if (!Holds(t)) v.Add("to", OutOfBounds);
        else if (t <= f) v.Add("to", "must be after from (at least one second).");
        else if (t - f > TimeSpan.FromDays(MaxDays)) v.Add("to", $"the range covers at most {MaxDays} days.");
        if (validation is null) v.ThrowIfInvalid();
        return new AnalyticsRange(f, t);
    }
}

/// <summary>UnpricedCalls: LLM calls of these runs whose model had no price (cost counted as 0; see Costs/Prices).</summary>
public sealed record AnalyticsTotals(long Runs, long SucceededRuns, long FailedRuns, long CancelledRuns, long RunningRuns, long Events,
    long LlmCalls, long ToolCalls, long TokensIn, long TokensOut, long CostMicros, long UnpricedCalls)
{
    /// <summary>Failed runs over all runs that started in the range (0 when there were none).</summary>
    public double ErrorRate => Runs == 0 ? 0 : (double)FailedRuns / Runs;

    public static readonly AnalyticsTotals Zero = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

/// <summary>
/// Runs with a duration (ended) and their nearest-rank percentiles in milliseconds, to within 1 % (the middle of the
/// 2 % wide bucket the duration falls in: <see cref="LatencyHistogram"/>); null when there are none.
/// </summary>
public sealed record LatencyPercentiles(long Runs, long? P50Ms, long? P95Ms, long? P99Ms)
{
    /// <summary>Percentiles in thousandths, so ranks are integer arithmetic in every store.</summary>
    public const int P50 = 500, P95 = 950, P99 = 990;

    /// <summary>Nearest rank (1-based) of the p-th thousandth among n sorted values: ceil(p·n/1000).</summary>
    public static long Rank(int perMille, long n) => (perMille * n + 999) / 1000;
}

/// <summary>
/// One bucket (start, UTC) and key. Key: "" (by nothing), the agent id, the status, or the model. Count and Errors:
/// runs and failed runs, or for the model series LLM calls and calls with an error.
/// </summary>
public sealed record SeriesPoint(DateTimeOffset Start, string Key, long Count, long Errors, long CostMicros, long TokensIn, long TokensOut);

/// <summary>One bucket's latency: the ended runs that started in it and their percentiles (see <see cref="LatencyPercentiles"/>).</summary>
public sealed record LatencyPoint(DateTimeOffset Start, long Runs, long P50Ms, long P95Ms, long P99Ms);

/// <summary>
/// Runs of one status grouped by bucket (Start set, Agent null) or by agent (Agent set, Start unused): the rows of the
/// summary's one scan (<see cref="AnalyticsRules.Summarize"/>).
/// </summary>
public sealed record SummaryGrain(DateTimeOffset Start, Guid? Agent, string Status, long Runs, long CostMicros, long TokensIn, long TokensOut, long Events,
    long LlmCalls, long ToolCalls, long UnpricedCalls);

public sealed record AgentRank(Guid AgentId, long Runs, long FailedRuns, long CostMicros, long TokensIn, long TokensOut);

public sealed record StatusCount(string Status, long Runs);

public sealed record AnalyticsSummary(DateTimeOffset From, DateTimeOffset To, Bucket Bucket, AnalyticsTotals Totals, LatencyPercentiles Latency,
    IReadOnlyList<SeriesPoint> Series, IReadOnlyList<AgentRank> TopAgents, IReadOnlyList<StatusCount> ByStatus);

/// <summary>The decisions both stores share: limits, bucket starts, ordering and gap filling. Pure.</summary>
public static class AnalyticsRules
{
    /// <summary>Agents in the summary's top list.</summary>
    public const int SummaryTopAgents = 5;
    public const int MaxTopAgents = 100;
    /// <summary>Most buckets one series may span (hours of a month and a half; days of the longest range).</summary>
    public const int MaxBuckets = 1100;

    public static readonly string[] Statuses = ["running", "succeeded", "failed", "cancelled"];

    public static DateTimeOffset BucketStart(DateTimeOffset t, Bucket bucket)
    {
        var utc = t.ToUniversalTime();
        return bucket == Bucket.Hour
            ? new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero)
            : new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
    }

    public static TimeSpan Step(Bucket bucket) => bucket == Bucket.Hour ? TimeSpan.FromHours(1) : TimeSpan.FromDays(1);

    /// <summary>The names the API reads and writes: hour, day; none, agent, status, model; cost, runs.</summary>
    public static string ToWire(Bucket bucket) => bucket == Bucket.Hour ? "hour" : "day";

    public static string ToWire(SeriesBy by) => by switch
    {
        SeriesBy.None => "none",
        SeriesBy.Agent => "agent",
        SeriesBy.Status => "status",
        SeriesBy.Model => "model",
        _ => throw new ArgumentOutOfRangeException(nameof(by)),
    };

    public static string ToWire(TopBy by) => by == TopBy.Cost ? "cost" : "runs";

    public static long BucketCount(AnalyticsRange range, Bucket bucket) =>
        (long)Math.Ceiling((range.To - BucketStart(range.From, bucket)) / Step(bucket));

    /// <summary>Points in (start, key) order, keys compared ordinally: the same order whatever store produced them.</summary>
    public static List<SeriesPoint> Ordered(IEnumerable<SeriesPoint> points) =>
        [.. points.OrderBy(p => p.Start).ThenBy(p => p.Key, StringComparer.Ordinal)];

    /// <summary>Every bucket of the range, zeros where nothing happened (a chart needs the gaps). For the unkeyed series.</summary>
    public static List<SeriesPoint> FillGaps(AnalyticsRange range, Bucket bucket, IEnumerable<SeriesPoint> points)
    {
        var byStart = points.ToDictionary(p => p.Start);
        var filled = new List<SeriesPoint>();
        for (var start = BucketStart(range.From, bucket); start < range.To; start += Step(bucket))
            filled.Add(byStart.TryGetValue(start, out var p) ? p : new SeriesPoint(start, "", 0, 0, 0, 0, 0));
        return filled;
    }

    /// <summary>Every known status, zeros included, in a fixed order; unknown statuses (none today) after them.</summary>
    public static List<StatusCount> ByStatus(IEnumerable<StatusCount> counts)
    {
        var map = counts.ToDictionary(c => c.Status, c => c.Runs, StringComparer.Ordinal);
        return [.. Statuses.Select(s => new StatusCount(s, map.GetValueOrDefault(s))),
            .. map.Where(kv => !Statuses.Contains(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new StatusCount(kv.Key, kv.Value))];
    }

    /// <summary>Totals from the per-status counts and the sums (one source of truth for the status arithmetic).</summary>
    public static AnalyticsTotals Totals(IReadOnlyList<StatusCount> byStatus, long events, long llmCalls, long toolCalls, long tokensIn, long tokensOut, long cost,
        long unpricedCalls)
    {
        long Of(string s) => byStatus.FirstOrDefault(c => c.Status == s)?.Runs ?? 0;
        return new AnalyticsTotals(byStatus.Sum(c => c.Runs), Of("succeeded"), Of("failed"), Of("cancelled"), Of("running"), events, llmCalls, toolCalls, tokensIn,
            tokensOut, cost, unpricedCalls);
    }

    /// <summary>
    /// The summary from one scan of the runs grouped two ways: by (bucket, status) and by (agent, status), as both stores
    /// read it. Totals and statuses come from the agent rows (every run is in exactly one), the series from the bucket
    /// rows, the top agents by cost with ties broken by the agent id as text, as <see cref="IAnalytics.TopAgentsAsync"/>.
    /// </summary>
    public static AnalyticsSummary Summarize(AnalyticsRange range, Bucket bucket, IReadOnlyList<SummaryGrain> grains, LatencyPercentiles latency)
    {
        var byAgent = grains.Where(r => r.Agent is not null).ToList();
        var byStatus = ByStatus(byAgent.GroupBy(r => r.Status).Select(g => new StatusCount(g.Key, g.Sum(r => r.Runs))));
        var totals = Totals(byStatus, byAgent.Sum(r => r.Events), byAgent.Sum(r => r.LlmCalls), byAgent.Sum(r => r.ToolCalls),
            byAgent.Sum(r => r.TokensIn), byAgent.Sum(r => r.TokensOut), byAgent.Sum(r => r.CostMicros), byAgent.Sum(r => r.UnpricedCalls));
        var series = grains.Where(r => r.Agent is null).GroupBy(r => r.Start).Select(g => new SeriesPoint(g.Key, "",
            g.Sum(r => r.Runs), g.Where(r => r.Status == "failed").Sum(r => r.Runs), g.Sum(r => r.CostMicros), g.Sum(r => r.TokensIn), g.Sum(r => r.TokensOut)));
        var top = byAgent.GroupBy(r => r.Agent!.Value)
            .Select(g => new AgentRank(g.Key, g.Sum(r => r.Runs), g.Where(r => r.Status == "failed").Sum(r => r.Runs), g.Sum(r => r.CostMicros),
                g.Sum(r => r.TokensIn), g.Sum(r => r.TokensOut)))
            .OrderByDescending(a => a.CostMicros).ThenBy(a => a.AgentId.ToString(), StringComparer.Ordinal)
            .Take(SummaryTopAgents).ToList();
        return new AnalyticsSummary(range.From, range.To, bucket, totals, latency, FillGaps(range, bucket, series), top, byStatus);
    }

    public static LatencyPercentiles Latency(long n, long? p50, long? p95, long? p99) =>
        n == 0 ? new LatencyPercentiles(0, null, null, null) : new LatencyPercentiles(n, p50, p95, p99);
}
