namespace AgentOps.ApiKeys;

/// <summary>A key as the API shows it: never the secret, only its prefix; the status is computed when it is read.</summary>
public sealed record ApiKeyView(Guid Id, string Name, string Prefix, string[] Scopes, string Status, Guid CreatedBy,
    DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt)
{
    public const string Columns = "id, name, prefix, scopes, created_by, created_at, last_used_at, expires_at, revoked_at";

    public static Func<NpgsqlDataReader, ApiKeyView> Reader(DateTimeOffset now) => r => new(r.GetGuid(0), r.GetString(1), r.GetString(2),
        (string[])r[3], ApiKeyRules.Status(r.NullableTime(8), r.NullableTime(7), now), r.GetGuid(4), r.Time(5), r.NullableTime(6), r.NullableTime(7), r.NullableTime(8));
}

/// <summary>The key is here (in the creation's answer) only; it is never shown again.</summary>
public sealed record CreatedApiKey(ApiKeyView ApiKey, string Key);

/// <summary>A key as checked: its name, the scopes it carries and when it expires (null: never).</summary>
public sealed record ApiKeyFields(string Name, Scopes Scopes, DateTimeOffset? ExpiresAt);

/// <summary>
/// The SQL on api_keys: as users manage them, and as the authenticator finds a key by its prefix and stamps its last
/// use (through ApiKeyLookup). In the caller's transaction and organization; each read is given the time that dates
/// the keys' status.
/// </summary>
public static class ApiKeyStore
{
    public static async Task<ApiKeyView> InsertAsync(Tx tx, Guid id, ApiKeyFields fields, Secrets.NewApiKey secret, Guid createdBy, DateTimeOffset now, CancellationToken ct) =>
        (await tx.SingleAsync($"""
            INSERT INTO api_keys (id, org_id, name, prefix, key_hash, scopes, created_by, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {ApiKeyView.Columns}
            """, ApiKeyView.Reader(now), ct, id, tx.OrgId, fields.Name, secret.Prefix, secret.Hash, Rbac.ToWire(fields.Scopes), createdBy, fields.ExpiresAt))!;

    public static Task<List<ApiKeyView>> PageAsync(Tx tx, Guid after, int take, DateTimeOffset now, CancellationToken ct) =>
        tx.ListAsync($"SELECT {ApiKeyView.Columns} FROM api_keys WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            ApiKeyView.Reader(now), ct, tx.OrgId, after, take);

    public static Task<ApiKeyView?> LockAsync(Tx tx, Guid id, DateTimeOffset now, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {ApiKeyView.Columns} FROM api_keys WHERE id = $1 AND org_id = $2 FOR UPDATE", ApiKeyView.Reader(now), ct, id, tx.OrgId);

    /// <summary>The key with this prefix, whichever its organization: a SECURITY DEFINER look-up, before any organization is known.</summary>
    public static Task<ApiKeyCredential?> FindByPrefixAsync(Tx tx, string prefix, CancellationToken ct) =>
        tx.SingleAsync("SELECT id, org_id, key_hash, scopes, expires_at, revoked_at, last_used_at FROM auth_api_key($1)",
            r => new ApiKeyCredential(r.GetGuid(0), r.GetGuid(1), (byte[])r[2], (string[])r[3], r.NullableTime(4), r.NullableTime(5), r.NullableTime(6)),
            ct, prefix);

    public static Task MarkUsedAsync(Tx tx, Guid id, CancellationToken ct) => tx.ExecuteAsync("UPDATE api_keys SET last_used_at = now() WHERE id = $1", ct, id);

    public static async Task<ApiKeyView> RevokeAsync(Tx tx, Guid id, Guid revokedBy, DateTimeOffset now, CancellationToken ct) =>
        (await tx.SingleAsync($"UPDATE api_keys SET revoked_at = now(), revoked_by = $2 WHERE id = $1 RETURNING {ApiKeyView.Columns}",
            ApiKeyView.Reader(now), ct, id, revokedBy))!;
}
