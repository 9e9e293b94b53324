using AgentOps.Contracts;
using AgentOps.Costs;
using NpgsqlTypes;

namespace AgentOps.Ingest;

/// <summary>An accepted batch as a worker receives it (self-host: from ingest_batches; Azure: a storage queue message).</summary>
public sealed record AcceptedBatch(Guid Id, Guid OrgId, DateTimeOffset AcceptedAt, byte[] Payload);

/// <summary>What a processing transaction did.</summary>
public sealed record ProcessResult(int Batches, int Events, int NewEvents)
{
    public static readonly ProcessResult None = new(0, 0, 0);
}

/// <summary>
/// The one processing path: accepted batches become events, runs, agent stats and costs, set-based. Per organization
/// (RLS set), the events are priced, binary-COPYed into a temporary staging table, then one statement inserts the new
/// ones (a re-sent id is skipped) and folds exactly those into their runs and hourly agent stats. Everything happens
/// in the caller's transaction: a crash before commit leaves the batches to be processed again, with the same result.
/// The cost each organization's merge accrued is raised as <see cref="CostsAccrued"/> in that transaction (budgets react).
/// </summary>
public sealed class BatchProcessor(PriceBook prices)
{
    private const string Columns = """
        org_id, id, run_id, agent_id, type, parent_id, name, ts, ended_at, duration_ms, status, model, provider, tokens_in, tokens_out,
        tokens_cached, cost_micros, cost_source, tool_name, input, output, input_ref, output_ref, error, score, metadata, tags, environment, accepted_at
        """;

    /// <summary>
    /// Processes batches of any organizations in the caller's cross-org transaction: each organization is entered in
    /// turn (<see cref="AcrossOrgs.EnterAsync"/>) and its events are folded under its own row-level security, all in
    /// one commit (group commit).
    /// </summary>
    public async Task<ProcessResult> ProcessAsync(AcrossOrgs orgs, IReadOnlyList<AcceptedBatch> batches, CancellationToken ct)
    {
        // synchronous_commit off is safe here and only here: the batches' deletion commits with their events, so a
        // crash that loses this commit brings the batches back and they are processed again (idempotently). The 202
        // was sent on the accept path's own synchronous commit.
        await orgs.Unscoped.ExecuteAsync($"""
            SET LOCAL client_min_messages = warning;
            SET LOCAL synchronous_commit = off;
            CREATE TEMP TABLE IF NOT EXISTS ingest_staging AS SELECT {Columns} FROM events WITH NO DATA;
            CREATE TEMP TABLE IF NOT EXISTS ingest_new_costs (agent_id uuid NOT NULL, day date NOT NULL, cost_micros bigint NOT NULL);
            """, ct);
        int events = 0, stored = 0;
        // Organizations in id order, like every row within: concurrent workers lock in one order (no deadlocks).
        foreach (var org in batches.GroupBy(b => b.OrgId).OrderBy(g => g.Key))
        {
            var orgTx = await orgs.EnterAsync(org.Key, ct);
            await orgTx.ExecuteAsync("TRUNCATE ingest_staging, ingest_new_costs", ct);
            var priceList = await prices.ForOrgAsync(orgTx, ct);
            events += await StageAsync(orgTx.Connection, org.Key, org, priceList, ct);
            var orgStored = await MergeAsync(orgTx, ct);
            stored += orgStored;
            await AttributeTracesAsync(orgTx, ct);
            if (orgStored > 0) await orgTx.RaiseAsync(new EventsStored(orgStored), ct);
            var accrued = await orgTx.ListAsync("""
                SELECT agent_id, day, sum(cost_micros)::bigint FROM ingest_new_costs GROUP BY 1, 2 HAVING sum(cost_micros) <> 0 ORDER BY 1, 2
                """, r => new AccruedCost(r.GetGuid(0), r.GetFieldValue<DateOnly>(1), r.GetInt64(2)), ct);
            if (accrued.Count > 0) await orgTx.RaiseAsync(new CostsAccrued(accrued), ct);
        }
        return new ProcessResult(batches.Count, events, stored);
    }

    /// <summary>Async all the way: a COPY buffer flush must never block a thread-pool thread (2 cores: starvation).</summary>
    private static async Task<int> StageAsync(NpgsqlConnection connection, Guid orgId, IEnumerable<AcceptedBatch> batches, IReadOnlyList<ModelPrice> priceList, CancellationToken ct)
    {
        var count = 0;
        await using var copy = await connection.BeginBinaryImportAsync($"COPY ingest_staging ({Columns}) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var batch in batches)
        foreach (var e in BatchCodec.Decode(batch.Payload))
        {
            var (cost, source) = Cost(e, priceList);
            await copy.StartRowAsync(ct);
            await copy.WriteAsync(orgId, NpgsqlDbType.Uuid, ct);
            await copy.WriteAsync(e.Id, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(e.RunId, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(e.AgentId, NpgsqlDbType.Uuid, ct);
            await copy.WriteAsync(e.Type, NpgsqlDbType.Text, ct);
            await Write(copy, e.ParentId, NpgsqlDbType.Text, ct);
            await Write(copy, e.Name, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(e.Timestamp.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
            await Write(copy, e.EndedAt?.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
            await Write(copy, e.DurationMs, NpgsqlDbType.Bigint, ct);
            await Write(copy, e.Status, NpgsqlDbType.Text, ct);
            await Write(copy, e.Model, NpgsqlDbType.Text, ct);
            await Write(copy, Pricing.NormalizeProvider(e.Provider), NpgsqlDbType.Text, ct);
            await Write(copy, e.TokensIn, NpgsqlDbType.Bigint, ct);
            await Write(copy, e.TokensOut, NpgsqlDbType.Bigint, ct);
            await Write(copy, e.TokensCached, NpgsqlDbType.Bigint, ct);
            await Write(copy, cost, NpgsqlDbType.Bigint, ct);
            await Write(copy, source, NpgsqlDbType.Text, ct);
            await Write(copy, e.ToolName, NpgsqlDbType.Text, ct);
            await Write(copy, e.Input, NpgsqlDbType.Text, ct);
            await Write(copy, e.Output, NpgsqlDbType.Text, ct);
            await Write(copy, e.InputRef, NpgsqlDbType.Text, ct);
            await Write(copy, e.OutputRef, NpgsqlDbType.Text, ct);
            await Write(copy, e.Error, NpgsqlDbType.Text, ct);
            await Write(copy, e.Score, NpgsqlDbType.Double, ct);
            await Write(copy, e.Metadata, NpgsqlDbType.Jsonb, ct);
            await Write(copy, e.Tags, NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
            await Write(copy, e.Environment, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(batch.AcceptedAt.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
            count++;
        }
        await copy.CompleteAsync(ct);
        return count;
    }

    private static Task Write<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type, CancellationToken ct) where T : class =>
        value is null ? copy.WriteNullAsync(ct) : copy.WriteAsync(value, type, ct);

    private static Task Write<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type, CancellationToken ct) where T : struct =>
        value is { } v ? copy.WriteAsync(v, type, ct) : copy.WriteNullAsync(ct);

    /// <summary>A client's own cost wins; otherwise the price table's; a model without a price is unpriced, never guessed.</summary>
    public static (long? Micros, string? Source) Cost(IngestEvent e, IReadOnlyList<ModelPrice> priceList)
    {
        if (e.ClientCostMicros is { } client) return (client, "client");
        if (e.Model is null || e.TokensIn is null && e.TokensOut is null) return (null, null);
        var price = Pricing.Find(priceList, e.Provider, e.Model, e.Timestamp);
        return price is null
            ? (null, "unpriced")
            : (Pricing.CostMicros(price, e.TokensIn ?? 0, e.TokensOut ?? 0, e.TokensCached ?? 0), "computed");
    }

    /// <summary>
    /// The OTLP attribution rule across exports (docs/otlp.md, <see cref="Otlp.OtlpMapper.AgentSource"/>): for each run this
    /// batch touched with OTLP events, the agent of its earliest event whose agent came from gen_ai.agent.name is the
    /// run's agent, and the events whose agent came only from service.name (or the default) move to it — their counts in
    /// the hourly agent stats, their costs in the daily rollup and in this batch's new costs (budgets) move with them.
    /// Runs that never name an agent keep ingest's rule (the agent of their earliest event). Runs after the merge, in its
    /// transaction, in a statement of its own: it sees what the merge wrote and what other workers committed.
    /// </summary>
    private static async Task AttributeTracesAsync(Tx tx, CancellationToken ct) => await tx.ExecuteAsync(AttributeTracesSql, ct);

    private static readonly string AttributeTracesSql = $$"""
            WITH touched AS (
              SELECT DISTINCT run_id FROM ingest_staging WHERE metadata ? 'otel.agent_from'
            ),
            target AS (
              SELECT DISTINCT ON (e.run_id) e.run_id, e.agent_id
              FROM events e JOIN touched t ON t.run_id = e.run_id
              WHERE e.org_id = app_current_org() AND e.metadata ->> 'otel.agent_from' = 'gen_ai.agent.name'
              ORDER BY e.run_id, e.ts, e.id
            ),
            moving AS (
              SELECT e.id, tg.agent_id AS new_agent, e.run_id, e.agent_id, e.ts, e.type, e.model, e.error, e.tokens_in, e.tokens_out, e.tokens_cached,
                     e.cost_micros, e.cost_source
              FROM events e JOIN target tg ON tg.run_id = e.run_id
              WHERE e.org_id = app_current_org() AND e.agent_id <> tg.agent_id AND e.metadata ->> 'otel.agent_from' IN ('service.name', 'default')
            ),
            moved AS (
              UPDATE events e SET agent_id = m.new_agent FROM moving m WHERE e.org_id = app_current_org() AND e.id = m.id
            ),
            retargeted AS (
              UPDATE runs r SET agent_id = tg.agent_id, updated_at = now() FROM target tg
              WHERE r.org_id = app_current_org() AND r.id = tg.run_id AND r.agent_id <> tg.agent_id
            ),
            moving_deltas AS (
              SELECT -1 AS sign, run_id, agent_id, ts, type, model, error, tokens_in, tokens_out, tokens_cached, cost_micros, cost_source FROM moving
              UNION ALL
              SELECT 1, run_id, new_agent, ts, type, model, error, tokens_in, tokens_out, tokens_cached, cost_micros, cost_source FROM moving
            ),
            {{Rollups.Fold("moving_deltas", RollupTargets.AgentHours | RollupTargets.CostDays | RollupTargets.NewCosts)}}
            SELECT 1
            """;

    /// <summary>
    /// Inserts the staged events that are new and folds only those into runs, agent stats and the daily cost rollup
    /// (by the organization's calendar day), in one statement; the new cost per agent and day is left in
    /// ingest_new_costs for the budgets.
    /// Rows are written in key order so that concurrent workers lock them in the same order (no deadlocks).
    /// </summary>
    private static async Task<int> MergeAsync(Tx tx, CancellationToken ct) => (int)await tx.ScalarAsync<long>(MergeSql, ct);

    private static readonly string MergeSql = $$"""
            WITH new AS (
              INSERT INTO events ({{Columns}})
              SELECT {{Columns}} FROM ingest_staging ORDER BY id
              ON CONFLICT (org_id, id) DO NOTHING
              -- Only what the folds below read: large inputs and outputs come back only for run.start / run.end.
              RETURNING org_id, id, run_id, agent_id, type, ts, ended_at, name, status, model, tokens_in, tokens_out, tokens_cached,
                        cost_micros, cost_source, error, tags, environment,
                        CASE WHEN type = 'run.start' THEN metadata END AS metadata,
                        CASE WHEN type = 'run.start' THEN input END AS input,
                        CASE WHEN type = 'run.end' THEN output END AS output
            ),
            starts AS (
              SELECT DISTINCT ON (run_id) run_id, ts, id, name, input, tags, environment, metadata
              FROM new WHERE type = 'run.start' ORDER BY run_id, ts, id
            ),
            ends AS (
              SELECT DISTINCT ON (run_id) run_id, coalesce(ended_at, ts) AS ts, id, status, output, error
              FROM new WHERE type = 'run.end' ORDER BY run_id, ts DESC, id DESC
            ),
            sums AS (
              SELECT org_id, run_id, (array_agg(agent_id ORDER BY ts, id))[1] AS agent_id, (array_agg(id ORDER BY ts, id))[1] AS first_id,
                     min(ts) AS first_at, max(coalesce(ended_at, ts)) AS last_at, count(*) AS n,
                     count(*) FILTER (WHERE {{Rollups.IsLlmCall}}) AS llm_calls,
                     count(*) FILTER (WHERE {{Rollups.IsToolCall}}) AS tool_calls,
                     count(*) FILTER (WHERE {{Rollups.IsError}}) AS errors,
                     coalesce(sum(tokens_in), 0) AS tokens_in, coalesce(sum(tokens_out), 0) AS tokens_out,
                     coalesce(sum(tokens_cached), 0) AS tokens_cached, coalesce(sum(cost_micros), 0) AS cost,
                     count(*) FILTER (WHERE {{Rollups.IsUnpriced}}) AS unpriced,
                     coalesce(array_agg(DISTINCT model) FILTER (WHERE model IS NOT NULL), '{}') AS models
              FROM new GROUP BY org_id, run_id
            ),
            runs_up AS (
              INSERT INTO runs (org_id, id, agent_id, name, status, start_ts, start_event_id, end_ts, end_event_id, first_event_at,
                                first_event_id, last_event_at, input, output, error, tags, environment, metadata, event_count, llm_calls, tool_calls,
                                error_count, tokens_in, tokens_out, tokens_cached, cost_micros, unpriced_calls, models)
              SELECT s.org_id, s.run_id, s.agent_id, st.name, coalesce(en.status, 'running'), st.ts, st.id, en.ts, en.id, s.first_at,
                     s.first_id, s.last_at, st.input, en.output, en.error, coalesce(st.tags, '{}'), st.environment, st.metadata, s.n, s.llm_calls,
                     s.tool_calls, s.errors + (en.status IS NOT DISTINCT FROM 'failed')::int, s.tokens_in, s.tokens_out, s.tokens_cached, s.cost, s.unpriced, s.models
              FROM sums s LEFT JOIN starts st USING (run_id) LEFT JOIN ends en USING (run_id)
              ORDER BY s.run_id
              ON CONFLICT (org_id, id) DO UPDATE SET
                -- The run belongs to the agent of its earliest (timestamp, id) event.
                agent_id = CASE WHEN (excluded.first_event_at, excluded.first_event_id) < (runs.first_event_at, runs.first_event_id) THEN excluded.agent_id ELSE runs.agent_id END,
                first_event_id = CASE WHEN (excluded.first_event_at, excluded.first_event_id) < (runs.first_event_at, runs.first_event_id) THEN excluded.first_event_id ELSE runs.first_event_id END,
                first_event_at = least(runs.first_event_at, excluded.first_event_at),
                last_event_at = greatest(runs.last_event_at, excluded.last_event_at),
                -- run.start: the earliest (timestamp, id) wins, whichever arrived first.
                name = CASE WHEN excluded.start_ts IS NOT NULL AND (runs.start_ts IS NULL OR (excluded.start_ts, excluded.start_event_id) < (runs.start_ts, runs.start_event_id)) THEN excluded.name ELSE runs.name END,
                input = CASE WHEN excluded.start_ts IS NOT NULL AND (runs.start_ts IS NULL OR (excluded.start_ts, excluded.start_event_id) < (runs.start_ts, runs.start_event_id)) THEN excluded.input ELSE runs.input END,
                tags = CASE WHEN excluded.start_ts IS NOT NULL AND (runs.start_ts IS NULL OR (excluded.start_ts, excluded.start_event_id) < (runs.start_ts, runs.start_event_id)) THEN excluded.tags ELSE runs.tags END,
                environment = CASE WHEN excluded.start_ts IS NOT NULL AND (runs.start_ts IS NULL OR (excluded.start_ts, excluded.start_event_id) < (runs.start_ts, runs.start_event_id)) THEN excluded.environment ELSE runs.environment END,
                metadata = CASE WHEN excluded.start_ts IS NOT NULL AND (runs.start_ts IS NULL OR (excluded.start_ts, excluded.start_event_id) < (runs.start_ts, runs.start_event_id)) THEN excluded.metadata ELSE runs.metadata END,
                start_event_id = CASE WHEN excluded.start_ts IS NOT NULL AND (runs.start_ts IS NULL OR (excluded.start_ts, excluded.start_event_id) < (runs.start_ts, runs.start_event_id)) THEN excluded.start_event_id ELSE runs.start_event_id END,
                start_ts = CASE WHEN excluded.start_ts IS NOT NULL AND (runs.start_ts IS NULL OR (excluded.start_ts, excluded.start_event_id) < (runs.start_ts, runs.start_event_id)) THEN excluded.start_ts ELSE runs.start_ts END,
                -- run.end: the latest (timestamp, id) wins.
                status = CASE WHEN excluded.end_ts IS NOT NULL AND (runs.end_ts IS NULL OR (excluded.end_ts, excluded.end_event_id) > (runs.end_ts, runs.end_event_id)) THEN excluded.status ELSE runs.status END,
                output = CASE WHEN excluded.end_ts IS NOT NULL AND (runs.end_ts IS NULL OR (excluded.end_ts, excluded.end_event_id) > (runs.end_ts, runs.end_event_id)) THEN excluded.output ELSE runs.output END,
                error = CASE WHEN excluded.end_ts IS NOT NULL AND (runs.end_ts IS NULL OR (excluded.end_ts, excluded.end_event_id) > (runs.end_ts, runs.end_event_id)) THEN excluded.error ELSE runs.error END,
                end_event_id = CASE WHEN excluded.end_ts IS NOT NULL AND (runs.end_ts IS NULL OR (excluded.end_ts, excluded.end_event_id) > (runs.end_ts, runs.end_event_id)) THEN excluded.end_event_id ELSE runs.end_event_id END,
                end_ts = CASE WHEN excluded.end_ts IS NOT NULL AND (runs.end_ts IS NULL OR (excluded.end_ts, excluded.end_event_id) > (runs.end_ts, runs.end_event_id)) THEN excluded.end_ts ELSE runs.end_ts END,
                event_count = runs.event_count + excluded.event_count,
                llm_calls = runs.llm_calls + excluded.llm_calls,
                tool_calls = runs.tool_calls + excluded.tool_calls,
                -- error_count = the error events (error, or an error on any event but run.end) + 1 while the run is failed (its
                -- run-level error, from the winning run.end): the old run-level error out, the excluded row's out, the new one in.
                error_count = runs.error_count - (runs.status = 'failed')::int + excluded.error_count - (excluded.status = 'failed')::int
                  + (CASE WHEN excluded.end_ts IS NOT NULL AND (runs.end_ts IS NULL OR (excluded.end_ts, excluded.end_event_id) > (runs.end_ts, runs.end_event_id)) THEN excluded.status ELSE runs.status END = 'failed')::int,
                tokens_in = runs.tokens_in + excluded.tokens_in,
                tokens_out = runs.tokens_out + excluded.tokens_out,
                tokens_cached = runs.tokens_cached + excluded.tokens_cached,
                cost_micros = runs.cost_micros + excluded.cost_micros,
                unpriced_calls = runs.unpriced_calls + excluded.unpriced_calls,
                models = ARRAY(SELECT DISTINCT m FROM unnest(runs.models || excluded.models) AS m ORDER BY m),
                updated_at = now()
            ),
            new_deltas AS (SELECT 1 AS sign, {{Rollups.EventColumns}} FROM new),
            {{Rollups.Fold("new_deltas", RollupTargets.AgentHours | RollupTargets.CostDays | RollupTargets.NewCosts)}}
            SELECT count(*) FROM new
            """;
}
