using System.Text.Json;
using AgentOps.Jobs;

namespace AgentOps.Analytics.ClickHouse;

/// <summary>
/// clickhouse_export: copies the organization's runs and events to ClickHouse. Incremental (the default) exports what
/// changed since the last successful export — runs by updated_at, events by stored_at, in (watermark, window_to] where
/// window_to is fixed when the job is planned — and a success moves the watermark to window_to; full exports every
/// row. Each batch is one keyset read streamed into one insert; a batch repeated after a crash re-inserts the same
/// rows, which ClickHouse's ReplacingMergeTree keeps once. ClickHouse asking to slow down (too many parts, memory)
/// backs the shard off without using an attempt. Dry run counts the rows and writes nothing.
/// Registered only when ClickHouse is configured (AGENTOPS_CLICKHOUSE_URL).
/// </summary>
public sealed class ClickHouseExportJobKind(ClickHouseExport export) : IJobKind
{
    public string Kind => JobKinds.ClickHouseExport;

    private static readonly Dictionary<string, ExportSource> Sources = new() { ["runs"] = ExportSource.Runs, ["events"] = ExportSource.Events };

    private static bool Full(Job job) => job.Payload.TryGetProperty("mode", out var m) && m.GetString() == "full";

    public void Validate(JsonElement payload, Validation v)
    {
        if (payload.TryGetProperty("mode", out var mode) && mode.GetString() is not ("incremental" or "full"))
            v.Add("$.payload.mode", "must be incremental (changes since the last export, the default) or full.");
    }

    public async Task<IReadOnlyList<SourcePlan>> PlanAsync(Tx tx, Job job, CancellationToken ct)
    {
        // One window for both sources: they move together (one job exports both), so their watermarks are equal.
        var from = Full(job) ? null : await tx.ScalarAsync<DateTime?>(
            "SELECT CASE WHEN count(*) = 2 THEN min(watermark) END FROM export_watermarks WHERE org_id = $1 AND source IN ('runs', 'events')", ct, tx.OrgId);
        DateTimeOffset? after = from is { } f ? new DateTimeOffset(DateTime.SpecifyKind(f, DateTimeKind.Utc)) : null;
        var upTo = await JobActivities.RecordWindowAsync(tx, job.Id, after, ct);
        return
        [
            await KeyQuantiles.PlanAsync(tx, "runs", "runs", "updated_at", after, upTo, job, ct),
            await KeyQuantiles.PlanAsync(tx, "events", "events", "stored_at", after, upTo, job, ct),
        ];
    }

    public async Task<BatchResult> RunBatchAsync(Tx tx, Job job, Shard shard, string? after, CancellationToken ct)
    {
        var source = Sources[shard.Source];
        var size = Math.Min(job.BatchSize, ClickHouseExport.MaxBatchSize);
        if (job.DryRun)
        {
            var (sql, args) = ClickHouseExport.Select(source, tx.OrgId, after, shard.RangeEnd, job.WindowFrom, job.WindowTo!.Value, size);
            var counted = await tx.ListAsync($"SELECT count(*)::int, max(id) FROM ({sql}) q", r => (Rows: r.GetInt32(0), Last: r.NullableString(1)), ct, args);
            return counted[0].Rows == 0 ? new BatchResult(null, 0, 0) : new BatchResult(counted[0].Last, counted[0].Rows, 0);
        }
        try
        {
            var batch = await export.ExportBatchAsync(tx, source, after, shard.RangeEnd, job.WindowFrom, job.WindowTo!.Value, size,
                job.InsertMode == "async" ? InsertMode.Async : InsertMode.Sync, ct);
            return batch.Rows == 0 ? new BatchResult(null, 0, 0) : new BatchResult(batch.LastKey, batch.Rows, batch.Bytes);
        }
        catch (ClickHouseBackpressureException e)
        {
            throw new JobBackpressureException($"ClickHouse asked to slow down: {e.Message}", e);
        }
    }

    public Task FinishAsync(Tx tx, Job job, bool succeeded, CancellationToken ct) =>
        !succeeded || job.DryRun ? Task.CompletedTask : tx.ExecuteAsync("""
            INSERT INTO export_watermarks (org_id, source, watermark, job_id) SELECT $1, s, $2, $3 FROM unnest(ARRAY['runs', 'events']) AS s
            ON CONFLICT (org_id, source) DO UPDATE SET watermark = greatest(export_watermarks.watermark, excluded.watermark), job_id = excluded.job_id, updated_at = now()
            """, ct, tx.OrgId, job.WindowTo!.Value, job.Id);
}
