using System.Text.Json;
using AgentOps.Audit;

namespace AgentOps.Agents;

/// <summary>
/// The agent registry's use cases: register, list and read (with last-24-hour stats), change, archive (history stays).
/// Refusals are <see cref="DomainError"/>s; every change is audited, a change of status announced like the controls'
/// (<see cref="AgentStatus.Announce"/>), and this replica's directory forgets the organization once it committed.
/// </summary>
public sealed class AgentService(Db db, AgentDirectory directory)
{
    public async Task<AgentView> CreateAsync(Caller caller, AgentFields fields, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        var agent = await NamedAsync(() => db.InOrgAsync(caller.OrgId, async tx =>
        {
            var created = await AgentStore.InsertAsync(tx, id, fields, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "agent.created", "agent", id, null, created, ct);
            return created;
        }, ct));
        directory.Invalidate(caller.OrgId);
        return agent;
    }

    public Task<List<AgentView>> PageAsync(Guid orgId, AgentFilter filter, Guid after, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => AgentStore.PageAsync(tx, filter, after, take, ct), ct);

    public async Task<AgentView> GetAsync(Guid orgId, Guid id, CancellationToken ct) =>
        await db.InOrgAsync(orgId, tx => AgentStore.ReadWithStatsAsync(tx, id, ct), ct) ?? throw DomainError.NotFound("agent");

    /// <summary>
    /// Applies <paramref name="edit"/> to the agent as it is (locked). Pausing and resuming here are emergency controls:
    /// they need the Controls permission, and nothing resumes while the kill switch is on. A change that changes
    /// nothing writes (and audits) nothing.
    /// </summary>
    public async Task<AgentView> UpdateAsync(Caller caller, Guid id, Func<AgentView, AgentFields> edit, CancellationToken ct)
    {
        var agent = await NamedAsync(() => db.InOrgAsync(caller.OrgId, async tx =>
        {
            var (killed, before) = await AgentStore.LockAsync(tx, id, ct);
            if (before is null) throw DomainError.NotFound("agent");
            var wanted = edit(before);
            if (wanted.Status is "active" or "paused" && wanted.Status != before.Status)
            {
                if (!Rbac.Allows(caller, Permission.Controls))
                    throw DomainError.Forbidden("forbidden", "Pausing and resuming agents needs the Controls permission (team leads and admins).");
                if (wanted.Status == "active" && killed)
                    throw DomainError.Conflict("org_killed", "The organization's kill switch is on: lift it with resume-all first.");
            }
            var after = await AgentStore.UpdateAsync(tx, id, wanted, ct);
            if (JsonSerializer.Serialize(before with { UpdatedAt = default }, Json.Options) == JsonSerializer.Serialize(after with { UpdatedAt = default }, Json.Options))
                return before;
            await AuditLog.RecordAsync(tx, Actor.Of(caller), after.Status != before.Status ? $"agent.{StatusVerb(after.Status)}" : "agent.updated",
                "agent", id, before, after, ct);
            // Paused (or archived) here as by the pause button: the same event, so nothing waits on an approval for it.
            await AgentStatus.Announce(tx, Actor.Of(caller), id, before.Status, after.Status, ct);
            return after;
        }, ct));
        directory.Invalidate(caller.OrgId);
        return agent;
    }

    /// <summary>Archives the agent (again: nothing changes); its pending approvals are rejected like a pause's.</summary>
    public async Task ArchiveAsync(Caller caller, Guid id, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var (_, before) = await AgentStore.LockAsync(tx, id, ct);
            if (before is null) throw DomainError.NotFound("agent");
            if (before.Status == "archived") return;
            var after = await AgentStore.ArchiveAsync(tx, id, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "agent.archived", "agent", id, before, after, ct);
            await AgentStatus.Announce(tx, Actor.Of(caller), id, before.Status, after.Status, ct);
        }, ct);
        directory.Invalidate(caller.OrgId);
    }

    private static string StatusVerb(string status) => status switch { "paused" => "paused", "archived" => "archived", _ => "resumed" };

    /// <summary>A name taken in the organization is a conflict, whichever write found it.</summary>
    private static async Task<AgentView> NamedAsync(Func<Task<AgentView>> write)
    {
        try { return await write(); }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: AgentStore.NameKey })
        {
            throw DomainError.Conflict("agent_exists", "An agent with this name exists in this organization.");
        }
    }
}
