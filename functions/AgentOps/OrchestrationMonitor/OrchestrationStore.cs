using AgentOps.Jobs;

namespace AgentOps.OrchestrationMonitor;

/// <summary>What owns an instance in this organization: its job.</summary>
public sealed record Owner(string Type, Guid Id, string Kind, string Status);

/// <summary>
/// The rows through which the organization reaches its orchestration instances (today its jobs: instance id = job id),
/// read in the caller's transaction and organization. Jobs owns the table; the monitor only reads it.
/// </summary>
public static class OrchestrationStore
{
    private static Owner ReadOwner(NpgsqlDataReader r) => new("job", r.GetGuid(0), r.GetString(1), r.GetString(2));

    /// <summary>The instance's owner; locked when <paramref name="forUpdate"/>, so concurrent operations on the instance take turns.</summary>
    public static Task<Owner?> OwnerAsync(Tx tx, Guid id, bool forUpdate, CancellationToken ct) =>
        tx.SingleAsync($"SELECT j.id, j.kind, j.status FROM jobs j WHERE j.id = $1 AND j.org_id = $2{(forUpdate ? " FOR UPDATE" : "")}", ReadOwner, ct, id, tx.OrgId);

    /// <summary>
    /// Owners newest first (v7 ids order by creation) below <paramref name="before"/> (none: from the newest), scheduled
    /// jobs left out (they have no instance yet). From/to: when the job was created; instance: the start of an instance id.
    /// </summary>
    public static Task<List<Owner>> PageOwnersAsync(Tx tx, Guid before, string? kind, DateTimeOffset? from, DateTimeOffset? to, string? instancePrefix, int take,
        CancellationToken ct) =>
        tx.ListAsync("""
            SELECT j.id, j.kind, j.status FROM jobs j
            WHERE j.org_id = $1 AND ($2 = '00000000-0000-0000-0000-000000000000'::uuid OR j.id < $2) AND j.status <> 'scheduled'
              AND ($3::text IS NULL OR j.kind = $3) AND ($4::timestamptz IS NULL OR j.created_at >= $4) AND ($5::timestamptz IS NULL OR j.created_at < $5)
              AND ($6::text IS NULL OR j.id::text LIKE $6 || '%')
            ORDER BY j.id DESC LIMIT $7
            """, ReadOwner, ct, tx.OrgId, before, kind, from, to, instancePrefix, take);

    /// <summary>Owners created in [<paramref name="createdAfter"/>, <paramref name="createdBefore"/>), oldest first after <paramref name="after"/>.</summary>
    public static Task<List<Owner>> PurgeCandidatesAsync(Tx tx, DateTimeOffset? createdBefore, DateTimeOffset? createdAfter, Guid after, int take, CancellationToken ct) =>
        tx.ListAsync("""
            SELECT j.id, j.kind, j.status FROM jobs j
            WHERE j.org_id = $1 AND j.status <> 'scheduled' AND j.created_at < $2 AND ($3::timestamptz IS NULL OR j.created_at >= $3) AND j.id > $4
            ORDER BY j.id LIMIT $5
            """, ReadOwner, ct, tx.OrgId, createdBefore, createdAfter, after, take);

    public static Task<Job?> JobAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {Job.Columns} FROM jobs j WHERE j.id = $1", Job.Read, ct, id);
}
