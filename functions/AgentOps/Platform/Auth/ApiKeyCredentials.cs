namespace AgentOps.Platform.Auth;

/// <summary>An API key as authentication checks it: its hash, scopes and whether it still holds.</summary>
public sealed record ApiKeyCredential(Guid Id, Guid OrgId, byte[] Hash, string[] Scopes, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

/// <summary>
/// API keys as <see cref="Authenticator"/> needs them. The ApiKeys feature owns the api_keys table and implements this
/// (its module registers it): the platform reads and marks keys without knowing the feature.
/// </summary>
public interface IApiKeyCredentials
{
    /// <summary>The key with this prefix, in whichever organization (before any organization is known); null if none.</summary>
    Task<ApiKeyCredential?> FindAsync(string prefix, CancellationToken ct);

    /// <summary>Records that the key was used now.</summary>
    Task MarkUsedAsync(Guid orgId, Guid keyId, CancellationToken ct);
}
