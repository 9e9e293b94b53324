namespace AgentOps.ApiKeys;

/// <summary>Keys as authentication reads and marks them (<see cref="Authenticator"/>, which caches them): the platform's door to api_keys.</summary>
public sealed class ApiKeyLookup(Db db) : IApiKeyCredentials
{
    public Task<ApiKeyCredential?> FindAsync(string prefix, CancellationToken ct) => db.WithoutOrgAsync(tx => ApiKeyStore.FindByPrefixAsync(tx, prefix, ct), ct);

    public Task MarkUsedAsync(Guid orgId, Guid keyId, CancellationToken ct) => db.InOrgAsync(orgId, tx => ApiKeyStore.MarkUsedAsync(tx, keyId, ct), ct);
}
