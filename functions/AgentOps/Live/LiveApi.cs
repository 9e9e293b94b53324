using System.Net.ServerSentEvents;

namespace AgentOps.Live;

/// <summary>The live stream over HTTP: server-sent events (text/event-stream); <see cref="LiveStreams"/> says what they are.</summary>
public static class LiveApi
{
    /// <summary>How long a client waits before reconnecting after the stream broke (sent as the stream's retry field).</summary>
    public static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(3);

    public static void MapLiveApi(this RouteGroupBuilder api) =>
        api.MapGet("/live", Stream).Requires(Permission.OrgRead).WithName("streamLive").WithTags("Live").Problems(503)
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream")
            .WithSummary("Server-sent events: a hint whenever runs, approvals, controls, notifications or jobs change")
            .WithDescription("Events (each data a JSON object): ready (first; re-read what you show), runs, approvals, controls, notifications, jobs, "
                + "resync (hints may have been missed: re-read everything), heartbeat, end (the stream's lifetime is over: reconnect). See docs/api.md, Live updates.");

    /// <summary>
    /// Answered as an untyped result so that the contract documents the stream as text/event-stream, not as the
    /// framework's item type. max_seconds (1 to the configured lifetime, default the lifetime) ends the stream sooner.
    /// </summary>
    public static IResult Stream(Caller caller, LiveStreams streams, LiveOptions options, int? max_seconds, CancellationToken ct)
    {
        var limit = (int)options.StreamLifetime.TotalSeconds;
        if (max_seconds is < 1 || max_seconds > limit) throw DomainError.Invalid("max_seconds", $"must be from 1 to {limit}.");
        if (!streams.HasRoom(caller.OrgId))
            throw new ApiProblem(StatusCodes.Status503ServiceUnavailable, "live_streams_full", "Service unavailable",
                "This server holds as many live streams as it may, in all or for this organization; the dashboard polls meanwhile. Retry shortly.")
                { RetryAfterSeconds = 30 };
        // Without max_seconds, 85–100 % of the lifetime: streams opened together (after a deploy) do not all reconnect together.
        var lifetime = TimeSpan.FromSeconds(max_seconds ?? limit * (0.85 + 0.15 * Random.Shared.NextDouble()));
        return TypedResults.ServerSentEvents(Items(streams.EventsAsync(caller.OrgId, LiveTopics.For(caller), lifetime, ct)));
    }

    private static async IAsyncEnumerable<SseItem<string>> Items(IAsyncEnumerable<LiveEvent> events)
    {
        await foreach (var e in events) yield return new SseItem<string>(e.Data, e.Type) { ReconnectionInterval = e.Type == "ready" ? Reconnect : null };
    }
}
