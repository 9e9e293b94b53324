using AgentOps.Contracts;
using AgentOps.Platform.Events;

namespace AgentOps.Auth;

public sealed record TokenPair(string AccessToken, string TokenType, int ExpiresIn, string RefreshToken, DateTimeOffset RefreshExpiresAt);

/// <summary>Login sessions: an access token plus a rotating refresh token, one refresh_sessions row per token (<see cref="SessionStore"/>).</summary>
public sealed class Sessions(AccessTokens accessTokens, AgentOpsOptions options, TimeProvider time)
{
    /// <summary>Issues a token pair in the given family (a new login starts a new family).</summary>
    public async Task<TokenPair> IssueAsync(Tx tx, Guid userId, Guid familyId, CancellationToken ct)
    {
        var refresh = Secrets.CreateToken(Secrets.RefreshMarker);
        var expires = time.GetUtcNow() + options.RefreshTokenLifetime;
        await SessionStore.InsertAsync(tx, userId, familyId, Secrets.Hash(refresh), expires, ct);
        var (access, expiresIn) = accessTokens.Issue(userId, tx.OrgId, familyId);
        return new TokenPair(access, "Bearer", expiresIn, refresh, expires);
    }
}

/// <summary>A removed member's refresh tokens end with the removal (their access tokens are refused by the per-request member check).</summary>
public sealed class EndSessionsOfRemovedMembers : IReaction<MemberRemoved>
{
    public Task ReactAsync(Tx tx, MemberRemoved e, CancellationToken ct) => e.UserId is { } userId ? SessionStore.RevokeUserAsync(tx, userId, ct) : Task.CompletedTask;
}
