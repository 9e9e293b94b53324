using System.Text.Json;
using AgentOps.Agents;
using AgentOps.Audit;
using AgentOps.Costs;
using AgentOps.Guardrails.Pipeline;
using AgentOps.Ingest;
using AgentOps.Policies;
using AgentOps.Providers;

namespace AgentOps.Llm;

/// <summary>
/// The pipeline's durable side in Postgres. Admission reads the kill switch and the agent's state from their 1 s caches
/// (the agent a call is recorded under is registered on first use). The audit rows (llm.request, llm.response,
/// llm.error) hold hashes, counts, verdicts, usage and cost; never a prompt, an answer or a secret. The answer's run
/// goes through the accepted-batch sink, the same durable road as ingest, so the platform's own spend shows in costs and
/// budgets like any agent's: a run <c>llm-&lt;call id&gt;</c> with one llm.call span carrying OpenTelemetry GenAI
/// attributes in its metadata and the redacted prompt and answer (each cut at <see cref="MaxSpanTextChars"/>).
/// </summary>
public sealed class LlmLedger(Db db, AgentDirectory agents, OrgPolicyCache controls, PriceBook prices, IAcceptedBatchSink sink) : ILlmLedger
{
    /// <summary>Characters of prompt and of answer kept on the llm.call span (the rest is cut, with a marker).</summary>
    public const int MaxSpanTextChars = 16 * 1024;

    private static readonly Actor Platform = new(ActorType.System, null, new RequestInfo(null, null));

    public async ValueTask<StepResult> AdmitAsync(LlmCallContext context, LlmAdmission admission, CancellationToken ct)
    {
        var snapshot = await controls.GetAsync(context.OrgId, ct);
        if (snapshot.Killed) return StepResult.Deny("kill_switch", "The organization's kill switch is on: no model calls until it is lifted.");
        var found = (await agents.ResolveAsync(context.OrgId, [admission.Agent], Platform, ct)).GetValueOrDefault(admission.Agent);
        var state = found switch
        {
            null => StepResult.Deny("unknown_agent", "No agent with this id; names are registered on first use, ids are not."),
            { Status: "paused" } => StepResult.Deny("agent_paused", $"The agent {found.Name} is paused: its model calls are refused until it is resumed."),
            { Status: "archived" } => StepResult.Deny("agent_archived", $"The agent {found.Name} is archived."),
            _ => StepResult.Continue,
        };
        if (state.Verdict != StepVerdict.Continue || !admission.Reserve || admission.Scope is not { } caps) return state;
        // Not the step's token: a reservation that committed must be known to the pipeline (which gives it back on an error).
        var exceeded = await db.InOrgAsync(context.OrgId, tx => ScopeBudgets.ReserveAsync(tx, caps, admission.EstimatedInputTokens, admission.MaxOutputTokens,
            CancellationToken.None), CancellationToken.None);
        return exceeded is null ? StepResult.Continue
            : StepResult.Deny("scope_budget_exceeded", $"The call would pass the caps of the scope '{caps.Scope}' ({exceeded}).");
    }

    public Task RequestAsync(LlmCallContext context, LlmRequestRecord record, CancellationToken ct) =>
        db.InOrgAsync(context.OrgId, tx => AuditLog.RecordAsync(tx, context.Actor, "llm.request", "llm_call", record.CallId, null, record, ct), ct);

    /// <summary>
    /// The run first (through the sink), then the settlement and the llm.response row in one transaction: if the row
    /// cannot be written, nothing was settled and the pipeline's error row settles instead (no double settlement).
    /// </summary>
    public async Task<long?> ResponseAsync(LlmCallContext context, LlmResponseRecord record, CancellationToken ct)
    {
        var usage = record.Answer.Usage;
        await RecordRunAsync(context, record.Request, record.StartedAt, record.Duration, record.Answer, record.Prompt, null, record.Steps, ct);
        return await db.InOrgAsync(context.OrgId, async tx =>
        {
            var price = Pricing.Find(await prices.ForOrgAsync(tx, ct), context.AnsweredBy ?? record.Request.Provider,
                record.Answer.Model.Length > 0 ? record.Answer.Model : record.Request.Model, record.StartedAt);
            long? micros = price is null ? null : Pricing.CostMicros(price, usage.InputTokens, usage.OutputTokens, usage.CachedInputTokens);
            if (record.Request.Scope is { } scope && !record.Cached)
                await ScopeBudgets.SettleAsync(tx, scope, usage.InputTokens - record.Request.EstimatedInputTokens, usage.OutputTokens - (record.Request.MaxTokens ?? 0), ct);
            await AuditLog.RecordAsync(tx, context.Actor, "llm.response", "llm_call", record.Request.CallId, null, new
            {
                record.Request.CallId, record.Request.Provider, record.Request.Connection, Model = record.Answer.Model, record.Request.PromptHash,
                record.Request.ContextHash, record.OutputHash, record.Cached, record.Reasks, FinishReason = Wire(record.Answer.FinishReason),
                ProviderRequestId = record.Answer.RequestId, Usage = usage, CostMicros = micros, DurationMs = (long)record.Duration.TotalMilliseconds,
                ReaskErrors = record.SchemaErrors, Steps = record.Steps, context.Attempts, context.AnsweredBy,
            }, ct);
            return micros;
        }, ct);
    }

    public async Task ErrorAsync(LlmCallContext context, LlmErrorRecord record, CancellationToken ct)
    {
        await db.InOrgAsync(context.OrgId, async tx =>
        {
            // Settled to what the provider used before the failure (nothing, unless re-asks or a cut stream used some); the call stays counted.
            if (record.Reserved && record.Request.Scope is { } scope)
                await ScopeBudgets.SettleAsync(tx, scope, record.Used.InputTokens - record.Request.EstimatedInputTokens,
                    record.Used.OutputTokens - (record.Request.MaxTokens ?? 0), ct);
            await AuditLog.RecordAsync(tx, context.Actor, "llm.error", "llm_call", record.Request.CallId, null, new
            {
                record.Request.CallId, record.Request.Provider, record.Request.Connection, record.Request.Model, record.Request.Agent, record.Request.Scope,
                record.Request.PromptHash, record.Request.ContextHash, record.Code, record.Message, record.ProviderStatus, Usage = record.Used,
                DurationMs = (long)record.Duration.TotalMilliseconds, record.Request.Redactions, record.Request.Flagged, record.Request.Screen, record.Steps,
                context.Attempts,
            }, ct);
        }, ct);
        // Refused at admission (the kill switch, an agent that may not run): no run is recorded for an agent that may not run.
        if (record.Code is "kill_switch" or "agent_paused" or "agent_archived" or "unknown_agent") return;
        await RecordRunAsync(context, record.Request, record.StartedAt, record.Duration, null, [], record, record.Steps, ct);
    }

    /// <summary>The run with its llm.call span, handed to the accepted-batch sink (durable when it returns).</summary>
    private async Task RecordRunAsync(LlmCallContext context, LlmRequestRecord request, DateTimeOffset startedAt, TimeSpan duration, ModelResult? answer,
        IReadOnlyList<ModelMessage> prompt, LlmErrorRecord? error, IReadOnlyList<StepRecord> steps, CancellationToken ct)
    {
        var agent = (await agents.ResolveAsync(context.OrgId, [request.Agent], Platform, ct)).GetValueOrDefault(request.Agent);
        if (agent is null) return;
        var runId = $"llm-{request.CallId}";
        var endedAt = startedAt + duration;
        var status = error is null ? RunStatuses.Succeeded : RunStatuses.Failed;
        var provider = GenAiProvider(context.AnsweredBy ?? request.Provider);
        var attributes = new Dictionary<string, object?>
        {
            ["gen_ai.operation.name"] = "chat",
            ["gen_ai.provider.name"] = provider,
            ["gen_ai.request.model"] = request.Model,
            ["gen_ai.request.max_tokens"] = request.MaxTokens,
            ["gen_ai.response.model"] = answer?.Model,
            ["gen_ai.response.id"] = answer?.RequestId,
            ["gen_ai.response.finish_reasons"] = answer is null ? null : new[] { Wire(answer.FinishReason) },
            ["gen_ai.usage.input_tokens"] = (answer?.Usage ?? error?.Used)?.InputTokens,
            ["gen_ai.usage.output_tokens"] = (answer?.Usage ?? error?.Used)?.OutputTokens,
            ["gen_ai.usage.cache_read.input_tokens"] = (answer?.Usage ?? error?.Used)?.CachedInputTokens,
            ["error.type"] = error?.Code,
            ["agentops.llm.call_id"] = request.CallId,
            ["agentops.llm.connection"] = request.Connection,
            ["agentops.llm.cached"] = request.Cached,
            ["agentops.llm.prompt_hash"] = request.PromptHash,
            ["agentops.llm.context_hash"] = request.ContextHash,
            // One entry per guardrail step, as the GenAI conventions' guardrail events: its name, result and time.
            ["gen_ai.guardrail.results"] = steps.Select(s => new { name = s.Step, result = s.Outcome, code = s.Code, duration_ms = Math.Round(s.Milliseconds, 3) }),
            ["gen_ai.guardrail.injection"] = new { action = request.Screen.Action, score = request.Screen.Score, reasons = request.Screen.Reasons },
            ["gen_ai.guardrail.redactions"] = request.Redactions,
            ["agentops.llm.attempts"] = context.Attempts,
        };
        var events = new IngestEvent[]
        {
            new() { Id = $"{runId}:start", Type = EventTypes.RunStart, Timestamp = startedAt, RunId = runId, AgentId = agent.Id, Name = "llm.complete" },
            new()
            {
                Id = $"{runId}:call", Type = EventTypes.LlmCall, Timestamp = startedAt, RunId = runId, AgentId = agent.Id, Name = $"chat {request.Model}",
                Status = status, EndedAt = endedAt, DurationMs = (long)duration.TotalMilliseconds, Model = answer?.Model is { Length: > 0 } m ? m : request.Model,
                Provider = context.AnsweredBy ?? request.Provider, TokensIn = (answer?.Usage ?? error?.Used)?.InputTokens, TokensOut = (answer?.Usage ?? error?.Used)?.OutputTokens,
                TokensCached = (answer?.Usage ?? error?.Used)?.CachedInputTokens,
                Input = Cut(CallSteps.Conversation(prompt)), Output = answer is null ? null : Cut(answer.Content), Error = error is null ? null : $"{error.Code}: {error.Message}",
                Metadata = JsonSerializer.Serialize(attributes, Json.Options),
            },
            new() { Id = $"{runId}:end", Type = EventTypes.RunEnd, Timestamp = endedAt, RunId = runId, AgentId = agent.Id, Status = status, EndedAt = endedAt,
                DurationMs = (long)duration.TotalMilliseconds, Error = error?.Code },
        };
        await sink.AcceptAsync(context.OrgId, events, ct);
    }

    private static string Cut(string text) => text.Length <= MaxSpanTextChars ? text : text[..MaxSpanTextChars] + "…[cut]";

    /// <summary>The provider's name as the GenAI conventions spell it (gen_ai.provider.name).</summary>
    public static string GenAiProvider(string kind) => kind switch
    {
        "openai" or "openai-compatible" => "openai", "azure-openai" => "azure.ai.openai", "anthropic" => "anthropic", "gemini" => "gcp.gemini", _ => kind,
    };

    public static string Wire(FinishReason reason) => reason switch
    {
        FinishReason.Stop => "stop", FinishReason.Length => "length", FinishReason.ToolCalls => "tool_calls", FinishReason.ContentFilter => "content_filter", _ => "error",
    };
}
