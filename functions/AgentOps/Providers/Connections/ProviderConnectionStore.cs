using System.Text.Json;
using NpgsqlTypes;

namespace AgentOps.Providers.Connections;

/// <summary>A provider connection as stored: the draft's fields, the sealed secret (never shown) and its hint.</summary>
public sealed record Connection(Guid Id, ConnectionDraft Draft, byte[]? Ciphertext, string? KeyId, string? SecretHint, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt, DateTimeOffset? RotatedAt, Guid? CreatedBy)
{
    public const string Columns =
        "c.id, c.name, c.kind, c.base_url, c.options, c.models, c.default_models, c.active, c.secret_ciphertext, c.secret_key_id, c.secret_hint, c.created_at, c.updated_at, c.rotated_at, c.created_by";

    public static Connection Read(NpgsqlDataReader r) => new(r.GetGuid(0),
        new ConnectionDraft(r.GetString(1), r.GetString(2), r.NullableString(3), JsonSerializer.Deserialize<ConnectionOptions>(r.GetString(4), Json.Options)!,
            JsonSerializer.Deserialize<DeclaredModel[]>(r.GetString(5), Json.Options)!, JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(6), Json.Options)!,
            r.GetBoolean(7)),
        r.IsDBNull(8) ? null : (byte[])r[8], r.NullableString(9), r.NullableString(10), r.Time(11), r.Time(12), r.NullableTime(13), r.NullableGuid(14));
}

/// <summary>The SQL behind provider connections, in the caller's transaction and organization.</summary>
public static class ProviderConnectionStore
{
    /// <summary>The unique key that makes a connection's name one per organization.</summary>
    public const string NameKey = "provider_connections_org_name_key";

    /// <summary>The advisory lock space ('PCON') of the per-organization lock that serializes creations.</summary>
    private const int CreateLockSpace = 0x50434F4E;

    /// <summary>Serializes creations in the organization until the transaction ends, so the count limit holds under concurrent creates.</summary>
    public static Task LockCreationsAsync(Tx tx, CancellationToken ct) =>
        tx.ExecuteAsync("SELECT pg_advisory_xact_lock($1, hashtext($2::text))", ct, CreateLockSpace, tx.OrgId);

    public static Task<long> CountAsync(Tx tx, CancellationToken ct) => tx.ScalarAsync<long>("SELECT count(*) FROM provider_connections WHERE org_id = $1", ct, tx.OrgId);

    public static async Task<Connection> InsertAsync(Tx tx, Guid id, ConnectionDraft d, SecretBox.Sealed? secret, string? hint, Guid? createdBy, CancellationToken ct) =>
        (await tx.SingleAsync($"""
            INSERT INTO provider_connections AS c (id, org_id, name, kind, base_url, options, models, default_models, active, secret_ciphertext, secret_key_id,
                   secret_hint, rotated_at, created_by)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10, $11, $12, CASE WHEN $10::bytea IS NULL THEN NULL ELSE now() END, $13)
            RETURNING {Connection.Columns}
            """, Connection.Read, ct, id, tx.OrgId, d.Name, d.Kind, d.BaseUrl, Jsonb(d.Options), Jsonb(d.Models), Jsonb(d.DefaultModels), d.Active,
            Bytes(secret?.Ciphertext), secret?.KeyId, hint, createdBy))!;

    public static Task<List<Connection>> PageAsync(Tx tx, string? kind, bool? active, Guid after, int take, CancellationToken ct) =>
        tx.ListAsync($"""
            SELECT {Connection.Columns} FROM provider_connections c WHERE c.org_id = $1 AND c.id > $2 AND ($3::text IS NULL OR c.kind = $3)
              AND ($4::boolean IS NULL OR c.active = $4) ORDER BY c.id LIMIT $5
            """, Connection.Read, ct, tx.OrgId, after, kind, active, take);

    public static Task<Connection?> ReadAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {Connection.Columns} FROM provider_connections c WHERE c.id = $1 AND c.org_id = $2", Connection.Read, ct, id, tx.OrgId);

    public static Task<Connection?> ReadByNameAsync(Tx tx, string name, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {Connection.Columns} FROM provider_connections c WHERE c.name = $1 AND c.org_id = $2", Connection.Read, ct, name, tx.OrgId);

    public static Task<Connection?> LockAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {Connection.Columns} FROM provider_connections c WHERE c.id = $1 AND c.org_id = $2 FOR UPDATE", Connection.Read, ct, id, tx.OrgId);

    public static async Task<Connection> UpdateAsync(Tx tx, Guid id, ConnectionDraft d, CancellationToken ct) =>
        (await tx.SingleAsync($"""
            UPDATE provider_connections c SET name = $3, base_url = $4, options = $5::jsonb, models = $6::jsonb, default_models = $7::jsonb, active = $8, updated_at = now()
            WHERE c.id = $1 AND c.org_id = $2 RETURNING {Connection.Columns}
            """, Connection.Read, ct, id, tx.OrgId, d.Name, d.BaseUrl, Jsonb(d.Options), Jsonb(d.Models), Jsonb(d.DefaultModels), d.Active))!;

    /// <summary>A new secret (<paramref name="rotated"/>: a rotation the caller asked for; false: the same secret re-sealed under the current master key).</summary>
    public static async Task<Connection> SetSecretAsync(Tx tx, Guid id, SecretBox.Sealed secret, string hint, bool rotated, CancellationToken ct) =>
        (await tx.SingleAsync($"""
            UPDATE provider_connections c SET secret_ciphertext = $3, secret_key_id = $4, secret_hint = $5,
                   rotated_at = CASE WHEN $6 THEN now() ELSE c.rotated_at END, updated_at = CASE WHEN $6 THEN now() ELSE c.updated_at END
            WHERE c.id = $1 AND c.org_id = $2 RETURNING {Connection.Columns}
            """, Connection.Read, ct, id, tx.OrgId, secret.Ciphertext, secret.KeyId, hint, rotated))!;

    public static Task DeleteAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.ExecuteAsync("DELETE FROM provider_connections WHERE id = $1 AND org_id = $2", ct, id, tx.OrgId);

    /// <summary>The organization's connections whose secret is sealed under another key than <paramref name="currentKeyId"/>, locked.</summary>
    public static Task<List<Connection>> LockStaleAsync(Tx tx, string currentKeyId, CancellationToken ct) =>
        tx.ListAsync($"""
            SELECT {Connection.Columns} FROM provider_connections c WHERE c.org_id = $1 AND c.secret_key_id IS NOT NULL AND c.secret_key_id <> $2 ORDER BY c.id FOR UPDATE
            """, Connection.Read, ct, tx.OrgId, currentKeyId);

    /// <summary>Organizations with a secret sealed under another key (across organizations, through a SECURITY DEFINER function).</summary>
    public static Task<List<Guid>> StaleKeyOrgsAsync(Tx tx, string currentKeyId, CancellationToken ct) =>
        tx.ListAsync("SELECT provider_connections_stale_key_orgs($1)", r => r.GetGuid(0), ct, currentKeyId);

    private static NpgsqlParameter Jsonb(object value) => new() { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = JsonSerializer.Serialize(value, value.GetType(), Json.Options) };

    private static NpgsqlParameter Bytes(byte[]? value) => new() { NpgsqlDbType = NpgsqlDbType.Bytea, Value = (object?)value ?? DBNull.Value };
}
