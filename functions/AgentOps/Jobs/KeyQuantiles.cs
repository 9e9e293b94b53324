namespace AgentOps.Jobs;

/// <summary>
/// Plans one source of a tenant table keyed by (org_id, id): counts the rows in the job's slice and cuts them at the
/// quantiles of their ids (percentile_disc, in the database's own key order) into as many shards as the parallelism
/// and batch size call for. One index-only pass; no OFFSET.
/// </summary>
public static class KeyQuantiles
{
    /// <param name="table">events or runs (a fixed name from code, never from input).</param>
    /// <param name="changedColumn">restricts to rows changed in (changedAfter, changedUpTo]; null: every row.</param>
    public static async Task<SourcePlan> PlanAsync(Tx tx, string source, string table, string? changedColumn, DateTimeOffset? changedAfter,
        DateTimeOffset? changedUpTo, Job job, CancellationToken ct)
    {
        var where = changedColumn is null
            ? "WHERE org_id = $1"
            : $"WHERE org_id = $1 AND ($2::timestamptz IS NULL OR {changedColumn} > $2) AND {changedColumn} <= $3";
        object?[] args = changedColumn is null ? [tx.OrgId] : [tx.OrgId, changedAfter, changedUpTo];
        var rows = await tx.ScalarAsync<long>($"SELECT count(*) FROM {table} {where}", ct, args);
        var shards = ShardPlanner.ShardCount(rows, job.BatchSize, job.Parallelism);
        if (shards <= 1) return new SourcePlan(source, rows, []);
        var cuts = await tx.ScalarAsync<string[]>($"SELECT percentile_disc(${args.Length + 1}::float8[]) WITHIN GROUP (ORDER BY id) FROM {table} {where}",
            ct, [.. args, ShardPlanner.Fractions(shards)]);
        return new SourcePlan(source, rows, cuts ?? []);
    }
}
