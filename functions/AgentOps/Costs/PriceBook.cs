using System.Collections.Concurrent;

namespace AgentOps.Costs;

/// <summary>
/// The prices an organization sees (the public list plus its own), cached per organization for
/// <see cref="Freshness"/>: a price change applies to events processed after that; a reindex recomputes older ones.
/// </summary>
public sealed class PriceBook(TimeProvider time)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(60);
    private readonly ConcurrentDictionary<Guid, (DateTimeOffset LoadedAt, IReadOnlyList<ModelPrice> Prices)> _cache = new();

    /// <summary>Reads through the caller's transaction (the organization is set, so RLS shows public + own rows).</summary>
    public async Task<IReadOnlyList<ModelPrice>> ForOrgAsync(Tx tx, CancellationToken ct)
    {
        if (_cache.TryGetValue(tx.OrgId, out var hit) && time.GetUtcNow() - hit.LoadedAt < Freshness) return hit.Prices;
        var prices = await tx.ListAsync("""
            SELECT id, org_id, provider, model, aliases, input_per_mtok_micros, output_per_mtok_micros, cached_input_per_mtok_micros, effective_from, effective_to
            FROM model_prices
            """, r => new ModelPrice(r.GetGuid(0), r.NullableGuid(1), r.GetString(2), r.GetString(3), (string[])r[4], r.GetInt64(5), r.GetInt64(6),
            r.IsDBNull(7) ? null : r.GetInt64(7), r.Time(8), r.NullableTime(9)), ct);
        _cache[tx.OrgId] = (time.GetUtcNow(), prices);
        return prices;
    }

    public void Invalidate(Guid orgId) => _cache.TryRemove(orgId, out _);
}
