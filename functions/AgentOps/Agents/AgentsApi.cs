using System.Text.Json;

namespace AgentOps.Agents;

/// <summary>
/// The agent registry's endpoints (HTTP only: binding, input checks, typed results; the use cases are
/// <see cref="AgentService"/>'s). DELETE archives (history stays); the list carries each agent's last-24-hour stats.
/// </summary>
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

    public static async Task<Created<AgentView>> CreateAsync(CreateAgentRequest body, Caller caller, AgentService agents, CancellationToken ct)
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
        var agent = await agents.CreateAsync(caller, new AgentFields(name!, type, provider, status!, tags!, environment, config!, team), ct);
        return TypedResults.Created((string?)null, agent);
    }

    public static async Task<Ok<Page<AgentView>>> ListAsync(Caller caller, AgentService agents, string? status, string? tag, string? environment, string? team, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var v = new Validation();
        if (status is not null && !Statuses.Contains(status)) v.Add("status", "must be active, paused or archived.");
        v.ThrowIfInvalid();
        return TypedResults.Ok(Paging.Of(await agents.PageAsync(caller.OrgId, new AgentFilter(status, tag, environment, team), after, take + 1, ct), take, a => a.Id));
    }

    public static async Task<Ok<AgentView>> GetAsync(Guid id, Caller caller, AgentService agents, CancellationToken ct) =>
        TypedResults.Ok(await agents.GetAsync(caller.OrgId, id, ct));

    /// <summary>PATCH: the fields it names change, the others stay.</summary>
    public static async Task<Ok<AgentView>> UpdateAsync(Guid id, UpdateAgentRequest body, Caller caller, AgentService agents, CancellationToken ct)
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
        return TypedResults.Ok(await agents.UpdateAsync(caller, id, before => new AgentFields(name ?? before.Name, type ?? before.Type,
            body.Provider.IsSet ? provider : before.Provider, status ?? before.Status, tags ?? before.Tags,
            body.Environment.IsSet ? environment : before.Environment, config ?? before.Config.GetRawText(), body.Team.IsSet ? team : before.Team), ct));
    }

    public static async Task<NoContent> ArchiveAsync(Guid id, Caller caller, AgentService agents, CancellationToken ct)
    {
        await agents.ArchiveAsync(caller, id, ct);
        return TypedResults.NoContent();
    }

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
