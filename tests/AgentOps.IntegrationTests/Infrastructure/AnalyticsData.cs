using AgentOps.Analytics.ClickHouse;
using AgentOps.Platform.Database;

namespace AgentOps.IntegrationTests.Infrastructure;

/// <summary>
/// Deterministic analytics data written straight into Postgres as the schema owner (no RLS in the way): organizations,
/// agents, runs of every status over several days (some without an end, some without a run.start, times with
/// fractions of a second), and their events (LLM calls with and without a model and cost, tool calls, errors).
/// </summary>
public static class AnalyticsData
{
    public static readonly string[] Statuses = ["succeeded", "failed", "running", "cancelled"];

    public static async Task<Guid> NewOrgAsync()
    {
        var org = Guid.NewGuid();
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "INSERT INTO organizations (id, name) VALUES ($1, 'analytics test')", org);
        return org;
    }

    /// <summary>runs runs (about 3 events each) starting at t0, one every 317.3 seconds, over agents agents; seed varies the shape.</summary>
    public static async Task<Guid[]> GenerateAsync(Guid org, DateTimeOffset t0, int runs, int agents = 4, int seed = 0)
    {
        var agentIds = Enumerable.Range(0, agents).Select(_ => Guid.NewGuid()).ToArray();
        await using var connection = await TestDatabase.OpenAsync(TestDatabase.OwnerUrl);
        async Task Exec(string sql, params object[] args)
        {
            await using var cmd = new Npgsql.NpgsqlCommand(sql, connection);
            foreach (var a in args) cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = a });
            await cmd.ExecuteNonQueryAsync();
        }
        await Exec("INSERT INTO agents (id, org_id, name) SELECT a, $1, 'agent-' || a FROM unnest($2::uuid[]) a", org, agentIds);
        await Exec("""
            INSERT INTO runs (org_id, id, agent_id, status, start_ts, end_ts, first_event_at, first_event_id, last_event_at, error, tags, environment,
                              event_count, llm_calls, tool_calls, error_count, tokens_in, tokens_out, cost_micros, unpriced_calls, models, updated_at)
            SELECT $1, 'run-' || lpad(i::text, 6, '0'), ($2::uuid[])[1 + (i * 7 + $5) % cardinality($2::uuid[])], st,
                   CASE WHEN i % 9 = 4 THEN NULL ELSE s END,                                   -- some runs have no run.start
                   CASE WHEN st = 'running' THEN NULL ELSE s + ((i * 7919 + $5) % 120000) * interval '1 millisecond' END,
                   s + interval '250 milliseconds', 'e-' || i, s + interval '2 minutes',
                   CASE WHEN st = 'failed' THEN 'boom ' || i END, ARRAY['t' || (i % 3)], CASE WHEN i % 2 = 0 THEN 'prod' END,
                   3, 2, 1, CASE WHEN st = 'failed' THEN 1 ELSE 0 END, (i * 31) % 5000, (i * 17) % 3000, (i * 131 + $5) % 90000,
                   CASE WHEN i % 4 = 1 THEN 1 + i % 3 ELSE 0 END, ARRAY['model-' || (i % 3)], now()
            FROM generate_series(1, $6) i,
                 LATERAL (SELECT $4::timestamptz + (i * 317.3) * interval '1 second' AS s, ($3::text[])[1 + (i * 3 + $5) % 4] AS st) x
            """, org, agentIds, Statuses, t0, seed, runs);
        await Exec("""
            INSERT INTO events (org_id, id, run_id, agent_id, type, ts, model, provider, tokens_in, tokens_out, cost_micros, cost_source, tool_name,
                                error, tags, environment, accepted_at, stored_at)
            SELECT r.org_id, r.id || '/e' || k, r.id, r.agent_id, CASE WHEN k = 3 THEN 'tool.call' WHEN k = 2 AND n % 11 = 0 THEN 'error' ELSE 'llm.call' END,
                   r.started_at + k * interval '1.7 seconds',
                   CASE WHEN k = 3 OR n % 13 = 0 THEN NULL ELSE 'model-' || (n % 3) END, 'openai',
                   CASE WHEN k < 3 THEN n % 700 END, CASE WHEN k < 3 THEN n % 300 END,
                   CASE WHEN k < 3 AND n % 5 <> 0 THEN (n * 13) % 4000 END, CASE WHEN k < 3 AND n % 5 <> 0 THEN 'computed' END,
                   CASE WHEN k = 3 THEN 'search' END, CASE WHEN n % 7 = 0 AND k = 1 THEN 'rate limited' END, NULL, NULL,
                   r.started_at, r.started_at + k * interval '1 second'
            FROM (SELECT *, substr(id, 5)::int AS n FROM runs WHERE org_id = $1) r, generate_series(1, 3) k
            """, org);
        return agentIds;
    }

    /// <summary>Every row of the organization's source exported in keyset batches; returns the batches.</summary>
    public static async Task<List<ExportBatch>> ExportAllAsync(Db db, ClickHouseExport export, Guid org, ExportSource source, int batchSize,
        InsertMode mode = InsertMode.Sync, string? afterKey = null, string? endKey = null, DateTimeOffset? changedAfter = null, DateTimeOffset? changedUpTo = null)
    {
        var batches = new List<ExportBatch>();
        var key = afterKey;
        while (true)
        {
            var batch = await db.InOrgAsync(org, tx => export.ExportBatchAsync(tx, source, key, endKey, changedAfter, changedUpTo ?? DateTimeOffset.UtcNow.AddYears(1),
                batchSize, mode, CancellationToken.None), CancellationToken.None);
            batches.Add(batch);
            if (batch.Rows == 0) return batches;
            key = batch.LastKey;
        }
    }
}
