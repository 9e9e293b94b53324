using AgentOps.Providers.RateBudgets;

namespace AgentOps.Providers.Resilience;

/// <summary>
/// One place a call may go: a provider connection's adapter and credential, the model to ask there, the deployment key
/// its breaker and concurrency limit are kept under (connection id + model: the same model behind two connections is
/// two deployments) and the key its rate budget counts under.
/// </summary>
public sealed record ModelTarget(IModelProvider Provider, ProviderCredential Credential, string Model, string DeploymentKey, RateKey RateKey)
{
    /// <summary>The key a deployment is kept under: a connection and a model.</summary>
    public static string KeyOf(Guid connectionId, string model) => $"{connectionId:N}/{model}";

    public override string ToString() => $"{Provider.Name}/{Model}";
}

/// <summary>How a call runs: its priority class, the time it has in all (every target, attempt and wait), its token estimate.</summary>
public sealed record ModelCallOptions
{
    public static ModelCallOptions Interactive { get; } = new();

    public static ModelCallOptions Batch { get; } = new() { Priority = CallPriority.Batch };

    public CallPriority Priority { get; init; } = CallPriority.Interactive;

    /// <summary>The call's deadline from now; null: <see cref="ResilienceOptions.DefaultTimeout"/>.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Tokens reserved against the rate budget; null: <see cref="TokenEstimate.Of"/> the request.</summary>
    public long? EstimatedTokens { get; init; }
}

/// <summary>What became of one attempt (or of a target skipped before any attempt).</summary>
public enum AttemptOutcome
{
    Succeeded,
    /// <summary>The provider failed (<see cref="CallAttempt.Kind"/> says how); retried, fallen back or the end, as the next entry shows.</summary>
    Failed,
    /// <summary>The deployment's circuit is open: not called.</summary>
    SkippedCircuitOpen,
    /// <summary>The rate budget (requests or tokens per minute) is spent: not called.</summary>
    SkippedBudgetExhausted,
    /// <summary>No concurrency slot: the queue was full or the wait too long.</summary>
    SkippedConcurrency,
    /// <summary>The call's deadline passed during the attempt or before it.</summary>
    DeadlineExceeded,
    /// <summary>The caller cancelled (or stopped reading a stream).</summary>
    Cancelled,
}

/// <summary>
/// One line of a call's attempt log, for the audit and the call's span: which target (its index in the chain), which
/// attempt on it (1 for the first), what happened, how long the call waited before it (backoff and queue) and how long
/// the attempt took; <see cref="Detail"/> says it in words (never with a credential).
/// </summary>
public sealed record CallAttempt(int Target, string DeploymentKey, string Provider, string Model, int Attempt, AttemptOutcome Outcome,
    ProviderErrorKind? Kind, int? StatusCode, TimeSpan Waited, TimeSpan Duration, string Detail);

/// <summary>A call that succeeded: the answer, the target that gave it and every attempt before.</summary>
public sealed record ResilientResult(ModelResult Result, ModelTarget Target, IReadOnlyList<CallAttempt> Attempts);

/// <summary>
/// A call that got no answer from any target of its chain: <see cref="Kind"/> is the failure that decided it (a request
/// fault that stops the chain, else the last target's), <see cref="RetryAfter"/> the soonest a retry could go
/// (a provider's retry-after, a budget's refill), and the message says for every target why it gave nothing.
/// </summary>
public sealed class ModelCallFailedException(ProviderErrorKind kind, string message, int? statusCode, TimeSpan? retryAfter,
    IReadOnlyList<CallAttempt> attempts, ProviderException? lastError)
    : Exception(message, lastError)
{
    public ProviderErrorKind Kind { get; } = kind;

    public int? StatusCode { get; } = statusCode;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    public IReadOnlyList<CallAttempt> Attempts { get; } = attempts;

    public ProviderException? LastError { get; } = lastError;
}

/// <summary>A rough token count for the rate budget's reservation (settled with the real usage after the call).</summary>
public static class TokenEstimate
{
    /// <summary>Characters per token in English text for the common tokenizers (the same rule as the simulated provider).</summary>
    public const int CharactersPerToken = 4;

    /// <summary>Tokens per message for its role and framing.</summary>
    public const int TokensPerMessage = 4;

    /// <summary>Tokens an image counts for (a mid-size image at OpenAI's high detail).</summary>
    public const int TokensPerImage = 765;

    /// <summary>Output reserved when the request sets no max_tokens.</summary>
    public const int DefaultOutputTokens = 1024;

    public static long Of(ModelRequest request)
    {
        long characters = 0, tokens = 0;
        foreach (var m in request.Messages)
        {
            tokens += TokensPerMessage + m.Content.OfType<ImagePart>().Count() * TokensPerImage;
            characters += m.Text.Length + m.ToolCalls.Sum(c => c.Name.Length + c.ArgumentsJson.Length);
        }
        foreach (var t in request.Tools) characters += t.Name.Length + (t.Description?.Length ?? 0) + t.Parameters.GetRawText().Length;
        return tokens + (characters + CharactersPerToken - 1) / CharactersPerToken + (request.MaxTokens ?? DefaultOutputTokens);
    }
}
