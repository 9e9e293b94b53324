namespace AgentOps.Providers.RateBudgets;

/// <summary>The defaults of the rate budgets, read and validated by <see cref="ProvidersModule"/>.</summary>
public sealed record RateBudgetOptions
{
    /// <summary>Requests per minute per organization, provider and model without an override (the default: 1,800).</summary>
    public int DefaultRpm { get; init; } = 1800;

    /// <summary>Tokens per minute per organization, provider and model without an override (the default: 800,000).</summary>
    public long DefaultTpm { get; init; } = 800_000;

    /// <summary>Reads AGENTOPS_LLM_DEFAULT_RPM (1–1000000, default 1800) and AGENTOPS_LLM_DEFAULT_TPM (1–1000000000, default 800000).</summary>
    public static RateBudgetOptions Read(Settings settings) => new()
    {
        DefaultRpm = settings.Int("AGENTOPS_LLM_DEFAULT_RPM", 1800, 1, RateBudgetRules.MaxRpm),
        DefaultTpm = settings.Int("AGENTOPS_LLM_DEFAULT_TPM", 800_000, 1, (int)RateBudgetRules.MaxTpm),
    };
}

/// <summary>
/// <see cref="IRateBudget"/> over Postgres, shared by every replica: a reservation is one statement, a conditional
/// upsert of the key's counter row for the current minute (RateBudgetStore.TryReserveAsync), so concurrent reservations on any
/// number of replicas serialize on that row and never exceed a limit. Settlement corrects the window's tokens by what
/// the call used, once, and raises the counts to what the provider's headers say is left. A reservation never
/// settled stops counting when its window ends (its <see cref="RateReservation.ExpiresAt"/>).
/// </summary>
public sealed class PostgresRateBudget(Db db, RateBudgetOptions options, TimeProvider time) : IRateBudget
{
    /// <summary>
    /// Tries of a reservation or settlement: Postgres may end one transaction of a deadlock it detects (a settlement
    /// locks its reservation, then windows; a reservation that opens a window locks it, then prunes the key's expired
    /// reservations: the two can only meet when replicas' clocks disagree at a window's edge), or a refusal may find the
    /// window changed under it; both are worth one more go, and a few at most.
    /// </summary>
    public const int Attempts = 3;

    /// <exception cref="DomainError">422 model_call_too_large when the estimate alone exceeds the key's tokens per minute (it could never fit);
    /// 422 invalid when the key's provider or model is no name (<see cref="RateBudgetRules.IsProvider"/>, <see cref="RateBudgetRules.IsModel"/>).</exception>
    public async Task<RateAdmission> ReserveAsync(RateKey key, long estimatedTokens, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(estimatedTokens);
        if (!RateBudgetRules.IsProvider(key.Provider)) throw DomainError.Invalid("$.provider", "is not a provider name (printable ASCII without '/', 1 to 100 characters).");
        if (!RateBudgetRules.IsModel(key.Model)) throw DomainError.Invalid("$.model", "is not a model name (printable ASCII, 1 to 200 characters, not '*').");
        for (var attempt = 1; ; attempt++)
        {
            var now = time.GetUtcNow();
            var window = RateBudgetRules.WindowOf(now);
            try
            {
                var reservation = new RateReservation(Guid.CreateVersion7(), key, estimatedTokens, RateBudgetRules.WindowEnd(window));
                var admitted = await db.InOrgAsync(key.OrgId, async tx =>
                {
                    if (await RateBudgetStore.TryReserveAsync(tx, reservation, window, options.DefaultRpm, options.DefaultTpm, now, ct) is not { } opened)
                        return false;
                    if (opened) await RateBudgetStore.PruneAsync(tx, key, window, now, ct);
                    return true;
                }, ct);
                if (admitted) return new RateAdmission.Admitted(reservation);
                // Refused: why, and when to ask again, read after the commit (a refused upsert locks the window's row too,
                // and every other reservation of the key waits for it), in a transaction of its own.
                var answer = await db.InOrgAsync(key.OrgId, async tx =>
                {
                    var limit = await LimitAsync(tx, key, ct);
                    if (RateBudgetRules.NeverFits(limit, estimatedTokens))
                        throw DomainError.Unprocessable("model_call_too_large",
                            $"This call is estimated at {estimatedTokens} tokens, more than the {limit.Tpm} tokens per minute {key.Provider}/{key.Model} may use: "
                            + "it could never be admitted. Lower max_tokens or the input, or raise the limit (PUT /api/v1/llm/rate-limits).");
                    return RateBudgetRules.Refusal(await RateBudgetStore.WindowAsync(tx, key, window, ct), limit, estimatedTokens, now);
                }, ct);
                // A refusal whose window admits the call by now (a settlement or a new limit came between): ask again.
                if (answer is not null) return answer;
                if (attempt >= Attempts) return new RateAdmission.Exhausted(RateBudgetRules.Requests, TimeSpan.FromMilliseconds(100));
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected && attempt < Attempts) { }
        }
    }

    /// <summary>
    /// Idempotent: the first settlement of a reservation corrects its window's tokens by (used − reserved), while the
    /// window lasts; a second changes nothing. The provider's headers (any settlement, late ones too) only ever raise
    /// the current window's counts (<see cref="RateBudgetRules.Resync"/>).
    /// </summary>
    public async Task SettleAsync(RateReservation reservation, long usedTokens, RateLimitInfo? observed, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(usedTokens);
        var key = reservation.Key;
        for (var attempt = 1; ; attempt++)
        {
            var now = time.GetUtcNow();
            var window = RateBudgetRules.WindowOf(now);
            try
            {
                await db.InOrgAsync(key.OrgId, async tx =>
                {
                    // The correction first: the provider's headers were written after the call, so they already count what it used.
                    if (await RateBudgetStore.TakeReservationAsync(tx, reservation.Id, ct) is { } taken && RateBudgetRules.WindowEnd(taken.Window) > now
                        && usedTokens != taken.Reserved)
                        await RateBudgetStore.AdjustTokensAsync(tx, key, taken.Window, usedTokens - taken.Reserved, ct);
                    if (observed is not null) await ResyncAsync(tx, key, window, observed, now, ct);
                }, ct);
                return;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected && attempt < Attempts) { }
        }
    }

    private async Task ResyncAsync(Tx tx, RateKey key, DateTimeOffset window, RateLimitInfo observed, DateTimeOffset now, CancellationToken ct)
    {
        var limit = await LimitAsync(tx, key, ct);
        var state = await RateBudgetStore.WindowAsync(tx, key, window, ct, forUpdate: true);
        if (RateBudgetRules.Resync(state, limit, observed, now) is not { } resync) return;
        if (resync.Requests != state.Requests || resync.Tokens != state.Tokens)
            await RateBudgetStore.RaiseAsync(tx, key, window, resync.Requests, resync.Tokens, limit, ct);
        if (resync.NextWindowHold is { } hold)
            await RateBudgetStore.HoldAsync(tx, key, RateBudgetRules.WindowEnd(window), hold, limit, ct);
    }

    private async Task<RateLimit> LimitAsync(Tx tx, RateKey key, CancellationToken ct)
    {
        var (own, provider) = await RateBudgetStore.OverridesAsync(tx, key.Provider, key.Model, ct);
        return RateBudgetRules.Effective(own, provider, options.DefaultRpm, options.DefaultTpm);
    }
}
