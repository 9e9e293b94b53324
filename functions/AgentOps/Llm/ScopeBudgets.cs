namespace AgentOps.Llm;

using AgentOps.Guardrails.Pipeline;

/// <summary>
/// The per-scope ledger (llm_scope_usage, migration 0019). <see cref="ReserveAsync"/> counts a call, its estimated input
/// and its max_tokens against the caps in one conditional upsert: concurrent reservations serialize on the scope's row,
/// and one that would pass a cap changes nothing. <see cref="SettleAsync"/> replaces the estimate and max_tokens by the
/// tokens really used (never below 0).
/// </summary>
public static class ScopeBudgets
{
    public const int MaxScopeLength = 200;

    /// <summary>Reserves, or answers which cap the call would pass and the scope's totals so far.</summary>
    public static async Task<string?> ReserveAsync(Tx tx, ScopeCaps caps, long input, long output, CancellationToken ct)
    {
        var admitted = await tx.ScalarAsync<bool?>("""
            INSERT INTO llm_scope_usage AS u (org_id, scope, calls, input_tokens, output_tokens)
            SELECT $1, $2, 1, $3, $4 WHERE ($5::bigint IS NULL OR 1 <= $5) AND ($6::bigint IS NULL OR $3 <= $6) AND ($7::bigint IS NULL OR $4 <= $7)
            ON CONFLICT (org_id, scope) DO UPDATE SET calls = u.calls + 1, input_tokens = u.input_tokens + $3, output_tokens = u.output_tokens + $4, updated_at = now()
            WHERE ($5::bigint IS NULL OR u.calls + 1 <= $5) AND ($6::bigint IS NULL OR u.input_tokens + $3 <= $6) AND ($7::bigint IS NULL OR u.output_tokens + $4 <= $7)
            RETURNING true
            """, ct, tx.OrgId, caps.Scope, input, output, caps.MaxCalls, caps.MaxInputTokens, caps.MaxOutputTokens);
        if (admitted == true) return null;
        var used = await tx.SingleAsync("SELECT calls, input_tokens, output_tokens FROM llm_scope_usage WHERE org_id = $1 AND scope = $2",
            r => new[] { r.GetInt64(0), r.GetInt64(1), r.GetInt64(2) }, ct, tx.OrgId, caps.Scope) ?? [0, 0, 0];
        return Exceeded(caps, used[0], used[1], used[2], input, output);
    }

    /// <summary>Which cap a call of <paramref name="input"/> and <paramref name="output"/> tokens would pass, given the totals (pure).</summary>
    public static string Exceeded(ScopeCaps caps, long calls, long inputTokens, long outputTokens, long input, long output) =>
        caps.MaxCalls is { } c && calls + 1 > c ? $"calls: {calls} of {c} made"
        : caps.MaxInputTokens is { } i && inputTokens + input > i ? $"input tokens: {inputTokens} of {i} used, this call needs about {input}"
        : caps.MaxOutputTokens is { } o && outputTokens + output > o ? $"output tokens: {outputTokens} of {o} used, this call may write {output}"
        : "a cap";

    public static Task SettleAsync(Tx tx, string scope, long inputDelta, long outputDelta, CancellationToken ct) =>
        tx.ExecuteAsync("""
            UPDATE llm_scope_usage SET input_tokens = greatest(0, input_tokens + $3), output_tokens = greatest(0, output_tokens + $4), updated_at = now()
            WHERE org_id = $1 AND scope = $2
            """, ct, tx.OrgId, scope, inputDelta, outputDelta);
}
