using System.Collections.Concurrent;

namespace AgentOps.Platform;

/// <summary>
/// A cache of database reads for the hot paths (API keys, agents), refreshed ahead. An entry answers for
/// <see cref="Freshness"/> counted from the moment its read began, so a change made elsewhere shows within that time.
/// Once an entry is older than <see cref="RefreshAfter"/>, exactly one caller is told to re-read it in the background
/// while the entry goes on answering: under steady traffic no request waits for the database. (Without it, every
/// entry expired once a second and each request that found it expired queried and waited: at 1,000 policy checks/s
/// that was the p99.) <see cref="Forget"/> applies at once, also to reads already in flight: what they bring back
/// may predate the change, so it is not stored.
/// </summary>
public sealed class ReadCache<TKey, TValue>(TimeSpan freshness, int maxEntries, IEqualityComparer<TKey>? comparer = null)
    where TKey : notnull where TValue : class
{
    public TimeSpan Freshness { get; } = freshness;
    public TimeSpan RefreshAfter => Freshness / 2;

    /// <summary>A class, not a record: replacing an entry compares identities (a re-read never overwrites a newer entry).</summary>
    public sealed class Entry(DateTimeOffset readAt, TValue value)
    {
        public DateTimeOffset ReadAt { get; } = readAt;
        public TValue Value { get; } = value;
        internal int Refreshing;
    }

    private readonly ConcurrentDictionary<TKey, Entry> _entries = new(comparer);

    /// <summary>Bumped by every <see cref="Forget"/>. One counter for all keys: forgetting is rare (a change through the API).</summary>
    private long _generation;

    /// <summary>Take it before a read; pass it to <see cref="Store"/> or <see cref="Refreshed"/> after.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>
    /// The cached value if still fresh. <paramref name="refresh"/> is set for the one caller that should re-read the
    /// entry in the background (and then call <see cref="Refreshed"/>).
    /// </summary>
    public bool TryGet(TKey key, DateTimeOffset now, out TValue value, out Entry? refresh)
    {
        refresh = null;
        if (!_entries.TryGetValue(key, out var entry) || now - entry.ReadAt >= Freshness)
        {
            value = null!;
            return false;
        }
        value = entry.Value;
        if (now - entry.ReadAt >= RefreshAfter && Interlocked.Exchange(ref entry.Refreshing, 1) == 0) refresh = entry;
        return true;
    }

    /// <summary>Stores what a read that began at readAt found, unless something was forgotten since.</summary>
    public void Store(TKey key, TValue value, DateTimeOffset readAt, long generation)
    {
        if (_entries.Count >= maxEntries) Sweep(readAt);
        if (Generation == generation) _entries[key] = new Entry(readAt, value);
    }

    /// <summary>
    /// A background re-read's result: it replaces the entry only if that entry is still the one cached and nothing
    /// was forgotten meanwhile; null (no longer found under this key) drops it.
    /// </summary>
    public void Refreshed(TKey key, Entry entry, TValue? value, DateTimeOffset readAt, long generation)
    {
        if (Generation != generation) return;
        if (value is null) _entries.TryRemove(new KeyValuePair<TKey, Entry>(key, entry));
        else _entries.TryUpdate(key, new Entry(readAt, value), entry);
    }

    /// <summary>Changes a cached value in place (keeping its read time), if it is still cached.</summary>
    public void Update(TKey key, Func<TValue, TValue> change)
    {
        if (_entries.TryGetValue(key, out var entry)) _entries.TryUpdate(key, new Entry(entry.ReadAt, change(entry.Value)), entry);
    }

    /// <summary>Forgets the matching entries, and whatever reads in flight would have stored.</summary>
    public void Forget(Func<TKey, TValue, bool> which)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (key, entry) in _entries)
            if (which(key, entry.Value)) _entries.TryRemove(key, out _);
    }

    /// <summary>Drops stale entries; if all are fresh yet too many, starts over rather than grow.</summary>
    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
            if (now - entry.ReadAt >= Freshness) _entries.TryRemove(key, out _);
        if (_entries.Count >= maxEntries) _entries.Clear();
    }
}
