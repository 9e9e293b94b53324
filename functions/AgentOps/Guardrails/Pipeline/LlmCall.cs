using AgentOps.Guardrails.Envelope;
using AgentOps.Guardrails.Redaction;
using AgentOps.Guardrails.Screening;
using AgentOps.Providers;

namespace AgentOps.Guardrails.Pipeline;

/// <summary>A prompt in the labelled sections of <see cref="PromptEnvelope"/>: what a platform feature (a judge, a generator) sends.</summary>
public sealed record PromptSections(string System, string Task, string Constraints, string OutputSchema, IReadOnlyList<ContextPart> Context);

/// <summary>
/// One model call as the pipeline takes it: a conversation (<see cref="ModelRequest.Messages"/>) or labelled sections
/// (<see cref="Sections"/>, rendered into a system and a user message after redaction), with the request's tools,
/// format and sampling. <see cref="UseCache"/>: answer from, and keep in, the response cache. <see cref="MaxReasks"/>:
/// how often an answer that fails the schema gate is sent back with its errors. <see cref="MaxInputTokens"/> and the
/// request's max_tokens are the per-call caps the budget step enforces.
/// </summary>
public sealed record LlmCallInput(ModelRequest Request, PromptSections? Sections = null)
{
    public bool UseCache { get; init; } = true;

    public int MaxReasks { get; init; } = 1;

    public int? MaxInputTokens { get; init; }

    /// <summary>The agent the call is recorded under (its run and llm.call span).</summary>
    public string Agent { get; init; } = LlmCallLimits.DefaultAgent;

    /// <summary>A scope the call counts against (an eval run, a job), with its caps; null: no scope.</summary>
    public ScopeCaps? Scope { get; init; }
}

/// <summary>Caps for one scope of calls (an eval run, a job), shared by every replica: null means that measure is not capped.</summary>
public sealed record ScopeCaps(string Scope, long? MaxCalls, long? MaxInputTokens, long? MaxOutputTokens);

/// <summary>What the budget step asks the ledger to admit: the agent's call, and its reservation against the scope (not for a cache hit).</summary>
public sealed record LlmAdmission(string Agent, ScopeCaps? Scope, long EstimatedInputTokens, long MaxOutputTokens, bool Reserve);

/// <summary>
/// Who calls, for which organization, through which provider connection (its id keys the cache and the spans).
/// <see cref="Attempts"/> is filled by the provider step (which targets were tried, skipped, retried) for the audit rows and the span.
/// </summary>
public sealed record LlmCallContext(Guid OrgId, Actor Actor, Guid ConnectionId, string Provider, string ConnectionName)
{
    public List<ProviderAttempt> Attempts { get; } = [];

    /// <summary>The connection's version (when it last changed): part of the cache key, so an edited connection's old answers are not served.</summary>
    public long ConnectionVersion { get; init; }

    /// <summary>The provider (adapter name) that answered, when a fallback did: the answer is priced and labelled as its.</summary>
    public string? AnsweredBy { get; set; }
}

/// <summary>One line of the provider step's attempt log: the target (connection/model), the attempt on it, what became of it, the wait before it and its time.</summary>
public sealed record ProviderAttempt(string Target, int Attempt, string Outcome, string? Kind, int? Status, double WaitedMs, double DurationMs);

/// <summary>The call's limits, named (docs/guardrails.md lists them).</summary>
public static class LlmCallLimits
{
    public const string DefaultAgent = "agentops.llm";

    /// <summary>Messages per call, and context parts per prompt.</summary>
    public const int MaxMessages = 500;

    /// <summary>Characters of all the call's texts together (messages, sections, tool arguments): 512 Ki.</summary>
    public const int MaxPromptChars = 512 * 1024;

    /// <summary>max_tokens when the caller gives none: every call reserves a bounded output.</summary>
    public const int DefaultMaxTokens = 4_096;

    /// <summary>The highest max_tokens a call may ask for, and the default input cap per call (estimated tokens).</summary>
    public const int MaxOutputTokensPerCall = 65_536;
    public const int MaxInputTokensPerCall = 200_000;

    /// <summary>Re-asks after a schema-gate failure, at most.</summary>
    public const int MaxReasks = 3;

    /// <summary>Tokens by the usual rule of thumb (a quarter of the characters, rounded up), for admission before the provider counts.</summary>
    public static int EstimateTokens(int chars) => (chars + 3) / 4;
}

/// <summary>The injection screen's verdicts of one call, folded: the worst action, highest score and every reason.</summary>
public sealed record ScreenSummary(string Action, double Score, IReadOnlyList<string> Reasons, int TextsScreened)
{
    public static ScreenSummary None { get; } = new("pass", 0, [], 0);
}

/// <summary>
/// How the call ended. <see cref="Denied"/>: refused by a step (its <see cref="DeniedCode"/> and reason) before or
/// after the provider; <see cref="Result"/> is the answer as the caller may see it (placeholders restored only where
/// the organization allows, never inside tool-call arguments). Hashes are lower-case hex SHA-256.
/// </summary>
public sealed record LlmCallOutcome(
    Guid CallId,
    string? DeniedCode,
    string? DeniedReason,
    ModelResult? Result,
    bool Cached,
    string? PromptHash,
    string? ContextHash,
    string? OutputHash,
    long? CostMicros,
    IReadOnlyList<StepRecord> Steps,
    RedactionReport Redactions,
    ScreenSummary Screen,
    IReadOnlyList<string> SchemaErrors,
    int Reasks)
{
    public bool Denied => DeniedCode is not null;

    /// <summary>Kinds found that the organization only flags (they went to the provider as they were).</summary>
    public IReadOnlyList<string> Flagged { get; init; } = [];
}
