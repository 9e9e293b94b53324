namespace AgentOps.Audit;

/// <summary>
/// Reading the audit trail, for the people who answer for it: a page, an export streamed row by row, and the
/// verification of the organization's hash chain. (Rows are written by <see cref="AuditLog.RecordAsync"/>, in the
/// transaction of each change.)
/// </summary>
public sealed class AuditService(Db db)
{
    /// <summary>Exports (CSV) stop at this many rows; narrow the filters (or page the JSON) for more.</summary>
    public const int MaxExportRows = 100_000;

    public Task<List<AuditView>> PageAsync(Guid orgId, AuditFilter filter, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => AuditStore.PageAsync(tx, filter, take, ct), ct);

    /// <summary>
    /// Hands <paramref name="write"/> the rows (at most <see cref="MaxExportRows"/>, newest first) as the database reads
    /// them, inside one transaction: an export never sits in memory whole.
    /// </summary>
    public Task ExportAsync(Guid orgId, AuditFilter filter, Func<IAsyncEnumerable<AuditView>, Task> write, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => write(AuditStore.StreamAsync(tx, filter, MaxExportRows, ct)), ct);

    /// <summary>Recomputes the chain row by row (never held in memory whole) and says whether, and where, it is broken.</summary>
    public Task<AuditChain.Verdict> VerifyAsync(Guid orgId, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx =>
        {
            var verifier = new AuditChain.Verifier();
            await AuditStore.ChainAsync(tx, verifier.Add, ct);
            return verifier.Result;
        }, ct);
}
