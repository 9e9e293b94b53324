using AgentOps.Blobs;

namespace AgentOps.Runs;

/// <summary>
/// Runs and their timelines: what agents did, in order, with cost. Lists, a run with its events as a tree
/// (<see cref="Timeline"/>), a run's events page by page, and the large inputs and outputs kept in the blob store.
/// </summary>
public sealed class RunService(Db db, IBlobStore blobs)
{
    /// <summary>The most events a timeline shows; the events endpoint pages through the rest.</summary>
    public const int MaxTimelineEvents = 5000;

    /// <summary>
    /// How long a text search may run. It reads inputs, outputs and metadata of every run the other filters leave (no
    /// index serves a substring), so over a large organization without a time range it can be slow: past this it is
    /// refused as too broad, naming q, rather than holding a connection.
    /// </summary>
    public TimeSpan SearchTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public async Task<List<RunView>> PageAsync(Guid orgId, RunFilter filter, RunSort sort, bool descending, KeysetPosition? after, int take, CancellationToken ct)
    {
        try
        {
            return await db.InOrgAsync(orgId, async tx =>
            {
                if (filter.Text is not null) await tx.ExecuteAsync($"SET LOCAL statement_timeout = {(int)SearchTimeout.TotalMilliseconds}", ct);
                return await RunStore.PageAsync(tx, filter, sort, descending, after, take, ct);
            }, ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.QueryCanceled && filter.Text is not null && !ct.IsCancellationRequested)
        {
            throw DomainError.Unprocessable("search_too_broad",
                $"The search took longer than {SearchTimeout.TotalSeconds:0} s: narrow it with a time range, an agent or a status.",
                new Dictionary<string, string[]> { ["q"] = ["matched too slowly over this many runs; add a time range or another filter."] });
        }
    }

    public async Task<RunDetail> GetAsync(Guid orgId, string id, CancellationToken ct)
    {
        var (run, events) = await db.InOrgAsync(orgId, async tx =>
        {
            var run = await RunStore.ReadAsync(tx, id, ct) ?? throw DomainError.NotFound("run");
            var events = await RunStore.FirstEventsAsync(tx, id, MaxTimelineEvents + 1, ct);
            return (run, events);
        }, ct);
        var truncated = events.Count > MaxTimelineEvents;
        if (truncated) events = events[..MaxTimelineEvents];
        var timeline = Timeline.Build(events, e => e.Id, e => e.ParentId, e => e.Timestamp, e => Timeline.RankOf(e.Type))
            .Select(n => new TimelineEntry(n.Event, n.Depth, n.Children, n.Orphaned)).ToList();
        return new RunDetail(run, timeline, truncated);
    }

    /// <summary>A run's events in time order after <paramref name="after"/> (its time and id); a run the organization does not have is not found.</summary>
    public Task<List<EventView>> EventsAsync(Guid orgId, string runId, KeysetPosition? after, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx =>
        {
            if (!await RunStore.ExistsAsync(tx, runId, ct)) throw DomainError.NotFound("run");
            return await RunStore.EventsAsync(tx, runId, after, take, ct);
        }, ct);

    /// <summary>A payload by its reference ("yyyy-MM-dd/&lt;name&gt;"), from the organization's own part of the blob store.</summary>
    public async Task<string> PayloadAsync(Guid orgId, string reference, CancellationToken ct) =>
        await blobs.GetAsync(orgId, reference, ct) ?? throw DomainError.NotFound("payload");
}
