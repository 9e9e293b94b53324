namespace AgentOps.Auth;

/// <summary>A refresh token's row: whose login (family) it belongs to, and whether it was used, revoked or has expired.</summary>
public sealed record RefreshSession(Guid UserId, Guid FamilyId, DateTimeOffset? UsedAt, DateTimeOffset? RevokedAt, DateTimeOffset ExpiresAt);

/// <summary>The SQL on refresh_sessions: one row per refresh token, found by its hash; a login's tokens share a family.</summary>
public static class SessionStore
{
    public static Task InsertAsync(Tx tx, Guid userId, Guid familyId, byte[] tokenHash, DateTimeOffset expiresAt, CancellationToken ct) =>
        tx.ExecuteAsync("""
            INSERT INTO refresh_sessions (id, org_id, user_id, family_id, token_hash, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """, ct, Guid.CreateVersion7(), tx.OrgId, userId, familyId, tokenHash, expiresAt);

    /// <summary>The organization a refresh token belongs to (a look-up before any organization is known).</summary>
    public static Task<Guid?> OrgOfTokenAsync(Tx tx, byte[] tokenHash, CancellationToken ct) =>
        tx.ScalarAsync<Guid?>("SELECT auth_refresh_session_org($1)", ct, tokenHash);

    public static Task<RefreshSession?> LockAsync(Tx tx, byte[] tokenHash, CancellationToken ct) =>
        tx.SingleAsync("SELECT user_id, family_id, used_at, revoked_at, expires_at FROM refresh_sessions WHERE token_hash = $1 FOR UPDATE",
            r => new RefreshSession(r.GetGuid(0), r.GetGuid(1), r.NullableTime(2), r.NullableTime(3), r.Time(4)), ct, tokenHash);

    /// <summary>A refresh token is spent once: using it again is reuse, which ends its family.</summary>
    public static Task MarkUsedAsync(Tx tx, byte[] tokenHash, CancellationToken ct) =>
        tx.ExecuteAsync("UPDATE refresh_sessions SET used_at = now() WHERE token_hash = $1", ct, tokenHash);

    /// <summary>Ends every token of a login (logout, reuse detected, member removed).</summary>
    public static Task<int> RevokeFamilyAsync(Tx tx, Guid familyId, CancellationToken ct) =>
        tx.ExecuteAsync("UPDATE refresh_sessions SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", ct, familyId);

    public static Task<int> RevokeUserAsync(Tx tx, Guid userId, CancellationToken ct) =>
        tx.ExecuteAsync("UPDATE refresh_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", ct, userId);
}
