using AgentOps.Audit;

namespace AgentOps.Costs;

/// <summary>
/// The price list an organization's costs are computed with: the public list plus the organization's own prices
/// (negotiated rates, private or fine-tuned models), which win. Prices are versions: a new price for a model is a new
/// row with its own effective_from; the public list cannot be changed here. Every change is audited, and this
/// replica's <see cref="PriceBook"/> forgets the organization's prices (others within <see cref="PriceBook.Freshness"/>).
/// </summary>
public sealed class PriceService(Db db, PriceBook book)
{
    public Task<List<PriceView>> PageAsync(Guid orgId, Guid after, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, tx => PriceStore.PageAsync(tx, after, take, ct), ct);

    public async Task<PriceView> CreateAsync(Caller caller, PriceFields fields, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        var price = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var created = await PriceStore.InsertAsync(tx, id, fields, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "model_price.created", "model_price", id, null, created, ct);
            return created;
        }, ct);
        book.Invalidate(caller.OrgId);
        return price;
    }

    public async Task DeleteAsync(Caller caller, Guid id, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            // Only the organization's own rows: the public list is never found here (404, as for another org's rows).
            var before = await PriceStore.LockOwnAsync(tx, id, ct) ?? throw DomainError.NotFound("organization price");
            await PriceStore.DeleteOwnAsync(tx, id, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "model_price.deleted", "model_price", id, before, null, ct);
        }, ct);
        book.Invalidate(caller.OrgId);
    }
}
