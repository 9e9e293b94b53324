using System.Text.Json;
using AgentOps.Audit;

namespace AgentOps.Policies;

public sealed record Evidence(string Path, string Field, string Operator, JsonElement? Value, JsonElement? Actual);
public sealed record EvaluateResponse(bool Matches, string Action, string Decision, IReadOnlyList<Evidence> Evidence);

/// <summary>
/// Policies' use cases: create, list, read (with versions), change (a new version each time), delete (history stays).
/// Every change is audited and snapshotted as a version; the checks on this replica see it at once (other replicas
/// within <see cref="OrgPolicyCache.Freshness"/>).
/// </summary>
public sealed class PolicyService(Db db, OrgPolicyCache cache)
{
    public Task<PolicyView> CreateAsync(Caller caller, PolicyDraft draft, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        return ChangeAsync(caller, "policy.created", id, async tx => (null, await PolicyStore.InsertAsync(tx, id, draft, ct)), ct);
    }

    public Task<List<PolicyView>> PageAsync(Guid orgId, bool? active, Guid after, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => PolicyStore.PageAsync(tx, active, after, take, ct), ct);

    public async Task<PolicyView> GetAsync(Guid orgId, Guid id, CancellationToken ct) =>
        await db.InOrgAsync(orgId, tx => PolicyStore.ReadAsync(tx, id, ct), ct) ?? throw DomainError.NotFound("policy");

    public Task<PolicyDetail> GetWithVersionsAsync(Guid orgId, Guid id, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx => new PolicyDetail(await PolicyStore.ReadAsync(tx, id, ct) ?? throw DomainError.NotFound("policy"),
            await PolicyStore.VersionsAsync(tx, id, ct)), ct);

    /// <summary>Applies <paramref name="edit"/> (which may refuse as invalid) to the policy as it is, locked; the result is its next version.</summary>
    public Task<PolicyView> UpdateAsync(Caller caller, Guid id, Func<PolicyView, PolicyDraft> edit, CancellationToken ct) =>
        ChangeAsync(caller, "policy.updated", id, async tx =>
        {
            var before = await PolicyStore.LockAsync(tx, id, ct) ?? throw DomainError.NotFound("policy");
            return (before, await PolicyStore.UpdateAsync(tx, id, edit(before), ct));
        }, ct);

    public async Task DeleteAsync(Caller caller, Guid id, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await PolicyStore.LockAsync(tx, id, ct) ?? throw DomainError.NotFound("policy");
            await PolicyStore.DeleteAsync(tx, id, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "policy.deleted", "policy", id, before, null, ct);
        }, ct);
        cache.Invalidate(caller.OrgId);
    }

    /// <summary>
    /// A dry run: evaluates the policy on a sample context (an object: agent, run, action, context) and returns the
    /// comparisons that held, as evidence. Nothing is recorded.
    /// </summary>
    public async Task<EvaluateResponse> EvaluateAsync(Guid orgId, Guid id, JsonElement context, CancellationToken ct)
    {
        var policy = await GetAsync(orgId, id, ct);
        var condition = PolicyRules.Parse(policy.Conditions).Condition!;
        var matches = PolicyEngine.Holds(condition, context);
        var evidence = PolicyEngine.Evidence(condition, context)
            .Select(c => new Evidence(c.Source, c.Field, PolicyRules.ToWire(c.Operator), c.Value, PolicyEngine.Lookup(context, c.Path)?.Clone())).ToList();
        return new EvaluateResponse(matches, policy.Action, matches ? policy.Action : "allow", evidence);
    }

    /// <summary>
    /// A new version, whichever the change: <paramref name="write"/> stores it, then it is snapshotted and audited in
    /// the same transaction, and this replica's checks forget the organization's policies once it committed.
    /// </summary>
    private async Task<PolicyView> ChangeAsync(Caller caller, string action, Guid id, Func<Tx, Task<(PolicyView? Before, PolicyView After)>> write,
        CancellationToken ct)
    {
        var after = await NamedAsync(db.InOrgAsync(caller.OrgId, async tx =>
        {
            var (before, after) = await write(tx);
            await PolicyStore.SnapshotAsync(tx, after, caller.ActorId, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), action, "policy", id, before, after, ct);
            return after;
        }, ct));
        cache.Invalidate(caller.OrgId);
        return after;
    }

    /// <summary>A name another policy of the organization has, on create and on rename alike: a conflict, nothing changed.</summary>
    private static async Task<PolicyView> NamedAsync(Task<PolicyView> write)
    {
        try { return await write; }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: PolicyStore.NameKey })
        {
            throw DomainError.Conflict("policy_exists", "A policy with this name exists in this organization.");
        }
    }
}
