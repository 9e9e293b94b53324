using System.Collections.Concurrent;
using AgentOps.Audit;

namespace AgentOps.Agents;

/// <summary>An agent as the front door needs it: its id and status, and the profile policies read (agent.type, agent.tags, ...).</summary>
public sealed record AgentRef(Guid Id, string Name, string Status)
{
    public string Type { get; init; } = "custom";
    public string[] Tags { get; init; } = [];
    public string? Environment { get; init; }
    public string? Team { get; init; }

    public const string Columns = "id, name, status, type, tags, environment, team";

    public static AgentRef Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetString(2))
    {
        Type = r.GetString(3), Tags = (string[])r[4], Environment = r.NullableString(5), Team = r.NullableString(6),
    };
}

/// <summary>
/// Resolves the agents named in ingest traffic (by id or name) to their id and status, with a cache so the front door
/// does not ask the database on every request. An entry lives <see cref="Freshness"/>: a pause takes effect on ingest
/// within that time everywhere (at once on the replica that made it, which invalidates its cache).
/// </summary>
public sealed class AgentDirectory(Db db, TimeProvider time)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    /// <summary>Auto-registered agents per request, at most: a runaway client cannot flood the registry in one call.</summary>
    public const int MaxRegistrationsPerRequest = 20;

    private readonly ConcurrentDictionary<(Guid Org, string Key), (DateTimeOffset At, AgentRef? Agent)> _cache = new();

    /// <summary>Above this many entries, stale ones are swept before adding more (the cache cannot grow without bound).</summary>
    public const int MaxEntries = 50_000;

    public async Task<IReadOnlyDictionary<string, AgentRef?>> ResolveAsync(Guid orgId, IReadOnlyCollection<string> keys, Actor? registrar, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_cache.Count > MaxEntries) Sweep(now);
        var result = new Dictionary<string, AgentRef?>(StringComparer.Ordinal);
        var stale = new List<string>();
        foreach (var key in keys)
            if (_cache.TryGetValue((orgId, key), out var hit) && now - hit.At < Freshness) result[key] = hit.Agent;
            else stale.Add(key);
        if (stale.Count == 0) return result;

        var found = await db.InOrgAsync(orgId, async tx =>
        {
            var rows = await LookupAsync(tx, stale, ct);
            var missing = stale.Where(k => !Guid.TryParse(k, out _) && !rows.ContainsKey(k)).Take(MaxRegistrationsPerRequest).ToList();
            if (registrar is not null && missing.Count > 0)
            {
                // Concurrent requests may register the same name: the unique key decides, and both read the winner.
                var registered = await tx.ListAsync($$"""
                    INSERT INTO agents (id, org_id, name, auto_registered, status, paused_by_kill_switch)
                    SELECT gen_random_uuid(), $1, name, true, CASE WHEN k.killed THEN 'paused' ELSE 'active' END, k.killed
                    FROM unnest($2::text[]) AS name, (SELECT killed_at IS NOT NULL AS killed FROM organizations WHERE id = $1 FOR SHARE) k
                    ORDER BY name
                    ON CONFLICT (org_id, name) DO NOTHING
                    RETURNING {{AgentRef.Columns}}
                    """, AgentRef.Read, ct, orgId, missing.ToArray());
                foreach (var agent in registered)
                    await AuditLog.RecordAsync(tx, registrar, "agent.registered", "agent", agent.Id, null, new { agent.Name, auto_registered = true }, ct);
                if (registered.Count < missing.Count) foreach (var (k, v) in await LookupAsync(tx, missing, ct)) rows[k] = v;
                else foreach (var agent in registered) rows[agent.Name] = agent;
            }
            return rows;
        }, ct);

        foreach (var key in stale)
        {
            var agent = found.GetValueOrDefault(key);
            // Only hits are cached: names that do not exist (a client's typos, or a flood of made-up names) cost a query, not memory.
            if (agent is not null) _cache[(orgId, key)] = (now, agent);
            result[key] = agent;
        }
        return result;
    }

    private static async Task<Dictionary<string, AgentRef>> LookupAsync(Tx tx, IReadOnlyCollection<string> keys, CancellationToken ct)
    {
        var ids = keys.Select(k => Guid.TryParse(k, out var id) ? id : (Guid?)null).Where(id => id is not null).Select(id => id!.Value).ToArray();
        var rows = await tx.ListAsync($"SELECT {AgentRef.Columns} FROM agents WHERE name = ANY($1) OR id = ANY($2)",
            AgentRef.Read, ct, keys.ToArray(), ids);
        var byKey = new Dictionary<string, AgentRef>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            byKey[row.Name] = row;
            byKey[row.Id.ToString()] = row;
        }
        // An id key may be written in upper case or braces: map the caller's spelling too.
        foreach (var key in keys)
            if (Guid.TryParse(key, out var id) && rows.FirstOrDefault(r => r.Id == id) is { } match) byKey[key] = match;
        return byKey;
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, entry) in _cache)
            if (now - entry.At >= Freshness) _cache.TryRemove(key, out _);
        if (_cache.Count > MaxEntries) _cache.Clear(); // all fresh yet too many: start over rather than grow
    }

    /// <summary>Forget what this replica knows of an organization's agents (after a change through the API).</summary>
    public void Invalidate(Guid orgId)
    {
        foreach (var key in _cache.Keys.Where(k => k.Org == orgId)) _cache.TryRemove(key, out _);
    }
}
