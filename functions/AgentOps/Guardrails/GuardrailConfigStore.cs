using AgentOps.Audit;

namespace AgentOps.Guardrails;

/// <summary>An organization's row of guardrail_configs: the saved document (null after a reset: the defaults), its version and who changed it last.</summary>
public sealed record GuardrailConfigRow(string? Config, int Version, DateTimeOffset UpdatedAt, string UpdatedByType, Guid? UpdatedBy)
{
    public const string Columns = "config::text, version, updated_at, updated_by_type, updated_by";

    public static GuardrailConfigRow Read(NpgsqlDataReader r) => new(r.NullableString(0), r.GetInt32(1), r.Time(2), r.GetString(3), r.NullableGuid(4));
}

/// <summary>SQL for guardrail_configs (one row per organization, RLS per org; 0018).</summary>
public static class GuardrailConfigStore
{
    public static Task<GuardrailConfigRow?> ReadAsync(Tx tx, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {GuardrailConfigRow.Columns} FROM guardrail_configs WHERE org_id = $1", GuardrailConfigRow.Read, ct, tx.OrgId);

    public static Task<GuardrailConfigRow?> LockAsync(Tx tx, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {GuardrailConfigRow.Columns} FROM guardrail_configs WHERE org_id = $1 FOR UPDATE", GuardrailConfigRow.Read, ct, tx.OrgId);

    /// <summary>
    /// Writes the document (null: back to the defaults) as the version after <paramref name="replacing"/>, or returns
    /// null when the row is no longer at that version (another write got there first, also a first save made at the
    /// same time: the row did not exist when it was locked).
    /// </summary>
    public static Task<GuardrailConfigRow?> WriteAsync(Tx tx, string? config, int replacing, Actor actor, CancellationToken ct) =>
        tx.SingleAsync($"""
            INSERT INTO guardrail_configs AS g (org_id, config, version, updated_by_type, updated_by)
            VALUES ($1, $2::jsonb, $3 + 1, $4, $5)
            ON CONFLICT (org_id) DO UPDATE SET config = EXCLUDED.config, version = g.version + 1, updated_at = now(),
              updated_by_type = EXCLUDED.updated_by_type, updated_by = EXCLUDED.updated_by
            WHERE g.version = $3
            RETURNING {GuardrailConfigRow.Columns}
            """, GuardrailConfigRow.Read, ct, tx.OrgId, (object?)config ?? DBNull.Value, replacing, AuditLog.ActorTypeWire(actor.Type), (object?)actor.Id ?? DBNull.Value);
}
