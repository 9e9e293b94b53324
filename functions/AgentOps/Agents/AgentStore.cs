using System.Text.Json;

namespace AgentOps.Agents;

/// <summary>Over the last 24 hours: runs started, the share that failed, p95 run duration; cost and calls in whole hours.</summary>
public sealed record AgentStats(long Runs, long FailedRuns, double? ErrorRate, long? P95LatencyMs, long Events, long LlmCalls, long CostMicros, decimal CostUsd, long UnpricedCalls);

/// <summary>An agent as the API shows it (with its stats when read for the registry's list and detail).</summary>
public sealed record AgentView(Guid Id, string Name, string Type, string? Provider, string Status, string[] Tags, string? Environment,
    JsonElement Config, bool AutoRegistered, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? PausedReason, bool PausedByKillSwitch, string? Team, AgentStats? Stats)
{
    public const string Columns = "a.id, a.name, a.type, a.provider, a.status, a.tags, a.environment, a.config::text, a.auto_registered, a.created_at, a.updated_at, a.paused_reason, a.paused_by_kill_switch, a.team";

    public static AgentView Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetString(1), r.GetString(2), r.NullableString(3), r.GetString(4),
        (string[])r[5], r.NullableString(6), JsonDocument.Parse(r.GetString(7)).RootElement.Clone(), r.GetBoolean(8), r.Time(9), r.Time(10),
        r.NullableString(11), r.GetBoolean(12), r.NullableString(13),
        r.FieldCount > 14 ? new AgentStats(r.GetInt64(14), r.GetInt64(15), r.GetInt64(14) == 0 ? null : (double)r.GetInt64(15) / r.GetInt64(14),
            r.IsDBNull(16) ? null : (long)r.GetDouble(16), r.GetInt64(17), r.GetInt64(18), r.GetInt64(19), r.GetInt64(19) / 1_000_000m, r.GetInt64(20)) : null);
}

/// <summary>A registry entry's editable fields, checked (config is JSON object text).</summary>
public sealed record AgentFields(string Name, string Type, string? Provider, string Status, string[] Tags, string? Environment, string Config, string? Team);

/// <summary>Which agents a list shows (null: any).</summary>
public sealed record AgentFilter(string? Status, string? Tag, string? Environment, string? Team);

/// <summary>
/// The registry's SQL on the agents table (the emergency controls' status writes are <see cref="AgentStatus"/>'s,
/// auto-registration is <see cref="AgentDirectory"/>'s). A duplicate name is the unique violation on
/// <see cref="NameKey"/>.
/// </summary>
public static class AgentStore
{
    public const string NameKey = "agents_org_name_key";

    /// <summary>Agents joined with their stats: runs from the runs table, calls and cost from the hourly rollup.</summary>
    private const string WithStats = $"""
        SELECT {AgentView.Columns}, s.runs, s.failed, s.p95, coalesce(h.events, 0), coalesce(h.llm_calls, 0), coalesce(h.cost, 0), coalesce(h.unpriced, 0)
        FROM agents a
        LEFT JOIN LATERAL (
          SELECT count(*) AS runs, count(*) FILTER (WHERE r.status = 'failed') AS failed,
                 percentile_cont(0.95) WITHIN GROUP (ORDER BY r.duration_ms) FILTER (WHERE r.duration_ms IS NOT NULL) AS p95
          FROM runs r WHERE r.org_id = a.org_id AND r.agent_id = a.id AND r.started_at >= now() - interval '24 hours') s ON true
        LEFT JOIN LATERAL (
          SELECT sum(events)::bigint AS events, sum(llm_calls)::bigint AS llm_calls, sum(cost_micros)::bigint AS cost, sum(unpriced_calls)::bigint AS unpriced
          FROM agent_stats_hourly h WHERE h.org_id = a.org_id AND h.agent_id = a.id AND h.hour >= date_trunc('hour', now() - interval '23 hours')) h ON true
        """;

    /// <summary>Registers an agent; while the kill switch is on it starts paused (and resume-all will resume it).</summary>
    public static async Task<AgentView> InsertAsync(Tx tx, Guid id, AgentFields f, CancellationToken ct)
    {
        await tx.ExecuteAsync("""
            INSERT INTO agents (id, org_id, name, type, provider, status, tags, environment, config, paused_by_kill_switch, team)
            SELECT $1, $2, $3, $4, $5, CASE WHEN o.killed_at IS NOT NULL THEN 'paused' ELSE $6 END, $7, $8, $9::jsonb,
                   o.killed_at IS NOT NULL AND $6 = 'active', $10
            FROM (SELECT killed_at FROM organizations WHERE id = $2 FOR SHARE) o
            """, ct, id, tx.OrgId, f.Name, f.Type, f.Provider, f.Status, f.Tags, f.Environment, f.Config, f.Team);
        return (await tx.SingleAsync($"SELECT {AgentView.Columns} FROM agents a WHERE a.id = $1", AgentView.Read, ct, id))!;
    }

    public static Task<List<AgentView>> PageAsync(Tx tx, AgentFilter filter, Guid after, int take, CancellationToken ct) =>
        tx.ListAsync($"""
            {WithStats}
            WHERE a.org_id = $1 AND a.id > $2 AND ($3::text IS NULL OR a.status = $3) AND ($4::text IS NULL OR $4 = ANY(a.tags))
              AND ($5::text IS NULL OR a.environment = $5) AND ($7::text IS NULL OR a.team = $7)
            ORDER BY a.id LIMIT $6
            """, AgentView.Read, ct, tx.OrgId, after, filter.Status, filter.Tag, filter.Environment, take, filter.Team);

    public static Task<AgentView?> ReadWithStatsAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.SingleAsync($"{WithStats} WHERE a.org_id = $1 AND a.id = $2", AgentView.Read, ct, tx.OrgId, id);

    /// <summary>
    /// Whether the kill switch is on, and the agent locked for a change. The organization is locked shared first, so
    /// a kill switch in flight (which locks it exclusively) is seen, never raced.
    /// </summary>
    public static async Task<(bool Killed, AgentView? Agent)> LockAsync(Tx tx, Guid id, CancellationToken ct)
    {
        var killed = await tx.ScalarAsync<DateTime?>("SELECT killed_at FROM organizations WHERE id = $1 FOR SHARE", ct, tx.OrgId) is not null;
        var agent = await tx.SingleAsync($"SELECT {AgentView.Columns} FROM agents a WHERE a.id = $1 AND a.org_id = $2 FOR UPDATE", AgentView.Read, ct, id, tx.OrgId);
        return (killed, agent);
    }

    /// <summary>Writes the fields; leaving paused clears the kill switch's mark and the pause reason.</summary>
    public static async Task<AgentView> UpdateAsync(Tx tx, Guid id, AgentFields f, CancellationToken ct) =>
        (await tx.SingleAsync($"""
            UPDATE agents a SET name = $3, type = $4, provider = $5, status = $6, tags = $7, environment = $8, config = $9::jsonb, team = $10, updated_at = now(),
                   paused_by_kill_switch = paused_by_kill_switch AND $6 = 'paused', paused_reason = CASE WHEN $6 = 'paused' THEN paused_reason END
            WHERE a.id = $1 AND a.org_id = $2 RETURNING {AgentView.Columns}
            """, AgentView.Read, ct, id, tx.OrgId, f.Name, f.Type, f.Provider, f.Status, f.Tags, f.Environment, f.Config, f.Team))!;

    public static async Task<AgentView> ArchiveAsync(Tx tx, Guid id, CancellationToken ct) =>
        (await tx.SingleAsync($"UPDATE agents a SET status = 'archived', updated_at = now() WHERE a.id = $1 AND a.org_id = $2 RETURNING {AgentView.Columns}", AgentView.Read, ct, id, tx.OrgId))!;
}
