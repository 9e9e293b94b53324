using System.Text.Json;
using NpgsqlTypes;

namespace AgentOps.Audit;

/// <summary>
/// The audit trail: one row per state change, written in the same transaction as the change, so a change without
/// its row (or a row without its change) cannot exist. Snapshots are the API's own views: secrets and hashes never
/// reach them.
/// </summary>
public static class AuditLog
{
    public static Task RecordAsync(Tx tx, Actor actor, string action, string entityType, object? entityId, object? before, object? after, CancellationToken ct) =>
        tx.ExecuteAsync("""
            INSERT INTO audit_logs (id, org_id, actor_type, actor_id, action, entity_type, entity_id, before, after, ip, user_agent)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            """, ct,
            Guid.CreateVersion7(), tx.OrgId, ActorTypeWire(actor.Type), actor.Id, action, entityType, entityId?.ToString(),
            Jsonb(before), Jsonb(after), actor.Request.Ip, actor.Request.UserAgent);

    public static string ActorTypeWire(ActorType type) => type switch
    {
        ActorType.User => "user", ActorType.ApiKey => "api_key", _ => "system",
    };

    private static Npgsql.NpgsqlParameter Jsonb(object? snapshot) => new()
    {
        NpgsqlDbType = NpgsqlDbType.Jsonb,
        Value = snapshot is null ? DBNull.Value : JsonSerializer.Serialize(snapshot, snapshot.GetType(), Json.Options),
    };
}
