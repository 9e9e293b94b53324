using System.Collections.Concurrent;
using AgentOps.Guardrails.Envelope;
using AgentOps.Providers;

namespace AgentOps.Guardrails.Pipeline;

/// <summary>
/// Answers kept by <see cref="PromptCacheKey"/> (organization first: one organization never reads another's), in
/// process, for <see cref="Ttl"/>. Only the recorded form is kept: placeholders, never originals, so a hit restores
/// with the caller's own map. Bounded: at most <see cref="MaxEntries"/> answers of at most <see cref="MaxEntryChars"/>
/// characters; when full, the oldest half goes. Per replica: a hit on one replica is a miss on another (documented;
/// the providers' own prompt caches work across).
/// </summary>
public sealed class ResponseCache(TimeProvider time)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromHours(1);
    public const int MaxEntries = 10_000;
    public const int MaxEntryChars = 256 * 1024;

    public sealed record Entry(ModelResult Answer, string OutputHash, DateTimeOffset StoredAt);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public Entry? Get(PromptCacheKey key)
    {
        if (!_entries.TryGetValue(key.Value, out var entry)) return null;
        if (time.GetUtcNow() - entry.StoredAt < Ttl) return entry;
        _entries.TryRemove(new KeyValuePair<string, Entry>(key.Value, entry));
        return null;
    }

    /// <summary>Keeps a finished answer (stop or tool calls) that is small enough; a truncated or filtered one is never kept.</summary>
    public bool Set(PromptCacheKey key, ModelResult recorded, string outputHash)
    {
        if (recorded.FinishReason is not (FinishReason.Stop or FinishReason.ToolCalls)) return false;
        if (recorded.Content.Length + recorded.ToolCalls.Sum(c => c.ArgumentsJson.Length) > MaxEntryChars) return false;
        if (_entries.Count >= MaxEntries) Evict();
        _entries[key.Value] = new Entry(recorded, outputHash, time.GetUtcNow());
        return true;
    }

    public int Count => _entries.Count;

    /// <summary>Forgets an organization's answers (its guardrails or connections changed).</summary>
    public void Forget(Guid orgId)
    {
        var prefix = orgId.ToString("D") + ":";
        foreach (var key in _entries.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))) _entries.TryRemove(key, out _);
    }

    private void Evict()
    {
        foreach (var (key, _) in _entries.OrderBy(e => e.Value.StoredAt).Take(MaxEntries / 2).ToList()) _entries.TryRemove(key, out _);
    }
}
