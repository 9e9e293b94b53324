using System.Text.Json;
using AgentOps.Costs;

namespace AgentOps.Jobs;

/// <summary>
/// Reindex: recomputes costs from the stored inputs (model, provider, tokens, time) with the price table as it is now
/// (e.g. after a price change or a new per-organization price), and moves the difference into runs, hourly agent
/// stats and the daily cost rollup — as deltas in the batch's transaction, so a batch counts once. Client-supplied
/// costs are kept. It also recomputes the error count of the runs whose run.end it scans (a failed run counts its
/// run-level error, as ingest does since it was fixed). Dry run: counts what would change, changes nothing. Budgets'
/// spend is not rewritten (a budget re-fills from the rollup when its scope changes).
/// </summary>
public sealed class ReindexJobKind(PriceBook prices) : IJobKind
{
    public string Kind => JobKinds.Reindex;

    public void Validate(JsonElement payload, Validation v) { }

    public async Task<IReadOnlyList<SourcePlan>> PlanAsync(Tx tx, Job job, CancellationToken ct)
    {
        prices.Invalidate(tx.OrgId); // the point of a reindex is the prices as they are now
        return [await KeyQuantiles.PlanAsync(tx, "events", "events", null, null, null, job, ct)];
    }

    private sealed record Row(string Id, string RunId, Guid AgentId, DateTimeOffset Ts, string? Model, string? Provider, long? In, long? Out, long? Cached,
        long? Cost, string? Source);

    public async Task<BatchResult> RunBatchAsync(Tx tx, Job job, Shard shard, string? after, CancellationToken ct)
    {
        var rows = await tx.ListAsync("""
            SELECT id, run_id, agent_id, ts, model, provider, tokens_in, tokens_out, tokens_cached, cost_micros, cost_source FROM events
            WHERE org_id = $1 AND ($2::text IS NULL OR id > $2) AND ($3::text IS NULL OR id <= $3) ORDER BY id LIMIT $4
            """, r => new Row(r.GetString(0), r.GetString(1), r.GetGuid(2), r.Time(3), r.NullableString(4), r.NullableString(5),
                r.IsDBNull(6) ? null : r.GetInt64(6), r.IsDBNull(7) ? null : r.GetInt64(7), r.IsDBNull(8) ? null : r.GetInt64(8),
                r.IsDBNull(9) ? null : r.GetInt64(9), r.NullableString(10)), ct, tx.OrgId, after, shard.RangeEnd, job.BatchSize);
        if (rows.Count == 0) return new BatchResult(null, 0, 0);
        var priceList = await prices.ForOrgAsync(tx, ct);
        var changes = new List<(Row Row, long? Cost, string Source)>();
        foreach (var e in rows)
        {
            if (e.Source is not ("computed" or "unpriced") || e.Model is null) continue; // client costs win; no inputs, nothing to price
            var price = Pricing.Find(priceList, e.Provider, e.Model, e.Ts);
            var (cost, source) = price is null ? ((long?)null, "unpriced") : (Pricing.CostMicros(price, e.In ?? 0, e.Out ?? 0, e.Cached ?? 0), "computed");
            if (cost != e.Cost || source != e.Source) changes.Add((e, cost, source));
        }
        var delta = changes.Sum(c => (c.Cost ?? 0) - (c.Row.Cost ?? 0));
        if (changes.Count > 0 && !job.DryRun)
            await tx.ExecuteAsync("""
                WITH ch AS (
                  SELECT * FROM unnest($2::text[], $3::text[], $4::uuid[], $5::timestamptz[], $6::text[], $7::bigint[], $8::text[], $9::int[])
                    AS c(id, run_id, agent_id, ts, model, delta, source, unpriced)
                ),
                ev AS (UPDATE events e SET cost_micros = CASE WHEN ch.source = 'computed' THEN coalesce(e.cost_micros, 0) + ch.delta END, cost_source = ch.source
                       FROM ch WHERE e.org_id = $1 AND e.id = ch.id RETURNING 1),
                ru AS (UPDATE runs r SET cost_micros = r.cost_micros + d.delta, unpriced_calls = r.unpriced_calls + d.unpriced
                       FROM (SELECT run_id, sum(delta) AS delta, sum(unpriced) AS unpriced FROM ch GROUP BY run_id) d
                       WHERE r.org_id = $1 AND r.id = d.run_id RETURNING 1),
                st AS (UPDATE agent_stats_hourly h SET cost_micros = h.cost_micros + d.delta, unpriced_calls = h.unpriced_calls + d.unpriced
                       FROM (SELECT agent_id, date_trunc('hour', ts, 'UTC') AS hour, sum(delta) AS delta, sum(unpriced) AS unpriced FROM ch GROUP BY 1, 2) d
                       WHERE h.org_id = $1 AND h.agent_id = d.agent_id AND h.hour = d.hour RETURNING 1),
                cd AS (UPDATE cost_daily c SET cost_micros = c.cost_micros + d.delta, unpriced_calls = c.unpriced_calls + d.unpriced
                       FROM (SELECT agent_id, (ts AT TIME ZONE (SELECT timezone FROM organizations WHERE id = $1))::date AS day, coalesce(model, '') AS model,
                                    sum(delta) AS delta, sum(unpriced) AS unpriced FROM ch GROUP BY 1, 2, 3) d
                       WHERE c.org_id = $1 AND c.agent_id = d.agent_id AND c.day = d.day AND c.model = d.model RETURNING 1)
                SELECT (SELECT count(*) FROM ev) + (SELECT count(*) FROM ru) + (SELECT count(*) FROM st) + (SELECT count(*) FROM cd)
                """, ct, tx.OrgId, changes.Select(c => c.Row.Id).ToArray(), changes.Select(c => c.Row.RunId).ToArray(), changes.Select(c => c.Row.AgentId).ToArray(),
                changes.Select(c => c.Row.Ts.UtcDateTime).ToArray(), changes.Select(c => c.Row.Model).ToArray(),
                changes.Select(c => (c.Cost ?? 0) - (c.Row.Cost ?? 0)).ToArray(), changes.Select(c => c.Source).ToArray(),
                changes.Select(c => (c.Source == "unpriced" ? 1 : 0) - (c.Row.Source == "unpriced" ? 1 : 0)).ToArray());
        var errorCountsFixed = await FixErrorCountsAsync(tx, after, rows[^1].Id, job.DryRun, ct);
        return new BatchResult(rows[^1].Id, rows.Count, 0, new Dictionary<string, long>
        {
            ["events_scanned"] = rows.Count, ["costs_changed"] = changes.Count, ["cost_delta_micros"] = delta, ["error_counts_fixed"] = errorCountsFixed,
        });
    }

    /// <summary>
    /// The runs whose run.end is in this batch get their error count recomputed by ingest's rule (BatchProcessor): the
    /// error events, plus 1 when the run failed (its run-level error). A run without a run.end is not failed, and its
    /// error events were always counted. Counts from the run's stored events, so a run whose events span batches or
    /// shards gets the same answer from each; dry run: counts the runs that would change.
    /// </summary>
    private static async Task<long> FixErrorCountsAsync(Tx tx, string? after, string last, bool dryRun, CancellationToken ct) =>
        await tx.ScalarAsync<long>("""
            WITH ended AS (
              SELECT DISTINCT run_id FROM events
              WHERE org_id = $1 AND ($2::text IS NULL OR id > $2) AND id <= $3 AND type = 'run.end'
            ),
            counted AS (
              SELECT r.id, count(e.id) FILTER (WHERE e.type = 'error' OR e.error IS NOT NULL AND e.type <> 'run.end') + (r.status = 'failed')::int AS n
              FROM runs r JOIN ended d ON d.run_id = r.id LEFT JOIN events e ON e.org_id = r.org_id AND e.run_id = r.id
              WHERE r.org_id = $1 GROUP BY r.id, r.status
            ),
            wrong AS (SELECT c.id, c.n FROM counted c JOIN runs r ON r.org_id = $1 AND r.id = c.id WHERE r.error_count <> c.n ORDER BY c.id),
            fixed AS (UPDATE runs r SET error_count = w.n, updated_at = now() FROM wrong w WHERE NOT $4 AND r.org_id = $1 AND r.id = w.id RETURNING 1)
            SELECT CASE WHEN $4 THEN (SELECT count(*) FROM wrong) ELSE (SELECT count(*) FROM fixed) END
            """, ct, tx.OrgId, after, last, dryRun);

    public Task FinishAsync(Tx tx, Job job, bool succeeded, CancellationToken ct) => Task.CompletedTask;
}
