using System.Runtime.CompilerServices;
using System.Text.Json;

namespace AgentOps.Audit;

public sealed record AuditView(Guid Id, long ChainIndex, string ActorType, Guid? ActorId, string Action, string EntityType, string? EntityId,
    JsonElement? Before, JsonElement? After, string? Ip, string? UserAgent, DateTimeOffset CreatedAt, string Hash);

/// <summary>
/// Which audit rows a list or an export shows (null: any). <see cref="Action"/> matches exactly, or by prefix with a
/// trailing '*' ("member.*"); <see cref="Before"/> is a chain index (the cursor): only older rows.
/// </summary>
public sealed record AuditFilter(Guid? ActorId, string? Action, string? EntityType, string? EntityId, DateTimeOffset? From, DateTimeOffset? To, long? Before);

/// <summary>The SQL that reads the audit trail, in the caller's transaction and organization (writing it is <see cref="AuditLog"/>'s).</summary>
public static class AuditStore
{
    private const string Sql = """
        SELECT id, chain_index, actor_type, actor_id, action, entity_type, entity_id, before::text, after::text, ip, user_agent, created_at, hash
        FROM audit_logs
        WHERE org_id = $1 AND ($2::uuid IS NULL OR actor_id = $2)
          AND ($3::text IS NULL OR action = $3) AND ($4::text IS NULL OR action LIKE $4)
          AND ($5::text IS NULL OR entity_type = $5) AND ($6::text IS NULL OR entity_id = $6)
          AND ($7::timestamptz IS NULL OR created_at >= $7) AND ($8::timestamptz IS NULL OR created_at < $8)
          AND ($9::bigint IS NULL OR chain_index < $9)
        ORDER BY chain_index DESC
        LIMIT $10
        """;

    private static JsonElement? Json(string? text) => text is null ? null : JsonDocument.Parse(text).RootElement.Clone();

    private static AuditView Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetInt64(1), r.GetString(2), r.NullableGuid(3), r.GetString(4), r.GetString(5),
        r.NullableString(6), Json(r.NullableString(7)), Json(r.NullableString(8)), r.NullableString(9), r.NullableString(10), r.Time(11),
        Convert.ToHexStringLower((byte[])r[12]));

    private static object?[] Args(Tx tx, AuditFilter filter, int take)
    {
        // action matches exactly, or by prefix with a trailing '*' ("member.*").
        var action = filter.Action;
        var actionPattern = action is null ? null : action.EndsWith('*') ? action[..^1].Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%" : null;
        return [tx.OrgId, filter.ActorId, actionPattern is null ? action : null, actionPattern, filter.EntityType, filter.EntityId, filter.From, filter.To, filter.Before, take];
    }

    /// <summary>Newest first (by chain index), at most <paramref name="take"/> rows.</summary>
    public static Task<List<AuditView>> PageAsync(Tx tx, AuditFilter filter, int take, CancellationToken ct) =>
        tx.ListAsync(Sql, Read, ct, Args(tx, filter, take));

    /// <summary>The same rows, read one at a time as they are enumerated (the query runs at the first).</summary>
    public static async IAsyncEnumerable<AuditView> StreamAsync(Tx tx, AuditFilter filter, int take, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var cmd = tx.Command(Sql, Args(tx, filter, take));
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) yield return Read(reader);
    }

    /// <summary>Feeds the organization's chain to <paramref name="add"/>, oldest first, until it returns false.</summary>
    public static async Task ChainAsync(Tx tx, Func<AuditChain.Link, bool> add, CancellationToken ct)
    {
        await using var cmd = tx.Command("SELECT chain_index, prev_hash, hash, audit_canonical(a) FROM audit_logs a WHERE org_id = $1 ORDER BY chain_index", tx.OrgId);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct) && add(new AuditChain.Link(r.GetInt64(0), (byte[])r[1], (byte[])r[2], r.GetString(3)))) { }
    }
}
