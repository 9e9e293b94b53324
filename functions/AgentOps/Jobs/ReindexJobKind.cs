using System.Text.Json;
using AgentOps.Costs;
using AgentOps.Ingest;

namespace AgentOps.Jobs;

/// <summary>
/// Reindex: recomputes costs from the stored inputs (model, provider, tokens, time) with the price table as it is now
/// (e.g. after a price change or a new per-organization price), and moves the difference into runs, hourly agent
/// stats and the daily cost rollup — as deltas in the batch's transaction, so a batch counts once. Client-supplied
/// costs are kept. It also recomputes the error count of the runs whose run.end it scans (a failed run counts its
/// run-level error, as ingest does since it was fixed). The rollups are Ingest's: their writes are Ingest's
/// <see cref="Rollups"/>, the same fold the ingest merge uses. Dry run: counts what would change, changes nothing. Budgets'
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

    /// <summary>What pricing reads of an event (its run, agent and counts are the rollup fold's business: Ingest's Rollups reads them itself).</summary>
    private sealed record Row(string Id, DateTimeOffset Ts, string? Model, string? Provider, long? In, long? Out, long? Cached, long? Cost, string? Source);

    public async Task<BatchResult> RunBatchAsync(Tx tx, Job job, Shard shard, string? after, CancellationToken ct)
    {
        var rows = await tx.ListAsync("""
            SELECT id, ts, model, provider, tokens_in, tokens_out, tokens_cached, cost_micros, cost_source FROM events
            WHERE org_id = $1 AND ($2::text IS NULL OR id > $2) AND ($3::text IS NULL OR id <= $3) ORDER BY id LIMIT $4
            """, r => new Row(r.GetString(0), r.Time(1), r.NullableString(2), r.NullableString(3),
                r.IsDBNull(4) ? null : r.GetInt64(4), r.IsDBNull(5) ? null : r.GetInt64(5), r.IsDBNull(6) ? null : r.GetInt64(6),
                r.IsDBNull(7) ? null : r.GetInt64(7), r.NullableString(8)), ct, tx.OrgId, after, shard.RangeEnd, job.BatchSize);
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
            await Rollups.RepriceAsync(tx, [.. changes.Select(c => new Repriced(c.Row.Id, c.Cost, c.Source))], ct);
        var errorCountsFixed = await Rollups.RecountRunErrorsAsync(tx, after, rows[^1].Id, job.DryRun, ct);
        return new BatchResult(rows[^1].Id, rows.Count, 0, new Dictionary<string, long>
        {
            ["events_scanned"] = rows.Count, ["costs_changed"] = changes.Count, ["cost_delta_micros"] = delta, ["error_counts_fixed"] = errorCountsFixed,
        });
    }

    public Task FinishAsync(Tx tx, Job job, bool succeeded, CancellationToken ct) => Task.CompletedTask;
}
