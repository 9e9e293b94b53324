using AgentOps.Audit;

namespace AgentOps.ApiKeys;

/// <summary>API keys for agents and CI: shown once at creation, stored as a SHA-256 hash, revocable.</summary>
public static class ApiKeysApi
{
    /// <summary>The longest lifetime a key may be given; keys without expires_at never expire.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(3650);

    public static void MapApiKeysApi(this RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/api-keys").WithTags("API keys");
        keys.MapPost("/", CreateAsync).Requires(Permission.ApiKeysWrite).WithName("createApiKey").WithSummary("Create a key (the key is in this response only)");
        keys.MapGet("/", ListAsync).Requires(Permission.ApiKeysRead).WithName("listApiKeys").WithSummary("Keys of the organization (never the secret)");
        keys.MapDelete("/{id:guid}", RevokeAsync).Requires(Permission.ApiKeysWrite).WithName("revokeApiKey").WithSummary("Revoke a key (takes effect at once)");
    }

    public sealed record CreateApiKeyRequest(string? Name, string[]? Scopes, DateTimeOffset? ExpiresAt);

    public sealed record ApiKeyView(Guid Id, string Name, string Prefix, string[] Scopes, string Status, Guid CreatedBy,
        DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt)
    {
        public const string Columns = "id, name, prefix, scopes, created_by, created_at, last_used_at, expires_at, revoked_at";

        public static Func<NpgsqlDataReader, ApiKeyView> Reader(DateTimeOffset now) => r => new(r.GetGuid(0), r.GetString(1), r.GetString(2),
            (string[])r[3], ApiKeyRules.Status(r.NullableTime(8), r.NullableTime(7), now), r.GetGuid(4), r.Time(5), r.NullableTime(6), r.NullableTime(7), r.NullableTime(8));
    }

    public sealed record CreatedApiKey(ApiKeyView ApiKey, string Key);

    public static async Task<Created<CreatedApiKey>> CreateAsync(CreateApiKeyRequest body, Caller caller, Db db, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var v = new Validation();
        var name = v.RequiredText("$.name", body.Name, 100);
        var scopes = Scopes.None;
        if (body.Scopes is null or { Length: 0 }) v.Add("$.scopes", "must list at least one of ingest, read, write, admin.");
        else
            for (var i = 0; i < body.Scopes.Length; i++)
                if (Rbac.ParseScope(body.Scopes[i]) is { } s) scopes |= s;
                else v.Add($"$.scopes[{i}]", "must be one of ingest, read, write, admin.");
        if (body.ExpiresAt is { } exp && (exp <= now || exp > now + MaxLifetime))
            v.Add("$.expires_at", $"must be in the future and at most {MaxLifetime.TotalDays:0} days away.");
        v.ThrowIfInvalid();
        if ((scopes & ~ApiKeyRules.Grantable(caller)) != Scopes.None)
            throw ApiProblem.Forbidden("scope_not_allowed", "A key cannot carry scopes its creator does not hold: only admins grant the admin scope.");

        var secret = Secrets.CreateApiKey();
        var id = Guid.CreateVersion7();
        var view = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var created = (await tx.SingleAsync($"""
                INSERT INTO api_keys (id, org_id, name, prefix, key_hash, scopes, created_by, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {ApiKeyView.Columns}
                """, ApiKeyView.Reader(now), ct, id, caller.OrgId, name, secret.Prefix, secret.Hash, Rbac.ToWire(scopes), caller.ActorId, body.ExpiresAt))!;
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "api_key.created", "api_key", id, null, created, ct);
            return created;
        }, ct);
        return TypedResults.Created((string?)null, new CreatedApiKey(view, secret.Key));
    }

    public static async Task<Ok<Page<ApiKeyView>>> ListAsync(Caller caller, Db db, TimeProvider time, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var rows = await db.InOrgAsync(caller.OrgId, tx => tx.ListAsync(
            $"SELECT {ApiKeyView.Columns} FROM api_keys WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            ApiKeyView.Reader(time.GetUtcNow()), ct, caller.OrgId, after, take + 1), ct);
        return TypedResults.Ok(Paging.Of(rows, take, k => k.Id));
    }

    /// <summary>Idempotent: revoking a revoked key answers 204 and changes (and audits) nothing.</summary>
    public static async Task<NoContent> RevokeAsync(Guid id, Caller caller, Db db, Authenticator authenticator, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await tx.SingleAsync($"SELECT {ApiKeyView.Columns} FROM api_keys WHERE id = $1 AND org_id = $2 FOR UPDATE", ApiKeyView.Reader(now), ct, id, caller.OrgId)
                ?? throw ApiProblem.NotFound("API key");
            if (!ApiKeyRules.MayRevoke(caller, before.CreatedBy))
                throw ApiProblem.Forbidden("forbidden", "Only admins may revoke keys created by someone else.");
            if (before.RevokedAt is not null) return;
            var after = (await tx.SingleAsync($"UPDATE api_keys SET revoked_at = now(), revoked_by = $2 WHERE id = $1 RETURNING {ApiKeyView.Columns}",
                ApiKeyView.Reader(now), ct, id, caller.ActorId))!;
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "api_key.revoked", "api_key", id, before, after, ct);
        }, ct);
        // At once here; other replicas' key caches let it go within Authenticator.KeyFreshness (1 s).
        authenticator.ForgetKeys(caller.OrgId);
        return TypedResults.NoContent();
    }
}
