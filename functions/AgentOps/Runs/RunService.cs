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

    public Task<List<RunView>> PageAsync(Guid orgId, RunFilter filter, RunSort sort, bool descending, KeysetPosition? after, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => RunStore.PageAsync(tx, filter, sort, descending, after, take, ct), ct);

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
