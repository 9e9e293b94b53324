using System.Collections.Concurrent;
using System.Text.Json;
using AgentOps.Contracts;
using AgentOps.Platform.Events;
using Microsoft.Extensions.Logging;

namespace AgentOps.Policies;

/// <summary>What the check needs of an organization, read in one transaction: is the kill switch on, and its active policies compiled.</summary>
public sealed record OrgPolicySnapshot(bool Killed, PolicySet Set, IReadOnlyDictionary<Guid, (PolicyRule Rule, int Version)> Policies)
{
    public PolicyRef Ref(PolicyRule rule) => new(rule.Id, rule.Name, Policies[rule.Id].Version);
}

/// <summary>
/// The organization's kill-switch flag and compiled active policies for the check, cached per organization for
/// <see cref="Freshness"/> (1 s, like <see cref="Agents.AgentDirectory"/>): a change made on another replica (a policy
/// edit, the kill switch) is seen within that time; the replica that made it calls <see cref="Invalidate"/> (or, for
/// the kill switch, <see cref="SetKilled"/>) after its commit, so there it applies to the very next check.
/// <para>One load per organization at a time (single flight): when an entry goes stale, the first check starts the
/// load and the concurrent ones await the same load instead of stampeding the database. An entry is published before
/// its load starts, so an invalidation can never be overwritten by a load that read the database before the change.</para>
/// <para>Refresh ahead: once an entry is half its freshness old, the next check starts a reload in the background and
/// keeps answering from the entry (still fresh); the reload replaces it when done. Under steady traffic no check waits
/// for the database, and none is answered from data older than <see cref="Freshness"/>: past it, checks wait.</para>
/// Policies whose id and version did not change since the last load are not parsed and compiled again.
/// </summary>
public sealed class OrgPolicyCache(Db db, TimeProvider time, ILogger<OrgPolicyCache> logger) : IAfterCommit<KillSwitchPulled>, IAfterCommit<KillSwitchLifted>
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan RefreshAfter = Freshness / 2;

    /// <summary>Above this many organizations, stale entries are dropped before adding more.</summary>
    public const int MaxEntries = 10_000;

    /// <summary>A class, not a record: the dictionary's compare-and-swap must compare identities.</summary>
    private sealed class Entry(DateTimeOffset startedAt, TaskCompletionSource<OrgPolicySnapshot> result)
    {
        public DateTimeOffset StartedAt { get; } = startedAt;
        public TaskCompletionSource<OrgPolicySnapshot> Result { get; } = result;
        /// <summary>1 once a background refresh of this entry started (one per entry).</summary>
        public int Refreshing;
    }

    private readonly ConcurrentDictionary<Guid, Entry> _entries = new();

    public Task<OrgPolicySnapshot> GetAsync(Guid orgId, CancellationToken ct)
    {
        while (true)
        {
            var now = time.GetUtcNow();
            _entries.TryGetValue(orgId, out var current);
            if (current is not null && now - current.StartedAt < Freshness && !current.Result.Task.IsFaulted)
            {
                if (current.Result.Task.IsCompletedSuccessfully && now - current.StartedAt >= RefreshAfter && Interlocked.Exchange(ref current.Refreshing, 1) == 0)
                    _ = RefreshAsync(orgId, current, now);
                return current.Result.Task.IsCompletedSuccessfully ? current.Result.Task : current.Result.Task.WaitAsync(ct);
            }

            if (current is null && _entries.Count >= MaxEntries) Sweep(now);
            var fresh = new Entry(now, new TaskCompletionSource<OrgPolicySnapshot>(TaskCreationOptions.RunContinuationsAsynchronously));
            var won = current is null ? _entries.TryAdd(orgId, fresh) : _entries.TryUpdate(orgId, fresh, current);
            if (!won) continue; // someone else started a load: take theirs
            var previous = current?.Result.Task is { IsCompletedSuccessfully: true } done ? done.Result : null;
            // The load belongs to everyone waiting on it, so it does not take this request's cancellation.
            _ = LoadAsync(orgId, fresh, previous);
            return fresh.Result.Task.WaitAsync(ct);
        }
    }

    /// <summary>Forget what this replica knows of the organization (after a policy change commits): the next check loads.</summary>
    public void Invalidate(Guid orgId) => _entries.TryRemove(orgId, out _);

    /// <summary>
    /// After the kill switch or resume-all commits on this replica: the cached snapshot takes the organization's new
    /// flag at once, so checks go on being answered from memory. Forgetting it instead made every check on the
    /// replica wait for the reload — all of those sent while the switch was pulled under 1,000 checks/s came back up to
    /// ~130 ms late (./agentops bench policy). An entry still loading may have read the flag before the change: it is
    /// forgotten, and the next check loads. A refresh that started before the change compares against the entry this
    /// replaces, so it can no longer overwrite it.
    /// </summary>
    public void SetKilled(Guid orgId, bool killed)
    {
        while (_entries.TryGetValue(orgId, out var current))
        {
            if (!current.Result.Task.IsCompletedSuccessfully)
            {
                if (_entries.TryRemove(new KeyValuePair<Guid, Entry>(orgId, current))) return;
                continue;
            }
            var updated = new Entry(current.StartedAt, new TaskCompletionSource<OrgPolicySnapshot>(TaskCreationOptions.RunContinuationsAsynchronously));
            updated.Result.SetResult(current.Result.Task.Result with { Killed = killed });
            if (_entries.TryUpdate(orgId, updated, current)) return;
        }
    }

    public void Committed(Guid orgId, KillSwitchPulled e) => SetKilled(orgId, true);
    public void Committed(Guid orgId, KillSwitchLifted e) => SetKilled(orgId, false);

    /// <summary>
    /// Loads a successor off the request path and puts it in place of the entry, unless the entry was replaced or
    /// invalidated meanwhile (then the successor may predate a change: it is dropped). On failure the entry stays and
    /// expires as usual.
    /// </summary>
    private async Task RefreshAsync(Guid orgId, Entry current, DateTimeOffset startedAt)
    {
        try
        {
            var snapshot = await db.InOrgAsync(orgId, tx => ReadAsync(tx, current.Result.Task.Result, CancellationToken.None), CancellationToken.None);
            var successor = new Entry(startedAt, new TaskCompletionSource<OrgPolicySnapshot>(TaskCreationOptions.RunContinuationsAsynchronously));
            successor.Result.SetResult(snapshot);
            _entries.TryUpdate(orgId, successor, current);
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not refresh the policies of organization {OrgId}: {Error}", orgId, SafeErrors.Message(e));
        }
    }

    private async Task LoadAsync(Guid orgId, Entry entry, OrgPolicySnapshot? previous)
    {
        try
        {
            entry.Result.TrySetResult(await db.InOrgAsync(orgId, tx => ReadAsync(tx, previous, CancellationToken.None), CancellationToken.None));
        }
        catch (Exception e)
        {
            // The next check tries again rather than every check failing for Freshness.
            _entries.TryRemove(new KeyValuePair<Guid, Entry>(orgId, entry));
            logger.LogWarning("Could not load the policies of organization {OrgId}: {Error}", orgId, SafeErrors.Message(e));
            entry.Result.TrySetException(e);
        }
    }

    private sealed record Row(Guid Id, string Name, int Priority, string Action, string Conditions, string[] ApprovalFrom, int? TimeoutMinutes, int Version);

    private static async Task<OrgPolicySnapshot> ReadAsync(Tx tx, OrgPolicySnapshot? previous, CancellationToken ct)
    {
        var killed = await tx.ScalarAsync<DateTime?>("SELECT killed_at FROM organizations WHERE id = $1", ct, tx.OrgId) is not null;
        var rows = await tx.ListAsync("""
            SELECT id, name, priority, action, conditions::text, approval_required_from, timeout_minutes, version
            FROM policies WHERE org_id = $1 AND active ORDER BY id
            """, r => new Row(r.GetGuid(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetString(4), (string[])r[5],
            r.IsDBNull(6) ? null : r.GetInt32(6), r.GetInt32(7)), ct, tx.OrgId);

        var unchanged = previous is not null && previous.Policies.Count == rows.Count
            && rows.All(r => previous.Policies.TryGetValue(r.Id, out var p) && p.Version == r.Version);
        if (unchanged) return previous! with { Killed = killed };

        var policies = new Dictionary<Guid, (PolicyRule Rule, int Version)>(rows.Count);
        foreach (var row in rows)
        {
            if (previous?.Policies.TryGetValue(row.Id, out var known) == true && known.Version == row.Version) { policies[row.Id] = known; continue; }
            // Stored policies were validated when written; one that no longer parses (a rule tightened later) is skipped, not fatal.
            var (condition, errors) = PolicyRules.Parse(JsonDocument.Parse(row.Conditions).RootElement);
            if (condition is null || errors.Count > 0 || PolicyRules.ParseAction(row.Action) is not { } action) continue;
            policies[row.Id] = (new PolicyRule(row.Id, row.Name, row.Priority, action, condition, row.ApprovalFrom, row.TimeoutMinutes), row.Version);
        }
        return new OrgPolicySnapshot(killed, new PolicySet(policies.Values.Select(p => p.Rule)), policies);
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
            if (now - entry.StartedAt >= Freshness) _entries.TryRemove(new KeyValuePair<Guid, Entry>(key, entry));
    }
}
