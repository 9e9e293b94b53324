using Microsoft.Extensions.Logging;

namespace AgentOps.Platform.Auth;

/// <summary>
/// Resolves "Authorization: Bearer …" to a <see cref="Caller"/>: an API key (aok_…) by its prefix and a constant-time
/// hash comparison, or an access token whose session and membership are still live. Fails with 401 problems.
/// API key rows are cached by prefix for <see cref="KeyFreshness"/> and refreshed ahead (<see cref="ReadCache{TKey,TValue}"/>;
/// the hash is still compared on every request): the hot paths (ingest, the policy check) skip a database round trip,
/// and a revocation applies at once on the replica that made it and within a second on the others.
/// </summary>
public sealed class Authenticator(Db db, IApiKeyCredentials apiKeys, AccessTokens tokens, TimeProvider time, ILogger<Authenticator> logger)
{
    public static readonly TimeSpan KeyFreshness = TimeSpan.FromSeconds(1);

    /// <summary>Cached keys at most; above it stale entries are swept (and if all are fresh, the cache starts over).</summary>
    public const int MaxCachedKeys = 10_000;

    private readonly ReadCache<string, ApiKeyCredential> _keys = new(KeyFreshness, MaxCachedKeys, StringComparer.Ordinal);

    /// <summary>Forget this replica's cached keys of an organization (after a revocation).</summary>
    public void ForgetKeys(Guid orgId) => _keys.Forget((_, row) => row.OrgId == orgId);

    /// <summary>last_used_at is written at most this often per key, so authentication does not write on every call.</summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public async Task<Caller> AuthenticateAsync(HttpContext context, CancellationToken ct)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
            throw ApiProblem.Unauthorized("missing_credentials", "Send 'Authorization: Bearer <access token or API key>'.");
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            throw ApiProblem.Unauthorized("invalid_credentials", "Only the Bearer scheme is supported.");
        var credential = header["Bearer ".Length..].Trim();
        var request = RequestInfo.From(context);
        return credential.StartsWith(Secrets.ApiKeyMarker, StringComparison.Ordinal)
            ? await ApiKeyAsync(credential, request, ct)
            : await AccessTokenAsync(credential, request, ct);
    }

    private sealed record MemberRow(Role Role, string? Team);

    private async Task<Caller> ApiKeyAsync(string key, RequestInfo request, CancellationToken ct)
    {
        var invalid = ApiProblem.Unauthorized("invalid_api_key", "The API key is not valid.");
        var prefix = Secrets.ApiKeyPrefix(key) ?? throw invalid;
        var now = time.GetUtcNow();
        ApiKeyCredential? row;
        if (_keys.TryGet(prefix, now, out var cached, out var refresh))
        {
            row = cached;
            if (refresh is not null) _ = RefreshKeyAsync(prefix, refresh);
        }
        else
        {
            var generation = _keys.Generation;
            row = await apiKeys.FindAsync(prefix, ct);
            // Only known prefixes are cached: made-up keys cost a query, not memory.
            if (row is not null) _keys.Store(prefix, row, now, generation);
        }
        // The hash is compared even when the prefix is unknown, so timing does not tell which prefixes exist.
        var matches = Secrets.Matches(key, row?.Hash ?? new byte[32]);
        if (row is null || !matches) throw invalid;
        if (row.RevokedAt is not null) throw ApiProblem.Unauthorized("api_key_revoked", "This API key was revoked.");
        if (row.ExpiresAt <= now) throw ApiProblem.Unauthorized("api_key_expired", "This API key has expired.");
        if (row.LastUsedAt is null || now - row.LastUsedAt > LastUsedResolution)
        {
            await apiKeys.MarkUsedAsync(row.OrgId, row.Id, ct);
            _keys.Update(prefix, cachedRow => cachedRow with { LastUsedAt = now });
        }
        return new Caller(row.OrgId, ActorType.ApiKey, row.Id, null, null, Rbac.ParseScopes(row.Scopes), null, request);
    }

    /// <summary>Re-reads an ageing key off the request path; on failure it stays and expires as usual.</summary>
    private async Task RefreshKeyAsync(string prefix, ReadCache<string, ApiKeyCredential>.Entry entry)
    {
        try
        {
            var readAt = time.GetUtcNow();
            var generation = _keys.Generation;
            _keys.Refreshed(prefix, entry, await apiKeys.FindAsync(prefix, CancellationToken.None), readAt, generation);
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not refresh an API key of organization {OrgId}: {Error}", entry.Value.OrgId, SafeErrors.Message(e));
        }
    }

    private async Task<Caller> AccessTokenAsync(string token, RequestInfo request, CancellationToken ct)
    {
        var (claims, error) = await tokens.ValidateAsync(token);
        if (claims is null)
            throw error == "token_expired"
                ? ApiProblem.Unauthorized("token_expired", "The access token has expired; refresh it.")
                : ApiProblem.Unauthorized("invalid_token", "The access token is not valid.");
        var member = await db.InOrgAsync(claims.OrgId, tx => tx.SingleAsync("""
            SELECT m.role, m.team FROM organization_members m
            WHERE m.user_id = $1 AND m.status = 'active'
              AND EXISTS (SELECT 1 FROM refresh_sessions s WHERE s.family_id = $2 AND s.user_id = $1 AND s.revoked_at IS NULL)
            """, r => new MemberRow(Rbac.ParseRole(r.GetString(0))!.Value, r.NullableString(1)), ct, claims.UserId, claims.SessionFamilyId), ct)
            ?? throw ApiProblem.Unauthorized("session_revoked", "This session has ended (logged out, or membership removed). Log in again.");
        return new Caller(claims.OrgId, ActorType.User, claims.UserId, member.Role, member.Team, Scopes.None, claims.SessionFamilyId, request);
    }
}
