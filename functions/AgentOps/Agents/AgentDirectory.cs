using AgentOps.Audit;
using AgentOps.Contracts;
using AgentOps.Platform.Events;
using Microsoft.Extensions.Logging;

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
/// Resolves the agents named in ingest traffic and policy checks (by id or name) to their id and status, through a
/// <see cref="ReadCache{TKey,TValue}"/> so the front door does not ask the database on every request: a pause takes
/// effect everywhere within <see cref="Freshness"/>, and at once on the replica that made it (which invalidates).
/// </summary>
public sealed class AgentDirectory(Db db, TimeProvider time, ILogger<AgentDirectory> logger)
    : IAfterCommit<AgentsStopped>, IAfterCommit<AgentsResumed>, IAfterCommit<KillSwitchPulled>, IAfterCommit<KillSwitchLifted>
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    /// <summary>Auto-registered agents per request, at most: a runaway client cannot flood the registry in one call.</summary>
    public const int MaxRegistrationsPerRequest = 20;

    /// <summary>Cached agents at most; above it stale entries are swept (the cache cannot grow without bound).</summary>
    public const int MaxEntries = 50_000;

    private readonly ReadCache<(Guid Org, string Key), AgentRef> _cache = new(Freshness, MaxEntries);

    public async Task<IReadOnlyDictionary<string, AgentRef?>> ResolveAsync(Guid orgId, IReadOnlyCollection<string> keys, Actor? registrar, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var result = new Dictionary<string, AgentRef?>(keys.Count, StringComparer.Ordinal);
        List<string>? missed = null;
        List<(string Key, ReadCache<(Guid, string), AgentRef>.Entry Entry)>? ageing = null;
        foreach (var key in keys)
            if (_cache.TryGet((orgId, key), now, out var agent, out var refresh))
            {
                result[key] = agent;
                if (refresh is not null) (ageing ??= []).Add((key, refresh));
            }
            else (missed ??= []).Add(key);
        if (ageing is not null) _ = RefreshAsync(orgId, ageing);
        if (missed is null) return result;

        var generation = _cache.Generation;
        var found = await db.InOrgAsync(orgId, async tx =>
        {
            var rows = await LookupAsync(tx, missed, ct);
            var missing = missed.Where(k => !Guid.TryParse(k, out _) && !rows.ContainsKey(k)).Take(MaxRegistrationsPerRequest).ToList();
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

        foreach (var key in missed)
        {
            var agent = found.GetValueOrDefault(key);
            // Only hits are cached: names that do not exist (a client's typos, or a flood of made-up names) cost a query, not memory.
            if (agent is not null) _cache.Store((orgId, key), agent, now, generation);
            result[key] = agent;
        }
        return result;
    }

    /// <summary>Re-reads ageing entries off the request path; on failure they stay and expire as usual.</summary>
    private async Task RefreshAsync(Guid orgId, List<(string Key, ReadCache<(Guid, string), AgentRef>.Entry Entry)> ageing)
    {
        try
        {
            var readAt = time.GetUtcNow();
            var generation = _cache.Generation;
            var rows = await db.InOrgAsync(orgId, tx => LookupAsync(tx, [.. ageing.Select(a => a.Key)], CancellationToken.None), CancellationToken.None);
            foreach (var (key, entry) in ageing) _cache.Refreshed((orgId, key), entry, rows.GetValueOrDefault(key), readAt, generation);
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not refresh the agents of organization {OrgId}: {Error}", orgId, SafeErrors.Message(e));
        }
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

    /// <summary>Forget what this replica knows of an organization's agents (after a change through the API).</summary>
    public void Invalidate(Guid orgId) => _cache.Forget((key, _) => key.Org == orgId);

    // A change of status anywhere (the buttons, a budget, the kill switch) is seen at once on this replica, within
    // Freshness on the others.
    public void Committed(Guid orgId, AgentsStopped e) => Invalidate(orgId);
    public void Committed(Guid orgId, AgentsResumed e) => Invalidate(orgId);
    public void Committed(Guid orgId, KillSwitchPulled e) => Invalidate(orgId);
    public void Committed(Guid orgId, KillSwitchLifted e) => Invalidate(orgId);
}
