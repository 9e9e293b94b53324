namespace AgentOps.Ingest;

/// <summary>What a fold of event deltas writes (see <see cref="Rollups.Fold"/>).</summary>
[Flags]
public enum RollupTargets
{
    /// <summary>The runs' counters (existing runs only: the ingest merge creates runs with their start and end).</summary>
    RunCounters = 1,
    /// <summary>agent_stats_hourly: per agent and UTC hour.</summary>
    AgentHours = 2,
    /// <summary>cost_daily: per agent, the organization's calendar day and model (priced or unpriced events only).</summary>
    CostDays = 4,
    /// <summary>The net new cost per agent and day into the ingest transaction's ingest_new_costs, for the budgets.</summary>
    NewCosts = 8,
}

/// <summary>
/// The one place where events are folded into their rollups (runs' counters, agent_stats_hourly, cost_daily), owned
/// by Ingest. Every writer of a rollup describes what changed as a relation of signed event deltas — +1 for an event
/// that now counts, -1 for the same event as it counted before — and <see cref="Fold"/> turns that relation into the
/// upserts: the ingest merge (new events, all +1), the OTLP attribution across exports (an event moving from one agent
/// to another: -1 under the old agent, +1 under the new) and the reindex (an event repriced: -1 at the old price, +1 at
/// the new). So what counts as an LLM call, an error or an unpriced call, and which hour and day an event falls in,
/// is written once.
/// </summary>
public static class Rollups
{
    /// <summary>
    /// The event columns a delta relation must have (in any order) besides <c>sign</c> (+1 or -1): the ones the folds
    /// read.
    /// </summary>
    public const string EventColumns = "run_id, agent_id, ts, type, model, error, tokens_in, tokens_out, tokens_cached, cost_micros, cost_source";

    /// <summary>An event that counts as an LLM call.</summary>
    public const string IsLlmCall = "type = 'llm.call'";

    /// <summary>An event that counts as a tool call.</summary>
    public const string IsToolCall = "type = 'tool.call'";

    /// <summary>
    /// An event that counts as an error: an error event, or an error on any event but run.end (a failed run's
    /// run-level error is counted once per run, from its winning run.end, by the merge).
    /// </summary>
    public const string IsError = "(type = 'error' OR error IS NOT NULL AND type <> 'run.end')";

    /// <summary>An event whose model had no price.</summary>
    public const string IsUnpriced = "cost_source = 'unpriced'";

    /// <summary>The organization's calendar day of an event (cost_daily and budgets count by it).</summary>
    public const string OrgDay = "(ts AT TIME ZONE (SELECT timezone FROM organizations WHERE id = app_current_org()))::date";

    /// <summary>
    /// Data-modifying CTEs (to follow other CTEs after a comma, each executed once whether or not read) that fold the
    /// relation <paramref name="deltas"/> (sign and <see cref="EventColumns"/>, in the current organization, RLS set) into
    /// <paramref name="targets"/>. Rows are written in key order so that concurrent writers lock them in the same
    /// order (no deadlocks).
    /// </summary>
    public static string Fold(string deltas, RollupTargets targets)
    {
        var ctes = new List<string>();
        if (targets.HasFlag(RollupTargets.RunCounters))
            ctes.Add($"""
                rollup_runs AS (
                  UPDATE runs r SET event_count = r.event_count + d.events, llm_calls = r.llm_calls + d.llm_calls, tool_calls = r.tool_calls + d.tool_calls,
                         error_count = r.error_count + d.errors, tokens_in = r.tokens_in + d.tokens_in, tokens_out = r.tokens_out + d.tokens_out,
                         tokens_cached = r.tokens_cached + d.tokens_cached, cost_micros = r.cost_micros + d.cost, unpriced_calls = r.unpriced_calls + d.unpriced
                  FROM (SELECT run_id, sum(sign) AS events, coalesce(sum(sign) FILTER (WHERE {IsLlmCall}), 0) AS llm_calls,
                               coalesce(sum(sign) FILTER (WHERE {IsToolCall}), 0) AS tool_calls, coalesce(sum(sign) FILTER (WHERE {IsError}), 0) AS errors,
                               coalesce(sum(sign * tokens_in), 0) AS tokens_in, coalesce(sum(sign * tokens_out), 0) AS tokens_out,
                               coalesce(sum(sign * tokens_cached), 0) AS tokens_cached, coalesce(sum(sign * cost_micros), 0) AS cost,
                               coalesce(sum(sign) FILTER (WHERE {IsUnpriced}), 0) AS unpriced
                        FROM {deltas} GROUP BY run_id ORDER BY run_id) d
                  WHERE r.org_id = app_current_org() AND r.id = d.run_id
                )
                """);
        if (targets.HasFlag(RollupTargets.AgentHours))
            ctes.Add($"""
                rollup_hours AS (
                  INSERT INTO agent_stats_hourly AS h (org_id, agent_id, hour, events, llm_calls, errors, tokens_in, tokens_out, cost_micros, unpriced_calls)
                  SELECT app_current_org(), agent_id, date_trunc('hour', ts, 'UTC'), sum(sign), coalesce(sum(sign) FILTER (WHERE {IsLlmCall}), 0),
                         coalesce(sum(sign) FILTER (WHERE {IsError}), 0), coalesce(sum(sign * tokens_in), 0), coalesce(sum(sign * tokens_out), 0),
                         coalesce(sum(sign * cost_micros), 0), coalesce(sum(sign) FILTER (WHERE {IsUnpriced}), 0)
                  FROM {deltas} GROUP BY 2, 3 ORDER BY 2, 3
                  ON CONFLICT (org_id, agent_id, hour) DO UPDATE SET
                    events = h.events + excluded.events, llm_calls = h.llm_calls + excluded.llm_calls, errors = h.errors + excluded.errors,
                    tokens_in = h.tokens_in + excluded.tokens_in, tokens_out = h.tokens_out + excluded.tokens_out,
                    cost_micros = h.cost_micros + excluded.cost_micros, unpriced_calls = h.unpriced_calls + excluded.unpriced_calls
                )
                """);
        if (targets.HasFlag(RollupTargets.CostDays) || targets.HasFlag(RollupTargets.NewCosts))
            ctes.Add($"""
                rollup_day_deltas AS (
                  SELECT agent_id, {OrgDay} AS day, coalesce(model, '') AS model, coalesce(sum(sign * cost_micros), 0) AS cost,
                         coalesce(sum(sign * tokens_in), 0) AS tokens_in, coalesce(sum(sign * tokens_out), 0) AS tokens_out,
                         coalesce(sum(sign * tokens_cached), 0) AS tokens_cached, sum(sign) AS calls, coalesce(sum(sign) FILTER (WHERE {IsUnpriced}), 0) AS unpriced
                  FROM {deltas} WHERE cost_source IS NOT NULL GROUP BY 1, 2, 3
                )
                """);
        if (targets.HasFlag(RollupTargets.CostDays))
            ctes.Add("""
                rollup_days AS (
                  INSERT INTO cost_daily AS c (org_id, day, agent_id, model, cost_micros, tokens_in, tokens_out, tokens_cached, calls, unpriced_calls)
                  SELECT app_current_org(), day, agent_id, model, cost, tokens_in, tokens_out, tokens_cached, calls, unpriced FROM rollup_day_deltas ORDER BY 2, 3, 4
                  ON CONFLICT (org_id, day, agent_id, model) DO UPDATE SET
                    cost_micros = c.cost_micros + excluded.cost_micros, tokens_in = c.tokens_in + excluded.tokens_in,
                    tokens_out = c.tokens_out + excluded.tokens_out, tokens_cached = c.tokens_cached + excluded.tokens_cached,
                    calls = c.calls + excluded.calls, unpriced_calls = c.unpriced_calls + excluded.unpriced_calls
                )
                """);
        if (targets.HasFlag(RollupTargets.NewCosts))
            ctes.Add("""
                rollup_new_costs AS (
                  INSERT INTO ingest_new_costs (agent_id, day, cost_micros)
                  SELECT agent_id, day, sum(cost) FROM rollup_day_deltas GROUP BY 1, 2 HAVING sum(cost) <> 0
                )
                """);
        return string.Join(",\n", ctes);
    }

    /// <summary>
    /// A reindex's repricing (see Jobs' ReindexJobKind): sets the events' new cost and source and moves the difference
    /// into their runs, hourly agent stats and the daily cost rollup, in one statement of the caller's transaction (so a
    /// batch counts once). The events as they are in the statement's snapshot are the -1 side, so an event that moved to
    /// another agent since it was read moves its cost from where it is now.
    /// </summary>
    public static Task RepriceAsync(Tx tx, IReadOnlyList<Repriced> changes, CancellationToken ct) =>
        tx.ExecuteAsync(RepriceSql, ct, changes.Select(c => c.EventId).ToArray(), changes.Select(c => c.CostMicros).ToArray(),
            changes.Select(c => c.CostSource).ToArray());

    private static readonly string RepriceSql = $$"""
        WITH repricing AS (
          SELECT e.id, e.run_id, e.agent_id, e.ts, e.type, e.model, e.error, e.tokens_in, e.tokens_out, e.tokens_cached, e.cost_micros, e.cost_source,
                 c.cost_micros AS new_cost, c.cost_source AS new_source
          FROM unnest($1::text[], $2::bigint[], $3::text[]) AS c(id, cost_micros, cost_source)
          JOIN events e ON e.org_id = app_current_org() AND e.id = c.id
        ),
        repriced AS (
          UPDATE events e SET cost_micros = r.new_cost, cost_source = r.new_source FROM repricing r WHERE e.org_id = app_current_org() AND e.id = r.id
        ),
        repricing_deltas AS (
          SELECT -1 AS sign, {{EventColumns}} FROM repricing
          UNION ALL
          SELECT 1, run_id, agent_id, ts, type, model, error, tokens_in, tokens_out, tokens_cached, new_cost, new_source FROM repricing
        ),
        {{Fold("repricing_deltas", RollupTargets.RunCounters | RollupTargets.AgentHours | RollupTargets.CostDays)}}
        SELECT 1
        """;

    /// <summary>
    /// Recounts the errors of the runs whose run.end is among the events in the key range (after, last], by the
    /// merge's rule: the error events, plus 1 when the run failed (its run-level error). A run without a run.end is not
    /// failed, and its error events were always counted. Counts from the run's stored events, so a run whose events
    /// span ranges gets the same answer from each. Dry run: counts the runs that would change, changes nothing.
    /// </summary>
    public static async Task<long> RecountRunErrorsAsync(Tx tx, string? after, string last, bool dryRun, CancellationToken ct) =>
        await tx.ScalarAsync<long>(RecountRunErrorsSql, ct, after, last, dryRun);

    private static readonly string RecountRunErrorsSql = $$"""
        WITH ended AS (
          SELECT DISTINCT run_id FROM events
          WHERE org_id = app_current_org() AND ($1::text IS NULL OR id > $1) AND id <= $2 AND type = 'run.end'
        ),
        counted AS (
          SELECT r.id, (SELECT count(*) FROM events WHERE org_id = r.org_id AND run_id = r.id AND {{IsError}}) + (r.status = 'failed')::int AS n
          FROM runs r JOIN ended d ON d.run_id = r.id
          WHERE r.org_id = app_current_org()
        ),
        wrong AS (SELECT c.id, c.n FROM counted c JOIN runs r ON r.org_id = app_current_org() AND r.id = c.id WHERE r.error_count <> c.n ORDER BY c.id),
        fixed AS (UPDATE runs r SET error_count = w.n, updated_at = now() FROM wrong w WHERE NOT $3 AND r.org_id = app_current_org() AND r.id = w.id RETURNING 1)
        SELECT CASE WHEN $3 THEN (SELECT count(*) FROM wrong) ELSE (SELECT count(*) FROM fixed) END
        """;
}

/// <summary>An event a reindex priced anew: its id, its new cost (null when unpriced) and cost source.</summary>
public sealed record Repriced(string EventId, long? CostMicros, string CostSource);
