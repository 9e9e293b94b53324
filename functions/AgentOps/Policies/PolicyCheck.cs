using System.Buffers;
using System.Text.Json;
using AgentOps.Agents;

namespace AgentOps.Policies;

/// <summary>The reasons a check gives (the engine's rule_matched / no_rule_matched, and the two emergency stops).</summary>
public static class CheckReasons
{
    public const string OrgKilled = "org_killed";
    public const string AgentPaused = "agent_paused";
}

/// <summary>
/// The SDK's check before an action, as pure decisions: the emergency stops come before any policy (a stopped agent is
/// blocked whatever the rules say, and the rules are not even evaluated), then the organization's active policies.
/// </summary>
public static class PolicyCheck
{
    /// <summary>Why the agent may not act at all, or null: the kill switch first, then the agent's own pause.</summary>
    public static string? Stop(bool orgKilled, string agentStatus) =>
        orgKilled ? CheckReasons.OrgKilled
        : agentStatus == "paused" ? CheckReasons.AgentPaused
        : null;

    /// <summary>The answer: a stop blocks; otherwise the policies' combined decision stands.</summary>
    public static (PolicyAction Action, string Reason, PolicyRule? DecidedBy, IReadOnlyList<PolicyRule> Matched) Answer(string? stop, PolicyDecision? policies) =>
        stop is not null ? (PolicyAction.Block, stop, null, [])
        : policies is null ? throw new ArgumentNullException(nameof(policies), "Without a stop the policies must have decided.")
        : (policies.Action, policies.Reason, policies.DecidedBy, policies.Matched);
}

/// <summary>What the platform has stored about a run so far (all zero for a run it has not seen yet).</summary>
public sealed record RunFacts(string? Name, string? Status, long CostMicros, long TokensIn, long TokensOut, long TokensCached, int LlmCalls,
    int ToolCalls, int ErrorCount, int EventCount, DateTimeOffset? StartedAt, long? DurationMs, string[] Models)
{
    public static readonly RunFacts None = new(null, null, 0, 0, 0, 0, 0, 0, 0, 0, null, null, []);

    public const string Select = """
        SELECT name, status, cost_micros, tokens_in, tokens_out, tokens_cached, llm_calls, tool_calls, error_count, event_count, started_at,
               duration_ms, models
        FROM runs WHERE org_id = $1 AND id = $2
        """;

    public static RunFacts Read(NpgsqlDataReader r) => new(r.NullableString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4),
        r.GetInt64(5), r.GetInt32(6), r.GetInt32(7), r.GetInt32(8), r.GetInt32(9), r.Time(10), r.IsDBNull(11) ? null : r.GetInt64(11), (string[])r[12]);
}

/// <summary>
/// The document policies are evaluated over: {agent: {id, name, type, tags, environment, status, team}, run: {id, ...},
/// action, context}. Run facts are present only when some rule reads them (the check then loaded the run's row);
/// otherwise run has only its id.
/// </summary>
public static class EvaluationContext
{
    public static JsonDocument Build(AgentRef agent, string runId, RunFacts? run, JsonElement action, JsonElement? context)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("agent");
            w.WriteString("id", agent.Id);
            w.WriteString("name", agent.Name);
            w.WriteString("type", agent.Type);
            w.WriteStartArray("tags");
            foreach (var tag in agent.Tags) w.WriteStringValue(tag);
            w.WriteEndArray();
            WriteStringOrNull(w, "environment", agent.Environment);
            w.WriteString("status", agent.Status);
            WriteStringOrNull(w, "team", agent.Team);
            w.WriteEndObject();

            w.WriteStartObject("run");
            w.WriteString("id", runId);
            if (run is not null)
            {
                WriteStringOrNull(w, "name", run.Name);
                WriteStringOrNull(w, "status", run.Status);
                w.WriteNumber("cost_usd", run.CostMicros / 1_000_000m);
                w.WriteNumber("cost_micros", run.CostMicros);
                w.WriteNumber("tokens_in", run.TokensIn);
                w.WriteNumber("tokens_out", run.TokensOut);
                w.WriteNumber("tokens_cached", run.TokensCached);
                w.WriteNumber("tokens", run.TokensIn + run.TokensOut);
                w.WriteNumber("llm_calls", run.LlmCalls);
                w.WriteNumber("tool_calls", run.ToolCalls);
                w.WriteNumber("error_count", run.ErrorCount);
                w.WriteNumber("event_count", run.EventCount);
                if (run.StartedAt is { } started) w.WriteString("started_at", started); else w.WriteNull("started_at");
                if (run.DurationMs is { } duration) w.WriteNumber("duration_ms", duration); else w.WriteNull("duration_ms");
                w.WriteStartArray("models");
                foreach (var model in run.Models) w.WriteStringValue(model);
                w.WriteEndArray();
            }
            w.WriteEndObject();

            w.WritePropertyName("action");
            action.WriteTo(w);
            w.WritePropertyName("context");
            if (context is { ValueKind: JsonValueKind.Object } c) c.WriteTo(w);
            else { w.WriteStartObject(); w.WriteEndObject(); }
            w.WriteEndObject();
        }
        return JsonDocument.Parse(buffer.WrittenMemory);
    }

    private static void WriteStringOrNull(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, value);
    }
}
