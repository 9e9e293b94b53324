using System.Globalization;
using System.Text;

namespace AgentOps.Audit;

/// <summary>The audit trail over HTTP: filter, page, export as CSV, verify the chain; <see cref="AuditService"/> reads it.</summary>
public static class AuditApi
{
    public static void MapAuditApi(this RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit-logs").WithTags("Audit");
        audit.MapGet("/", ListAsync).Requires(Permission.AuditRead).WithName("listAuditLog").ExportsCsv().WithSummary("Audit rows, newest first (?format=csv for a file)");
        audit.MapGet("/verify", VerifyAsync).Requires(Permission.AuditRead).WithName("verifyAuditChain").WithSummary("Recompute the organization's hash chain");
    }

    public sealed record AuditPage(IReadOnlyList<AuditView> Items, string? NextCursor);

    public static async Task<Results<Ok<AuditPage>, PushStreamHttpResult>> ListAsync(Caller caller, AuditService audit, string? actor, string? action, string? entity_type, string? entity_id,
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

        var filter = new AuditFilter(actorId, action, entity_type, entity_id, from, to, before);
        if (csv)
            // Streamed row by row from the database to the client: an export never sits in memory whole.
            return TypedResults.Stream(output => audit.ExportAsync(caller.OrgId, filter, async rows =>
            {
                await using var writer = new StreamWriter(output, new UTF8Encoding(false), 64 * 1024);
                await writer.WriteAsync(CsvHeader);
                await foreach (var row in rows) await writer.WriteAsync(CsvLine(row));
            }, ct), "text/csv", $"audit-{DateTime.UtcNow:yyyyMMdd-HHmmss}.csv");
        var rows = await audit.PageAsync(caller.OrgId, filter, take + 1, ct);
        var next = rows.Count > take ? rows[take - 1].ChainIndex.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new AuditPage(rows.Take(take).ToList(), next));
    }

    private const string CsvHeader = "chain_index,created_at,actor_type,actor_id,action,entity_type,entity_id,ip,user_agent,before,after,hash\r\n";

    /// <summary>One CSV line (see <see cref="Csv"/>).</summary>
    public static string CsvLine(AuditView r) => Csv.Line(
        r.ChainIndex.ToString(CultureInfo.InvariantCulture), r.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), r.ActorType,
        r.ActorId?.ToString(), r.Action, r.EntityType, r.EntityId, r.Ip, r.UserAgent, r.Before?.GetRawText(), r.After?.GetRawText(), r.Hash);

    public static async Task<Ok<AuditChain.Verdict>> VerifyAsync(Caller caller, AuditService audit, CancellationToken ct) =>
        TypedResults.Ok(await audit.VerifyAsync(caller.OrgId, ct));
}
