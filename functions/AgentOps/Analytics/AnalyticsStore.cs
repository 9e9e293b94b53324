namespace AgentOps.Analytics;

/// <summary>
/// The Postgres reads the analytics answers need beside the aggregates (<see cref="IAnalytics"/>, whichever store
/// answers them), in the caller's transaction and organization.
/// </summary>
public static class AnalyticsStore
{
    /// <summary>The names of those of <paramref name="agentIds"/> that are agents of the organization (ClickHouse keeps ids only).</summary>
    public static async Task<Dictionary<Guid, string>> AgentNamesAsync(Tx tx, Guid[] agentIds, CancellationToken ct) =>
        (await tx.ListAsync("SELECT id, name FROM agents WHERE org_id = $1 AND id = ANY($2)", r => (Id: r.GetGuid(0), Name: r.GetString(1)), ct, tx.OrgId, agentIds))
            .ToDictionary(n => n.Id, n => n.Name);
}
