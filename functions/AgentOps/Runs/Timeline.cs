using AgentOps.Ingest;

namespace AgentOps.Runs;

/// <summary>
/// The forensic timeline of a run, pure: its events as a tree (parent_id links) flattened in pre-order, children by
/// (timestamp, rank, id), each with its depth. The rank puts a run's start before, and its end after, whatever
/// happened at the same instant: an OpenTelemetry root span yields its own event, the run.start and the run.end at its
/// start and end time, and without the rank the start would sort after the root span's whole subtree. An event whose parent is unknown, or that sits in a parent cycle, is placed
/// at the top level and marked orphaned, so nothing received is ever hidden.
/// </summary>
public static class Timeline
{
    public sealed record Node<T>(T Event, int Depth, int Children, bool Orphaned);

    /// <summary>run.start first, run.end last among events at the same time.</summary>
    public static int RankOf(string type) => type switch { EventTypes.RunStart => 0, EventTypes.RunEnd => 2, _ => 1 };

    public static IReadOnlyList<Node<T>> Build<T>(IReadOnlyList<T> events, Func<T, string> id, Func<T, string?> parentId, Func<T, DateTimeOffset> ts,
        Func<T, int>? rank = null)
    {
        rank ??= _ => 0;
        var byId = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var e in events) byId.TryAdd(id(e), e);
        var children = new Dictionary<string, List<T>>(StringComparer.Ordinal);
        var roots = new List<(T Event, bool Orphaned)>();
        foreach (var e in byId.Values)
        {
            var parent = parentId(e);
            if (parent is null || parent == id(e)) roots.Add((e, parent is not null));
            else if (!byId.ContainsKey(parent)) roots.Add((e, true));
            else (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(e);
        }
        var order = Comparer<T>.Create((a, b) => ts(a) != ts(b) ? ts(a).CompareTo(ts(b))
            : rank(a) != rank(b) ? rank(a).CompareTo(rank(b)) : string.CompareOrdinal(id(a), id(b)));
        foreach (var list in children.Values) list.Sort(order);
        roots.Sort((a, b) => order.Compare(a.Event, b.Event));

        var result = new List<Node<T>>(byId.Count);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        void Walk(T e, int depth, bool orphaned)
        {
            // Iterative over siblings, recursive over depth; a cycle cannot recurse because placed stops it.
            if (!placed.Add(id(e))) return;
            var kids = children.GetValueOrDefault(id(e)) ?? [];
            result.Add(new Node<T>(e, depth, kids.Count, orphaned));
            foreach (var child in kids) Walk(child, depth + 1, false);
        }
        foreach (var (e, orphaned) in roots) Walk(e, 0, orphaned);
        // Whatever is left hangs off a cycle: show it at the top level.
        foreach (var e in byId.Values.Where(e => !placed.Contains(id(e))).Order(order)) Walk(e, 0, true);
        return result;
    }
}
