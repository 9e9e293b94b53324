using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AgentOps.Audit;

/// <summary>The audit trail, for the people who answer for it: filter, page, export as CSV, verify the chain.</summary>
public static class AuditApi
{
    public static void MapAuditApi(this RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit-logs").WithTags("Audit");
        audit.MapGet("/", ListAsync).Requires(Permission.AuditRead).WithName("listAuditLog").ExportsCsv().WithSummary("Audit rows, newest first (?format=csv for a file)");
        audit.MapGet("/verify", VerifyAsync).Requires(Permission.AuditRead).WithName("verifyAuditChain").WithSummary("Recompute the organization's hash chain");
    }

    public sealed record AuditView(Guid Id, long ChainIndex, string ActorType, Guid? ActorId, string Action, string EntityType, string? EntityId,
        JsonElement? Before, JsonElement? After, string? Ip, string? UserAgent, DateTimeOffset CreatedAt, string Hash);

    public sealed record AuditPage(IReadOnlyList<AuditView> Items, string? NextCursor);

    /// <summary>CSV exports stop at this many rows; narrow the filters (or page the JSON) for more.</summary>
    public const int MaxCsvRows = 100_000;

    private static JsonElement? Json(string? text) => text is null ? null : JsonDocument.Parse(text).RootElement.Clone();

    private static AuditView Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetInt64(1), r.GetString(2), r.NullableGuid(3), r.GetString(4), r.GetString(5),
        r.NullableString(6), Json(r.NullableString(7)), Json(r.NullableString(8)), r.NullableString(9), r.NullableString(10), r.Time(11),
        Convert.ToHexStringLower((byte[])r[12]));

    public static async Task<Results<Ok<AuditPage>, PushStreamHttpResult>> ListAsync(Caller caller, Db db, string? actor, string? action, string? entity_type, string? entity_id,
        DateTimeOffset? from, DateTimeOffset? to, int? limit, string? cursor, string? format, CancellationToken ct)
    {
        var v = new Validation();
        var csv = format == "csv";
        if (format is not (null or "json" or "csv")) v.Add("format", "must be json or csv.");
        var take = limit ?? 50;
        if (take is < 1 or > 200) v.Add("limit", "must be from 1 to 200.");
        long? before = null;
        if (cursor is not null)
            if (long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var c)) before = c;
            else v.Add("cursor", "is not a cursor this API returned.");
        Guid? actorId = null;
        if (actor is not null)
            if (Guid.TryParse(actor, out var a)) actorId = a;
            else v.Add("actor", "must be the id of a user or an API key.");
        v.ThrowIfInvalid();

        // action matches exactly, or by prefix with a trailing '*' ("member.*").
        var actionPattern = action is null ? null : action.EndsWith('*') ? action[..^1].Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%" : null;
        object?[] args = [caller.OrgId, actorId, actionPattern is null ? action : null, actionPattern, entity_type, entity_id, from, to, before, csv ? MaxCsvRows : take + 1];
        const string sql = """
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
        if (csv)
            // Streamed row by row from the database to the client: an export never sits in memory whole.
            return TypedResults.Stream(output => db.InOrgAsync(caller.OrgId, async tx =>
            {
                await using var writer = new StreamWriter(output, new UTF8Encoding(false), 64 * 1024);
                await writer.WriteAsync(CsvHeader);
                await using var cmd = tx.Command(sql, args);
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) await writer.WriteAsync(CsvLine(Read(reader)));
            }, ct), "text/csv", $"audit-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv");
        var rows = await db.InOrgAsync(caller.OrgId, tx => tx.ListAsync(sql, Read, ct, args), ct);
        var next = rows.Count > take ? rows[take - 1].ChainIndex.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new AuditPage(rows.Take(take).ToList(), next));
    }

    private const string CsvHeader = "chain_index,created_at,actor_type,actor_id,action,entity_type,entity_id,ip,user_agent,before,after,hash\r\n";

    /// <summary>One CSV line (see <see cref="Csv"/>).</summary>
    public static string CsvLine(AuditView r) => Csv.Line(
        r.ChainIndex.ToString(CultureInfo.InvariantCulture), r.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), r.ActorType,
        r.ActorId?.ToString(), r.Action, r.EntityType, r.EntityId, r.Ip, r.UserAgent, r.Before?.GetRawText(), r.After?.GetRawText(), r.Hash);

    public static async Task<Ok<AuditChain.Verdict>> VerifyAsync(Caller caller, Db db, CancellationToken ct)
    {
        var verdict = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var verifier = new AuditChain.Verifier();
            await using var cmd = tx.Command("SELECT chain_index, prev_hash, hash, audit_canonical(a) FROM audit_logs a WHERE org_id = $1 ORDER BY chain_index", caller.OrgId);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct) && verifier.Add(new AuditChain.Link(r.GetInt64(0), (byte[])r[1], (byte[])r[2], r.GetString(3)))) { }
            return verifier.Result;
        }, ct);
        return TypedResults.Ok(verdict);
    }
}
