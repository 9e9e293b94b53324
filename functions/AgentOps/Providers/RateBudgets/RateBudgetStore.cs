namespace AgentOps.Providers.RateBudgets;

/// <summary>An organization's override of the limits of one model (or, with model '*', of every model of a provider).</summary>
public sealed record RateLimitOverride(string Provider, string Model, int Rpm, long Tpm, DateTimeOffset UpdatedAt);

/// <summary>A key's counts in one window, as the live view shows them.</summary>
public sealed record RateWindowRow(string Provider, string Model, int Requests, long Tokens, DateTimeOffset? HeldUntil);

/// <summary>
/// The SQL of the rate budgets (llm_rate_limits, llm_rate_windows, llm_rate_reservations), in the caller's
/// transaction and organization. Times come from the application's clock (the replicas' clocks agree to well under a
/// second; a skew only moves a window's edge by as much).
/// </summary>
public static class RateBudgetStore
{
    /// <summary>The key's own override and its provider's '*' override, either absent.</summary>
    public static async Task<(RateLimit? Own, RateLimit? Provider)> OverridesAsync(Tx tx, string provider, string model, CancellationToken ct)
    {
        var rows = await tx.ListAsync("""
            SELECT model, rpm, tpm FROM llm_rate_limits WHERE org_id = $1 AND provider = $2 AND model IN ($3, '*')
            """, r => (Model: r.GetString(0), Limit: new RateLimit(r.GetInt32(1), r.GetInt64(2), r.GetString(0) == RateBudgetRules.AnyModel ? "provider" : "override")),
            ct, tx.OrgId, provider, model);
        return (rows.FirstOrDefault(r => r.Model != RateBudgetRules.AnyModel).Limit, rows.FirstOrDefault(r => r.Model == RateBudgetRules.AnyModel).Limit);
    }

    /// <summary>
    /// Takes one request and <paramref name="reservation"/>'s tokens in the window, if both fit the key's limits and no
    /// hold is in force, and records the reservation: one statement (one round trip, the least time under the lock),
    /// so concurrent reservations of the key serialize on the window's row lock and each sees the counts the one
    /// before it left (read committed re-checks the WHERE against the latest row version). The limits are looked up in
    /// the same statement: the key's own override, else its provider's '*', else the defaults (as
    /// <see cref="RateBudgetRules.Effective"/>). Returns null when nothing was taken, else whether this reservation
    /// opened the window (the moment to prune the key's past).
    /// </summary>
    public static async Task<bool?> TryReserveAsync(Tx tx, RateReservation reservation, DateTimeOffset window, int defaultRpm, long defaultTpm,
        DateTimeOffset now, CancellationToken ct)
    {
        var key = reservation.Key;
        var rows = await tx.ListAsync("""
            WITH lim AS (
              SELECT coalesce(o.rpm, $6) AS rpm, coalesce(o.tpm, $7) AS tpm
              FROM (SELECT 1) one LEFT JOIN LATERAL (
                SELECT rpm, tpm FROM llm_rate_limits WHERE org_id = $1 AND provider = $2 AND model IN ($3, '*') ORDER BY model = '*' LIMIT 1
              ) o ON true
            ), taken AS (
              INSERT INTO llm_rate_windows AS w (org_id, provider, model, window_start, requests, tokens, rpm, tpm)
              SELECT $1, $2, $3, $4, 1, $5, lim.rpm, lim.tpm FROM lim WHERE 1 <= lim.rpm AND $5 <= lim.tpm
              ON CONFLICT (org_id, provider, model, window_start) DO UPDATE
                SET requests = w.requests + 1, tokens = w.tokens + excluded.tokens, rpm = excluded.rpm, tpm = excluded.tpm
                WHERE w.requests + 1 <= excluded.rpm AND w.tokens + excluded.tokens <= excluded.tpm AND (w.held_until IS NULL OR w.held_until <= $8)
              RETURNING (xmax = 0) AS opened
            ), recorded AS (
              INSERT INTO llm_rate_reservations (id, org_id, provider, model, window_start, reserved_tokens, expires_at)
              SELECT $9, $1, $2, $3, $4, $5, $10 FROM taken
            )
            SELECT opened FROM taken
            """, r => r.GetBoolean(0), ct, tx.OrgId, key.Provider, key.Model, window, reservation.ReservedTokens, defaultRpm, defaultTpm, now,
            reservation.Id, reservation.ExpiresAt);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>The key's window as it is now (after a refusal: why), or the empty state when it has none.</summary>
    public static async Task<RateWindowState> WindowAsync(Tx tx, RateKey key, DateTimeOffset window, CancellationToken ct, bool forUpdate = false) =>
        await tx.SingleAsync($"""
            SELECT requests, tokens, held_until, held_budget FROM llm_rate_windows WHERE org_id = $1 AND provider = $2 AND model = $3 AND window_start = $4
            {(forUpdate ? "FOR UPDATE" : "")}
            """, r => new RateWindowState(r.GetInt32(0), r.GetInt64(1), r.NullableTime(2), r.NullableString(3)), ct, tx.OrgId, key.Provider, key.Model, window)
        ?? RateWindowState.Empty;

    /// <summary>
    /// The key's past, pruned when it opens a new window (bounded: what one key left since its last window): windows
    /// before <paramref name="window"/> and reservations expired by <paramref name="now"/>. No worker is needed; a key
    /// no longer used keeps its last window row and its leaked reservations, a few rows per key ever used.
    /// </summary>
    public static async Task PruneAsync(Tx tx, RateKey key, DateTimeOffset window, DateTimeOffset now, CancellationToken ct)
    {
        await tx.ExecuteAsync("DELETE FROM llm_rate_windows WHERE org_id = $1 AND provider = $2 AND model = $3 AND window_start < $4",
            ct, tx.OrgId, key.Provider, key.Model, window);
        await tx.ExecuteAsync("DELETE FROM llm_rate_reservations WHERE org_id = $1 AND provider = $2 AND model = $3 AND expires_at <= $4",
            ct, tx.OrgId, key.Provider, key.Model, now);
    }

    /// <summary>Removes the reservation (exactly once: a second settlement finds nothing) and returns its window and reserved tokens.</summary>
    public static async Task<(DateTimeOffset Window, long Reserved)?> TakeReservationAsync(Tx tx, Guid id, CancellationToken ct)
    {
        var rows = await tx.ListAsync("DELETE FROM llm_rate_reservations WHERE id = $1 AND org_id = $2 RETURNING window_start, reserved_tokens",
            r => (r.Time(0), r.GetInt64(1)), ct, id, tx.OrgId);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Corrects the window's tokens by what the call used beyond (or short of) its reservation; never below zero.</summary>
    public static Task AdjustTokensAsync(Tx tx, RateKey key, DateTimeOffset window, long delta, CancellationToken ct) =>
        tx.ExecuteAsync("""
            UPDATE llm_rate_windows SET tokens = greatest(tokens + $5, 0) WHERE org_id = $1 AND provider = $2 AND model = $3 AND window_start = $4
            """, ct, tx.OrgId, key.Provider, key.Model, window, delta);

    /// <summary>Raises the window's counts to at least these (never lowers them: greatest), creating the row if the window has none yet.</summary>
    public static Task RaiseAsync(Tx tx, RateKey key, DateTimeOffset window, int requests, long tokens, RateLimit limit, CancellationToken ct) =>
        tx.ExecuteAsync("""
            INSERT INTO llm_rate_windows AS w (org_id, provider, model, window_start, requests, tokens, rpm, tpm) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (org_id, provider, model, window_start) DO UPDATE
              SET requests = greatest(w.requests, excluded.requests), tokens = greatest(w.tokens, excluded.tokens)
            """, ct, tx.OrgId, key.Provider, key.Model, window, requests, tokens, limit.Rpm, limit.Tpm);

    /// <summary>Holds a window (the next one) until the provider's reset; a later hold already there stays.</summary>
    public static Task HoldAsync(Tx tx, RateKey key, DateTimeOffset window, RateHold hold, RateLimit limit, CancellationToken ct) =>
        tx.ExecuteAsync("""
            INSERT INTO llm_rate_windows AS w (org_id, provider, model, window_start, rpm, tpm, held_until, held_budget) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (org_id, provider, model, window_start) DO UPDATE
              SET held_until = excluded.held_until, held_budget = excluded.held_budget
              WHERE w.held_until IS NULL OR w.held_until < excluded.held_until
            """, ct, tx.OrgId, key.Provider, key.Model, window, limit.Rpm, limit.Tpm, hold.Until, hold.Budget);

    public static Task<List<RateLimitOverride>> ListOverridesAsync(Tx tx, int take, CancellationToken ct) =>
        tx.ListAsync("SELECT provider, model, rpm, tpm, updated_at FROM llm_rate_limits WHERE org_id = $1 ORDER BY provider, model LIMIT $2",
            ReadOverride, ct, tx.OrgId, take);

    public static Task<List<RateWindowRow>> WindowRowsAsync(Tx tx, DateTimeOffset window, int take, CancellationToken ct) =>
        tx.ListAsync("""
            SELECT provider, model, requests, tokens, held_until FROM llm_rate_windows WHERE org_id = $1 AND window_start = $2 ORDER BY provider, model LIMIT $3
            """, r => new RateWindowRow(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt64(3), r.NullableTime(4)), ct, tx.OrgId, window, take);

    public static Task<long> CountOverridesAsync(Tx tx, CancellationToken ct) =>
        tx.ScalarAsync<long>("SELECT count(*) FROM llm_rate_limits WHERE org_id = $1", ct, tx.OrgId);

    public static Task<RateLimitOverride?> LockOverrideAsync(Tx tx, string provider, string model, CancellationToken ct) =>
        tx.SingleAsync("SELECT provider, model, rpm, tpm, updated_at FROM llm_rate_limits WHERE org_id = $1 AND provider = $2 AND model = $3 FOR UPDATE",
            ReadOverride, ct, tx.OrgId, provider, model);

    public static async Task<RateLimitOverride> UpsertOverrideAsync(Tx tx, string provider, string model, int rpm, long tpm, DateTimeOffset now, CancellationToken ct) =>
        (await tx.SingleAsync("""
            INSERT INTO llm_rate_limits AS l (org_id, provider, model, rpm, tpm, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (org_id, provider, model) DO UPDATE SET rpm = excluded.rpm, tpm = excluded.tpm, updated_at = excluded.updated_at
            RETURNING provider, model, rpm, tpm, updated_at
            """, ReadOverride, ct, tx.OrgId, provider, model, rpm, tpm, now))!;

    public static Task DeleteOverrideAsync(Tx tx, string provider, string model, CancellationToken ct) =>
        tx.ExecuteAsync("DELETE FROM llm_rate_limits WHERE org_id = $1 AND provider = $2 AND model = $3", ct, tx.OrgId, provider, model);

    private static RateLimitOverride ReadOverride(NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt64(3), r.Time(4));
}
