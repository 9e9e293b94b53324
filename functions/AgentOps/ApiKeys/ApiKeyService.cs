using AgentOps.Audit;

namespace AgentOps.ApiKeys;

/// <summary>
/// API keys' use cases, for agents and CI: create (the key is shown once and stored as a SHA-256 hash), list (never the
/// secret), revoke (at once). A key never carries more than its creator holds (<see cref="ApiKeyRules"/>); every change is audited.
/// </summary>
public sealed class ApiKeyService(Db db, Authenticator authenticator, TimeProvider time)
{
    public async Task<CreatedApiKey> CreateAsync(Caller caller, ApiKeyFields fields, CancellationToken ct)
    {
        if ((fields.Scopes & ~ApiKeyRules.Grantable(caller)) != Scopes.None)
            throw DomainError.Forbidden("scope_not_allowed", "A key cannot carry scopes its creator does not hold: only admins grant the admin scope.");
        var now = time.GetUtcNow();
        var secret = Secrets.CreateApiKey();
        var id = Guid.CreateVersion7();
        var view = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var created = await ApiKeyStore.InsertAsync(tx, id, fields, secret, caller.ActorId, now, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "api_key.created", "api_key", id, null, created, ct);
            return created;
        }, ct);
        return new CreatedApiKey(view, secret.Key);
    }

    public Task<List<ApiKeyView>> PageAsync(Guid orgId, Guid after, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => ApiKeyStore.PageAsync(tx, after, take, time.GetUtcNow(), ct), ct);

    /// <summary>Idempotent: revoking a revoked key changes (and audits) nothing.</summary>
    public async Task RevokeAsync(Caller caller, Guid id, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await ApiKeyStore.LockAsync(tx, id, now, ct) ?? throw DomainError.NotFound("API key");
            if (!ApiKeyRules.MayRevoke(caller, before.CreatedBy))
                throw DomainError.Forbidden("forbidden", "Only admins may revoke keys created by someone else.");
            if (before.RevokedAt is not null) return;
            var after = await ApiKeyStore.RevokeAsync(tx, id, caller.ActorId, now, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "api_key.revoked", "api_key", id, before, after, ct);
        }, ct);
        // At once here; other replicas' key caches let it go within Authenticator.KeyFreshness (1 s).
        authenticator.ForgetKeys(caller.OrgId);
    }
}
