using AgentOps.Audit;
using AgentOps.Contracts;

namespace AgentOps.Tenancy;

/// <summary>
/// The caller's organization: its profile (name, time zone, ingest rate). A change is audited and announced
/// (<see cref="OrganizationUpdated"/>: ingest forgets the organization's rate once it committed).
/// </summary>
public sealed class OrgService(Db db)
{
    public async Task<OrgView> GetAsync(Guid orgId, CancellationToken ct) =>
        await db.InOrgAsync(orgId, tx => TenancyStore.ReadOrganizationAsync(tx, false, ct), ct) ?? throw DomainError.NotFound("organization");

    /// <summary>Applies <paramref name="edit"/> to the profile as it is (locked). A change that changes nothing writes (and audits) nothing.</summary>
    public Task<OrgView> UpdateAsync(Caller caller, Func<OrgView, OrgView> edit, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await TenancyStore.ReadOrganizationAsync(tx, true, ct) ?? throw DomainError.NotFound("organization");
            var wanted = edit(before);
            if (wanted == before) return before;
            var after = await TenancyStore.UpdateProfileAsync(tx, wanted, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "org.updated", "organization", caller.OrgId, before, after, ct);
            await tx.RaiseAsync(new OrganizationUpdated(), ct);
            return after;
        }, ct);
}
