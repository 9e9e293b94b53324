using System.Text.Json;
using AgentOps.Audit;

namespace AgentOps.Agents;

/// <summary>The agent registry. DELETE archives (history stays); the list carries each agent's last-24-hour stats.</summary>
public static class AgentsApi
{
    public static void MapAgentsApi(this RouteGroupBuilder api)
    {
        var agents = api.MapGroup("/agents").WithTags("Agents");
        agents.MapPost("/", CreateAsync).Requires(Permission.AgentsWrite).WithName("createAgent").Problems(409).WithSummary("Register an agent");
        agents.MapGet("/", ListAsync).Requires(Permission.AgentsRead).WithName("listAgents").WithSummary("Agents with their last-24-hour stats");
        agents.MapGet("/{id:guid}", GetAsync).Requires(Permission.AgentsRead).WithName("getAgent").WithSummary("One agent with its stats");
        agents.MapPatch("/{id:guid}", UpdateAsync).Requires(Permission.AgentsWrite).WithName("updateAgent").Problems(409).WithSummary("Change an agent (absent fields stay)");
        agents.MapDelete("/{id:guid}", ArchiveAsync).Requires(Permission.AgentsWrite).WithName("archiveAgent").WithSummary("Archive an agent");
    }

    public static readonly string[] Statuses = ["active", "paused", "archived"];

    public sealed record CreateAgentRequest(string? Name, string? Type, string? Provider, string? Status, string[]? Tags, string? Environment, JsonElement? Config, string? Team);
    public sealed record UpdateAgentRequest(Optional<string> Name, Optional<string> Type, Optional<string> Provider, Optional<string> Status,
        Optional<string[]> Tags, Optional<string> Environment, Optional<JsonElement?> Config, Optional<string> Team);

    /// <summary>Over the last 24 hours: runs started, the share that failed, p95 run duration; cost and calls in whole hours.</summary>
    public sealed record AgentStats(long Runs, long FailedRuns, double? ErrorRate, long? P95LatencyMs, long Events, long LlmCalls, long CostMicros, decimal CostUsd, long UnpricedCalls);

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

    public static async Task<Created<AgentView>> CreateAsync(CreateAgentRequest body, Caller caller, Db db, AgentDirectory directory, CancellationToken ct)
    {
        var v = new Validation();
        var name = v.RequiredText("$.name", body.Name, 200);
        var type = v.Text("$.type", body.Type, 64) ?? "custom";
        var provider = v.Text("$.provider", body.Provider, 64)?.ToLowerInvariant();
        var status = CheckStatus(v, body.Status ?? "active", allowArchived: false);
        var tags = CheckTags(v, body.Tags);
        var environment = v.Text("$.environment", body.Environment, 64);
        var config = CheckConfig(v, body.Config);
        var team = v.Text("$.team", body.Team, 100);
        v.ThrowIfInvalid();
        var id = Guid.CreateVersion7();
        try
        {
            var agent = await db.InOrgAsync(caller.OrgId, async tx =>
            {
                // While the kill switch is on, a new agent starts paused (and resume-all will resume it).
                await tx.ExecuteAsync("""
                    INSERT INTO agents (id, org_id, name, type, provider, status, tags, environment, config, paused_by_kill_switch, team)
                    SELECT $1, $2, $3, $4, $5, CASE WHEN o.killed_at IS NOT NULL THEN 'paused' ELSE $6 END, $7, $8, $9::jsonb,
                           o.killed_at IS NOT NULL AND $6 = 'active', $10
                    FROM (SELECT killed_at FROM organizations WHERE id = $2 FOR SHARE) o
                    """, ct, id, caller.OrgId, name, type, provider, status, tags, environment, config, team);
                var created = (await tx.SingleAsync($"SELECT {AgentView.Columns} FROM agents a WHERE a.id = $1", AgentView.Read, ct, id))!;
                await AuditLog.RecordAsync(tx, Actor.Of(caller), "agent.created", "agent", id, null, created, ct);
                return created;
            }, ct);
            directory.Invalidate(caller.OrgId);
            return TypedResults.Created((string?)null, agent);
        }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "agents_org_name_key" })
        {
            throw ApiProblem.Conflict("agent_exists", "An agent with this name exists in this organization.");
        }
    }

    public static async Task<Ok<Page<AgentView>>> ListAsync(Caller caller, Db db, string? status, string? tag, string? environment, string? team, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var v = new Validation();
        if (status is not null && !Statuses.Contains(status)) v.Add("status", "must be active, paused or archived.");
        v.ThrowIfInvalid();
        var rows = await db.InOrgAsync(caller.OrgId, tx => tx.ListAsync($"""
            {WithStats}
            WHERE a.org_id = $1 AND a.id > $2 AND ($3::text IS NULL OR a.status = $3) AND ($4::text IS NULL OR $4 = ANY(a.tags))
              AND ($5::text IS NULL OR a.environment = $5) AND ($7::text IS NULL OR a.team = $7)
            ORDER BY a.id LIMIT $6
            """, AgentView.Read, ct, caller.OrgId, after, status, tag, environment, take + 1, team), ct);
        return TypedResults.Ok(Paging.Of(rows, take, a => a.Id));
    }

    public static async Task<Ok<AgentView>> GetAsync(Guid id, Caller caller, Db db, CancellationToken ct) =>
        TypedResults.Ok(await db.InOrgAsync(caller.OrgId, tx => tx.SingleAsync($"{WithStats} WHERE a.org_id = $1 AND a.id = $2", AgentView.Read, ct, caller.OrgId, id), ct)
            ?? throw ApiProblem.NotFound("agent"));

    public static async Task<Ok<AgentView>> UpdateAsync(Guid id, UpdateAgentRequest body, Caller caller, Db db, AgentDirectory directory, CancellationToken ct)
    {
        var v = new Validation();
        var name = body.Name.IsSet ? v.RequiredText("$.name", body.Name.Value, 200) : null;
        var type = body.Type.IsSet ? v.RequiredText("$.type", body.Type.Value, 64) : null;
        var provider = body.Provider.IsSet ? v.Text("$.provider", body.Provider.Value, 64)?.ToLowerInvariant() : null;
        var status = body.Status.IsSet ? CheckStatus(v, body.Status.Value, allowArchived: true) : null;
        var tags = body.Tags.IsSet ? CheckTags(v, body.Tags.Value) : null;
        var environment = body.Environment.IsSet ? v.Text("$.environment", body.Environment.Value, 64) : null;
        var config = body.Config.IsSet ? CheckConfig(v, body.Config.Value) : null;
        var team = body.Team.IsSet ? v.Text("$.team", body.Team.Value, 100) : null;
        v.ThrowIfInvalid();
        try
        {
            var agent = await db.InOrgAsync(caller.OrgId, async tx =>
            {
                // Shared lock on the organization before the agent: a kill switch in flight is seen, never raced.
                var killed = await tx.ScalarAsync<DateTime?>("SELECT killed_at FROM organizations WHERE id = $1 FOR SHARE", ct, caller.OrgId) is not null;
                var before = await tx.SingleAsync($"SELECT {AgentView.Columns} FROM agents a WHERE a.id = $1 AND a.org_id = $2 FOR UPDATE", AgentView.Read, ct, id, caller.OrgId)
                    ?? throw ApiProblem.NotFound("agent");
                // Pausing and resuming are emergency controls: the same permission and the same kill-switch rule as /controls.
                if (status is "active" or "paused" && status != before.Status)
                {
                    if (!Rbac.Allows(caller, Permission.Controls))
                        throw ApiProblem.Forbidden("forbidden", "Pausing and resuming agents needs the Controls permission (team leads and admins).");
                    if (status == "active" && killed)
                        throw ApiProblem.Conflict("org_killed", "The organization's kill switch is on: lift it with resume-all first.");
                }
                var after = (await tx.SingleAsync($"""
                    UPDATE agents a SET name = $3, type = $4, provider = $5, status = $6, tags = $7, environment = $8, config = $9::jsonb, team = $10, updated_at = now(),
                           paused_by_kill_switch = paused_by_kill_switch AND $6 = 'paused', paused_reason = CASE WHEN $6 = 'paused' THEN paused_reason END
                    WHERE a.id = $1 AND a.org_id = $2 RETURNING {AgentView.Columns}
                    """, AgentView.Read, ct, id, caller.OrgId, name ?? before.Name, type ?? before.Type,
                    body.Provider.IsSet ? provider : before.Provider, status ?? before.Status, tags ?? before.Tags,
                    body.Environment.IsSet ? environment : before.Environment, config ?? before.Config.GetRawText(), body.Team.IsSet ? team : before.Team))!;
                if (JsonSerializer.Serialize(before with { UpdatedAt = default }, Json.Options) == JsonSerializer.Serialize(after with { UpdatedAt = default }, Json.Options))
                    return before;
                await AuditLog.RecordAsync(tx, Actor.Of(caller), status is not null && status != before.Status ? $"agent.{StatusVerb(status)}" : "agent.updated",
                    "agent", id, before, after, ct);
                // Paused (or archived) here as by the pause button: the same event, so nothing waits on an approval for it.
                await AgentStatus.Announce(tx, Actor.Of(caller), id, before.Status, after.Status, ct);
                return after;
            }, ct);
            directory.Invalidate(caller.OrgId);
            return TypedResults.Ok(agent);
        }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "agents_org_name_key" })
        {
            throw ApiProblem.Conflict("agent_exists", "An agent with this name exists in this organization.");
        }
    }

    public static async Task<NoContent> ArchiveAsync(Guid id, Caller caller, Db db, AgentDirectory directory, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await tx.SingleAsync($"SELECT {AgentView.Columns} FROM agents a WHERE a.id = $1 AND a.org_id = $2 FOR UPDATE", AgentView.Read, ct, id, caller.OrgId)
                ?? throw ApiProblem.NotFound("agent");
            if (before.Status == "archived") return;
            var after = (await tx.SingleAsync($"UPDATE agents a SET status = 'archived', updated_at = now() WHERE a.id = $1 RETURNING {AgentView.Columns}", AgentView.Read, ct, id))!;
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "agent.archived", "agent", id, before, after, ct);
            await AgentStatus.Announce(tx, Actor.Of(caller), id, before.Status, after.Status, ct);
        }, ct);
        directory.Invalidate(caller.OrgId);
        return TypedResults.NoContent();
    }

    private static string StatusVerb(string status) => status switch { "paused" => "paused", "archived" => "archived", _ => "resumed" };

    private static string? CheckStatus(Validation v, string? status, bool allowArchived)
    {
        if (status is null) { v.Add("$.status", "must not be null."); return null; }
        if (status is "active" or "paused" || allowArchived && status == "archived") return status;
        v.Add("$.status", allowArchived ? "must be active, paused or archived." : "must be active or paused.");
        return null;
    }

    private static string[]? CheckTags(Validation v, string[]? tags)
    {
        if (tags is null) return [];
        if (tags.Length > 20) v.Add("$.tags", "holds at most 20 tags.");
        for (var i = 0; i < tags.Length; i++)
            if (tags[i] is not { Length: > 0 and <= 64 }) v.Add($"$.tags[{i}]", "must be 1 to 64 characters.");
        return [.. tags.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Configuration: a JSON object of at most 64 KiB.</summary>
    private static string? CheckConfig(Validation v, JsonElement? config)
    {
        if (config is null || config.Value.ValueKind == JsonValueKind.Null) return "{}";
        if (config.Value.ValueKind != JsonValueKind.Object) { v.Add("$.config", "must be a JSON object."); return null; }
        var text = config.Value.GetRawText();
        if (text.Length > 64 * 1024) v.Add("$.config", "must be at most 64 KiB of JSON.");
        return text;
    }
}
