using AgentOps.Runs;
using FsCheck;
using FsCheck.Fluent;

namespace AgentOps.Tests.Runs;

public class TimelineTests
{
    private sealed record E(string Id, string? Parent, int At);

    private static IReadOnlyList<Timeline.Node<E>> Build(params E[] events) =>
        Timeline.Build(events, e => e.Id, e => e.Parent, e => DateTimeOffset.UnixEpoch.AddSeconds(e.At));

    [Fact]
    public void Children_follow_their_parent_in_time_order()
    {
        var nodes = Build(new("root", null, 0), new("b", "root", 2), new("a", "root", 1), new("a1", "a", 3), new("end", null, 9));
        Assert.Equal([("root", 0), ("a", 1), ("a1", 2), ("b", 1), ("end", 0)], nodes.Select(n => (n.Event.Id, n.Depth)));
        Assert.Equal(2, nodes[0].Children);
    }

    [Fact]
    public void An_OpenTelemetry_root_span_has_its_run_start_before_it_and_its_run_end_after_its_children()
    {
        // The root span "t-s" yields "t-s:start" and "t-s:end" at its own start and end; its child starts later.
        var events = new[] { ("t-s", (string?)null, 0, "external.action"), ("t-s:start", null, 0, "run.start"), ("t-s:end", null, 5, "run.end"), ("t-c", "t-s", 1, "llm.call") };
        var nodes = Timeline.Build(events, e => e.Item1, e => e.Item2, e => DateTimeOffset.UnixEpoch.AddSeconds(e.Item3), e => Timeline.RankOf(e.Item4));
        Assert.Equal(["t-s:start", "t-s", "t-c", "t-s:end"], nodes.Select(n => n.Event.Item1));
    }

    [Fact]
    public void At_one_timestamp_run_start_comes_first_and_run_end_last_whatever_order_they_arrived_in()
    {
        var events = new[] { ("end", (string?)null, 3, "run.end"), ("log", null, 3, "log"), ("start", null, 3, "run.start"), ("tool", null, 3, "tool.call") };
        var nodes = Timeline.Build(events, e => e.Item1, e => e.Item2, e => DateTimeOffset.UnixEpoch.AddSeconds(e.Item3), e => Timeline.RankOf(e.Item4));
        Assert.Equal("start", nodes[0].Event.Item1);
        Assert.Equal("end", nodes[^1].Event.Item1);
    }

    [Fact]
    public void Orphans_and_cycles_are_shown_at_the_top_never_lost()
    {
        var nodes = Build(new("x", "missing", 1), new("c1", "c2", 2), new("c2", "c1", 3), new("self", "self", 4));
        Assert.Equal(4, nodes.Count);
        Assert.All(nodes.Where(n => n.Depth == 0), n => Assert.True(n.Orphaned));
        Assert.Equal(["x", "self", "c1", "c2"], nodes.Select(n => n.Event.Id));
    }

    [Fact]
    public void Every_event_appears_exactly_once_whatever_the_links() =>
        Prop.ForAll((int[] links) =>
        {
            var events = links.Select((l, i) => new E($"e{i}", l % (links.Length + 2) is var p && p < links.Length ? $"e{Math.Abs(p)}" : null, Math.Abs(l) % 7)).ToArray();
            var nodes = Build(events);
            return nodes.Select(n => n.Event.Id).Order().SequenceEqual(events.Select(e => e.Id).Distinct().Order());
        }).QuickCheckThrowOnFailure();
}
