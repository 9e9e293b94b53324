using AgentOps.Audit;

namespace AgentOps.Policies;

/// <summary>
/// Policies' use cases: create, list, read (with versions), change (a new version each time), delete (history stays).
/// Every change is audited and snapshotted as a version; the checks on this replica see it at once (other replicas
/// within <see cref="OrgPolicyCache.Freshness"/>).
/// </summary>
public sealed class PolicyService(Db db, OrgPolicyCache cache)
{
    public async Task<PolicyView> CreateAsync(Caller caller, PolicyDraft draft, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        var created = await NamedAsync(db.InOrgAsync(caller.OrgId, async tx =>
        {
            var created = await PolicyStore.InsertAsync(tx, id, draft, ct);
            await PolicyStore.SnapshotAsync(tx, created, caller.ActorId, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "policy.created", "policy", id, null, created, ct);
            return created;
        }, ct));
        cache.Invalidate(caller.OrgId);
        return created;
    }

    public Task<List<PolicyView>> PageAsync(Guid orgId, bool? active, Guid after, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => PolicyStore.PageAsync(tx, active, after, take, ct), ct);

    public async Task<PolicyView> GetAsync(Guid orgId, Guid id, CancellationToken ct) =>
        await db.InOrgAsync(orgId, tx => PolicyStore.ReadAsync(tx, id, ct), ct) ?? throw DomainError.NotFound("policy");

    public Task<PolicyDetail> GetWithVersionsAsync(Guid orgId, Guid id, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx => new PolicyDetail(await PolicyStore.ReadAsync(tx, id, ct) ?? throw DomainError.NotFound("policy"),
            await PolicyStore.VersionsAsync(tx, id, ct)), ct);

    /// <summary>Applies <paramref name="edit"/> (which may refuse as invalid) to the policy as it is, locked; the result is its next version.</summary>
    public async Task<PolicyView> UpdateAsync(Caller caller, Guid id, Func<PolicyView, PolicyDraft> edit, CancellationToken ct)
    {
        var after = await NamedAsync(db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await PolicyStore.LockAsync(tx, id, ct) ?? throw DomainError.NotFound("policy");
            var after = await PolicyStore.UpdateAsync(tx, id, edit(before), ct);
            await PolicyStore.SnapshotAsync(tx, after, caller.ActorId, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "policy.updated", "policy", id, before, after, ct);
            return after;
        }, ct));
        cache.Invalidate(caller.OrgId);
        return after;
    }

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
