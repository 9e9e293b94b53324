using System.Runtime.CompilerServices;
using AgentOps.Platform.Live;

namespace AgentOps.Live;

/// <summary>One message of a live stream: its event type (a topic, ready, heartbeat or end) and JSON data.</summary>
public sealed record LiveEvent(string Type, string Data);

/// <summary>
/// The live stream of one organization, as events: <c>ready</c> first (re-read what you show: hints before it were not
/// seen), then one event per topic that changed (coalesced while the client reads), a <c>heartbeat</c> when nothing
/// happened for a while, and <c>end</c> when the stream's lifetime is over (reconnect at once; not an error).
/// </summary>
public sealed class LiveStreams(LiveHints hints, LiveOptions options, TimeProvider time)
{
    /// <summary>Whether this replica can take another stream, in all and for the organization (best effort: checked, then taken).</summary>
    public bool HasRoom(Guid orgId) => hints.SubscriptionCount < options.MaxStreams && hints.SubscriptionsOf(orgId) < options.MaxStreamsPerOrg;

    /// <summary>The events of the organization's stream; only the topics the caller may read (and only known ones) are passed on.</summary>
    public async IAsyncEnumerable<LiveEvent> EventsAsync(Guid orgId, IReadOnlySet<string> topics, TimeSpan lifetime, [EnumeratorCancellation] CancellationToken ct)
    {
        using var subscription = hints.Subscribe(orgId);
        var end = time.GetUtcNow() + lifetime;
        yield return new LiveEvent("ready", $$"""{"expires_in":{{(int)lifetime.TotalSeconds}},"topics":["{{string.Join("\",\"", topics.Order(StringComparer.Ordinal))}}"]}""");
        for (var left = lifetime; left > TimeSpan.Zero; left = end - time.GetUtcNow())
        {
            var changed = await subscription.NextAsync(left < options.Heartbeat ? left : options.Heartbeat, ct);
            if (changed.Length == 0 && left > options.Heartbeat) yield return new LiveEvent("heartbeat", "{}");
            foreach (var topic in changed.Where(topics.Contains)) yield return new LiveEvent(topic, "{}");
        }
        yield return new LiveEvent("end", "{}");
    }
}
