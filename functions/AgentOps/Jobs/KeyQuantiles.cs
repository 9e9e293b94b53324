namespace AgentOps.Jobs;

/// <summary>
/// Plans one source of a tenant table keyed by (org_id, id): counts the rows in the job's slice and cuts them at the
/// quantiles of their ids (percentile_disc, in the database's own key order) into as many shards as the parallelism
/// and batch size call for. No OFFSET. A large slice is cut at the quantiles of a page sample of it: shards need to be
/// about even, not exactly even, and sorting every key of 2M events took 2.8 s of the database's CPU before the
/// first shard could start (measured in ./agentops bench export); the sample takes milliseconds.
/// </summary>
public static class KeyQuantiles
{
    /// <summary>Up to this many rows, the cuts are exact quantiles of every key.</summary>
    public const long ExactUpToRows = 100_000;

    /// <summary>About how many rows of a larger slice the sample reads (quantiles of 20k keys land within about 1% of
    /// the exact ones for even keys; page sampling of clustered keys is coarser, and still only sets shard sizes).</summary>
    public const int SampleRows = 20_000;

    /// <summary>A sample with fewer matching rows than this per shard (the slice's rows sit in few pages) is not used:
    /// the cuts are then exact.</summary>
    private const int MinSampleRowsPerShard = 50;

    /// <param name="table">events or runs (a fixed name from code, never from input).</param>
    /// <param name="changedColumn">restricts to rows changed in (changedAfter, changedUpTo]; null: every row.</param>
    /// <param name="exactUpToRows">the sampling threshold (tests lower it).</param>
    public static async Task<SourcePlan> PlanAsync(Tx tx, string source, string table, string? changedColumn, DateTimeOffset? changedAfter,
        DateTimeOffset? changedUpTo, Job job, CancellationToken ct, long exactUpToRows = ExactUpToRows)
    {
        var where = changedColumn is null
            ? "WHERE org_id = $1"
            : $"WHERE org_id = $1 AND ($2::timestamptz IS NULL OR {changedColumn} > $2) AND {changedColumn} <= $3";
        object?[] args = changedColumn is null ? [tx.OrgId] : [tx.OrgId, changedAfter, changedUpTo];
        var rows = await tx.ScalarAsync<long>($"SELECT count(*) FROM {table} {where}", ct, args);
        var shards = ShardPlanner.ShardCount(rows, job.BatchSize, job.Parallelism);
        if (shards <= 1) return new SourcePlan(source, rows, []);
        var fractions = ShardPlanner.Fractions(shards);

        if (rows > exactUpToRows)
        {
            // SYSTEM samples whole pages, so it reads only the sampled share of the table; REPEATABLE makes a plan reproducible.
            var percent = Math.Min(100.0, 100.0 * SampleRows / rows);
            var sampled = await tx.ListAsync(
                $"SELECT count(*), percentile_disc(${args.Length + 1}::float8[]) WITHIN GROUP (ORDER BY id) FROM {table} TABLESAMPLE SYSTEM (${args.Length + 2}) REPEATABLE (0) {where}",
                r => (Rows: r.GetInt64(0), Cuts: r.IsDBNull(1) ? [] : r.GetFieldValue<string[]>(1)), ct, [.. args, fractions, percent]);
            if (sampled[0].Rows >= (long)shards * MinSampleRowsPerShard) return new SourcePlan(source, rows, sampled[0].Cuts);
        }
        var cuts = await tx.ScalarAsync<string[]>($"SELECT percentile_disc(${args.Length + 1}::float8[]) WITHIN GROUP (ORDER BY id) FROM {table} {where}",
            ct, [.. args, fractions]);
        return new SourcePlan(source, rows, cuts ?? []);
    }
}
