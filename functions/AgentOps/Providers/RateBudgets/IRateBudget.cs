namespace AgentOps.Providers.RateBudgets;

/// <summary>What a rate budget counts: one organization's calls to one model of one provider (connection).</summary>
public sealed record RateKey(Guid OrgId, string Provider, string Model);

/// <summary>
/// A slot taken at admission: one request and <see cref="ReservedTokens"/> (estimated input + max output tokens)
/// counted against the key's budgets until it is settled with what the call really used, or expires.
/// </summary>
public sealed record RateReservation(Guid Id, RateKey Key, long ReservedTokens, DateTimeOffset ExpiresAt);

/// <summary>The answer at admission: a reservation, or which budget is spent and when to ask again.</summary>
public abstract record RateAdmission
{
    private RateAdmission() { }

    public sealed record Admitted(RateReservation Reservation) : RateAdmission;

    /// <summary>
    /// <paramref name="Budget"/> is "requests" or "tokens" (<see cref="RateBudgetRules.Requests"/>, <see cref="RateBudgetRules.Tokens"/>);
    /// <paramref name="RetryAfter"/> when a slot frees up (the window's end, or the provider's reset when it said so).
    /// </summary>
    public sealed record Exhausted(string Budget, TimeSpan RetryAfter) : RateAdmission;
}

/// <summary>
/// Requests-per-minute and tokens-per-minute budgets, shared by every replica. Reserve before the call; settle after it
/// (with the tokens used and the provider's rate-limit headers, if any), whether it succeeded or failed. A reservation
/// never settled stops counting when it expires.
/// </summary>
public interface IRateBudget
{
    /// <param name="estimatedTokens">The call's input tokens (estimated) plus its max_tokens: what it may use at most.</param>
    /// <exception cref="DomainError">422 model_call_too_large when the estimate alone exceeds the key's tokens per minute:
    /// the call could never be admitted, so it is refused rather than told to wait (docs/llm.md).</exception>
    Task<RateAdmission> ReserveAsync(RateKey key, long estimatedTokens, CancellationToken ct);

    /// <summary>Idempotent: a second settlement of the same reservation changes nothing.</summary>
    Task SettleAsync(RateReservation reservation, long usedTokens, RateLimitInfo? observed, CancellationToken ct);
}
