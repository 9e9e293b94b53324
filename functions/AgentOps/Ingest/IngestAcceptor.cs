using System.Text.Json;
using System.Text.Json.Serialization;
using AgentOps.Agents;
using AgentOps.Audit;
using AgentOps.Blobs;

namespace AgentOps.Ingest;

public sealed record ItemResult(int Index, string? Id, string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Code = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Message = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Path = null);

/// <summary>202: every item accepted (no per-item results); 207: a result for every item.</summary>
public sealed record IngestResponse(int Accepted, int Rejected,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ItemResult>? Results);

/// <summary>
/// The front door's work for one batch: parse and validate every item, resolve agents (auto-registering unknown
/// names when the caller may write agents), refuse items of paused or archived agents (code agent_paused so SDKs can
/// stop), apply the organization's rate, move large payloads to the blob store, and hand the valid events to the sink,
/// which returns once they are durable.
/// </summary>
public sealed class IngestAcceptor(AgentDirectory agents, IngestRateLimits rates, IngestBacklog backlog, IBlobStore blobs, IAcceptedBatchSink sink, TimeProvider time)
{
    public async Task<IngestResponse> AcceptAsync(Caller caller, IReadOnlyList<JsonElement> items, CancellationToken ct)
    {
        backlog.ThrowIfOverloaded();
        var now = time.GetUtcNow();
        var parsed = items.Select(item => EventParser.Parse(item, now)).ToArray();
        // The rate is charged for every well-formed item before anything is written (agents registered included), so a
        // request over the rate changes nothing; items later refused for their agent are charged too.
        await rates.AcquireAsync(caller.OrgId, parsed.Count(p => p.Event is not null), ct);
        var keys = parsed.Where(p => p.Event is not null).Select(p => p.AgentKey!).Distinct(StringComparer.Ordinal).ToArray();
        var mayRegister = Rbac.Allows(caller, Permission.AgentsWrite);
        var resolved = keys.Length == 0 ? new Dictionary<string, AgentRef?>()
            : await agents.ResolveAsync(caller.OrgId, keys, mayRegister ? Actor.Of(caller) : null, ct);

        var results = new ItemResult[parsed.Length];
        var accepted = new List<IngestEvent>(parsed.Length);
        for (var i = 0; i < parsed.Length; i++)
        {
            var p = parsed[i];
            if (p.Error is { } error) { results[i] = new ItemResult(i, p.Id, "rejected", error.Code, error.Message, error.Path); continue; }
            var agent = resolved.GetValueOrDefault(p.AgentKey!);
            results[i] = agent switch
            {
                null => new ItemResult(i, p.Id, "rejected", "unknown_agent", mayRegister
                    ? "No agent with this id; names are registered on first use, ids are not."
                    : "No agent with this id or name, and this key may not register agents (it needs the write scope).", "$.agent"),
                { Status: "paused" } => new ItemResult(i, p.Id, "rejected", "agent_paused", "The agent is paused: stop sending until it is resumed.", "$.agent"),
                { Status: "archived" } => new ItemResult(i, p.Id, "rejected", "agent_archived", "The agent is archived.", "$.agent"),
                _ => new ItemResult(i, p.Id, "accepted"),
            };
            if (agent is { Status: "active" }) accepted.Add(p.Event! with { AgentId = agent.Id });
        }

        for (var i = 0; i < accepted.Count; i++) accepted[i] = await OffloadAsync(caller.OrgId, accepted[i], ct);
        if (accepted.Count > 0) await sink.AcceptAsync(caller.OrgId, [.. accepted], ct);

        var rejected = parsed.Length - accepted.Count;
        return new IngestResponse(accepted.Count, rejected, rejected == 0 ? null : results);
    }

    /// <summary>Inputs and outputs above the inline limit are stored as blobs; the event keeps the reference.</summary>
    private async Task<IngestEvent> OffloadAsync(Guid orgId, IngestEvent e, CancellationToken ct)
    {
        if (IsLarge(e.Input)) e = e with { InputRef = await blobs.PutAsync(orgId, e.Input!, ct), Input = null };
        if (IsLarge(e.Output)) e = e with { OutputRef = await blobs.PutAsync(orgId, e.Output!, ct), Output = null };
        return e;
    }

    private static bool IsLarge(string? text) => text is not null && (text.Length > IngestLimits.MaxInlinePayloadBytes
        || System.Text.Encoding.UTF8.GetByteCount(text) > IngestLimits.MaxInlinePayloadBytes);
}
