using AgentOps.Contracts;
using AgentOps.Platform.Events;

namespace AgentOps.Auth;

public sealed record TokenPair(string AccessToken, string TokenType, int ExpiresIn, string RefreshToken, DateTimeOffset RefreshExpiresAt);

/// <summary>Login sessions: an access token plus a rotating refresh token, one refresh_sessions row per token.</summary>
public sealed class Sessions(AccessTokens accessTokens, AgentOpsOptions options, TimeProvider time)
{
    /// <summary>Issues a token pair in the given family (a new login starts a new family).</summary>
    public async Task<TokenPair> IssueAsync(Tx tx, Guid userId, Guid familyId, CancellationToken ct)
    {
        var refresh = Secrets.CreateToken(Secrets.RefreshMarker);
        var expires = time.GetUtcNow() + options.RefreshTokenLifetime;
        await tx.ExecuteAsync("""
            INSERT INTO refresh_sessions (id, org_id, user_id, family_id, token_hash, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """, ct, Guid.CreateVersion7(), tx.OrgId, userId, familyId, Secrets.Hash(refresh), expires);
        var (access, expiresIn) = accessTokens.Issue(userId, tx.OrgId, familyId);
        return new TokenPair(access, "Bearer", expiresIn, refresh, expires);
    }

    /// <summary>Ends every token of a login (logout, reuse detected, member removed).</summary>
    public static Task<int> RevokeFamilyAsync(Tx tx, Guid familyId, CancellationToken ct) =>
        tx.ExecuteAsync("UPDATE refresh_sessions SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL", ct, familyId);

    public static Task<int> RevokeUserAsync(Tx tx, Guid userId, CancellationToken ct) =>
        tx.ExecuteAsync("UPDATE refresh_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", ct, userId);
}

/// <summary>A removed member's refresh tokens end with the removal (their access tokens are refused by the per-request member check).</summary>
public sealed class EndSessionsOfRemovedMembers : IReaction<MemberRemoved>
{
    public Task ReactAsync(Tx tx, MemberRemoved e, CancellationToken ct) => e.UserId is { } userId ? Sessions.RevokeUserAsync(tx, userId, ct) : Task.CompletedTask;
}
