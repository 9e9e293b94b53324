using AgentOps.Providers;

namespace AgentOps.Guardrails.Pipeline;

/// <summary>What the audit's llm.request row holds: hashes, counts and verdicts; never a text, a value or a secret.</summary>
public sealed record LlmRequestRecord(
    Guid CallId, string Provider, Guid ConnectionId, string Connection, string Model, string Agent, string PromptHash, string ContextHash, string OptionsHash,
    int EstimatedInputTokens, int? MaxTokens, bool Cached, string? Scope, IReadOnlyList<RedactionCountView> Redactions, IReadOnlyList<string> Flagged, ScreenSummary Screen,
    IReadOnlyList<StepRecord> Steps);

public sealed record RedactionCountView(string Kind, int Occurrences, int Values);

/// <summary>
/// The answer's side: the audit's llm.response row and the run with its llm.call span. <see cref="Prompt"/> and
/// <see cref="Answer"/> are the recorded (redacted) forms, for the span only.
/// </summary>
public sealed record LlmResponseRecord(
    LlmRequestRecord Request, ModelResult Answer, IReadOnlyList<ModelMessage> Prompt, string OutputHash, bool Cached, int Reasks,
    IReadOnlyList<string> SchemaErrors, DateTimeOffset StartedAt, TimeSpan Duration, IReadOnlyList<StepRecord> Steps);

/// <summary>
/// A call that failed or was refused (the audit's llm.error row, and a failed run). <see cref="Reserved"/>: the budget
/// step had reserved against the call's scope; <see cref="Used"/> what the provider used before the failure (re-asks,
/// a stream cut after text): the reservation is settled to it.
/// </summary>
public sealed record LlmErrorRecord(LlmRequestRecord Request, string Code, string Message, int? ProviderStatus, DateTimeOffset StartedAt, TimeSpan Duration,
    IReadOnlyList<StepRecord> Steps, bool Reserved, ModelUsage Used);

/// <summary>
/// The pipeline's durable side (Postgres in both hosts): admission (the kill switch, the agent's state), the audit
/// rows, the runs and spans, the cost. Each method returns once its rows are durable; a failure throws and the
/// pipeline refuses the call rather than go on unrecorded (a failing audit sink is surfaced, not swallowed).
/// </summary>
public interface ILlmLedger
{
    /// <summary>
    /// May the organization's agent make a call now (kill switch, the agent's state), and does it fit its scope's caps
    /// (reserved when <see cref="LlmAdmission.Reserve"/>)? Continue, or a denial (kill_switch, agent_paused, scope_budget_exceeded, …).
    /// </summary>
    ValueTask<StepResult> AdmitAsync(LlmCallContext context, LlmAdmission admission, CancellationToken ct);

    Task RequestAsync(LlmCallContext context, LlmRequestRecord record, CancellationToken ct);

    /// <summary>Records the answer; returns its cost in micro-dollars (null when the model has no price).</summary>
    Task<long?> ResponseAsync(LlmCallContext context, LlmResponseRecord record, CancellationToken ct);

    Task ErrorAsync(LlmCallContext context, LlmErrorRecord record, CancellationToken ct);
}
