namespace AgentOps.Costs;

public sealed record PriceView(Guid Id, bool Public, string Provider, string Model, string[] Aliases, decimal InputPerMtokUsd, decimal OutputPerMtokUsd,
    decimal? CachedInputPerMtokUsd, DateTimeOffset EffectiveFrom, DateTimeOffset? EffectiveTo, string Source)
{
    public const string Columns = "id, org_id IS NULL, provider, model, aliases, input_per_mtok_micros, output_per_mtok_micros, cached_input_per_mtok_micros, effective_from, effective_to, source";

    public static PriceView Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetBoolean(1), r.GetString(2), r.GetString(3), (string[])r[4],
        r.GetInt64(5) / 1_000_000m, r.GetInt64(6) / 1_000_000m, r.IsDBNull(7) ? null : r.GetInt64(7) / 1_000_000m, r.Time(8), r.NullableTime(9), r.GetString(10));
}

/// <summary>An organization's price for a model, checked: per 1M tokens in integer micro-dollars, provider and model in lower case.</summary>
public sealed record PriceFields(string Provider, string Model, string[] Aliases, long InputPerMtokMicros, long OutputPerMtokMicros, long? CachedInputPerMtokMicros,
    DateTimeOffset EffectiveFrom, DateTimeOffset? EffectiveTo, string Source);

/// <summary>
/// The SQL behind the prices API on model_prices, in the caller's transaction and organization (row-level security
/// shows the public list and the organization's own rows). Costing reads prices through <see cref="PriceBook"/>; the
/// public list is written only by <see cref="PriceLists"/>.
/// </summary>
public static class PriceStore
{
    /// <summary>The public list and the organization's prices, in id order (the public list's ids are fixed, not time-ordered).</summary>
    public static Task<List<PriceView>> PageAsync(Tx tx, Guid after, int take, CancellationToken ct) =>
        tx.ListAsync($"SELECT {PriceView.Columns} FROM model_prices WHERE (org_id IS NULL OR org_id = $1) AND id > $2 ORDER BY id LIMIT $3",
            PriceView.Read, ct, tx.OrgId, after, take);

    public static async Task<PriceView> InsertAsync(Tx tx, Guid id, PriceFields price, CancellationToken ct) =>
        (await tx.SingleAsync($"""
            INSERT INTO model_prices (id, org_id, provider, model, aliases, input_per_mtok_micros, output_per_mtok_micros, cached_input_per_mtok_micros,
                                      effective_from, effective_to, source)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {PriceView.Columns}
            """, PriceView.Read, ct, id, tx.OrgId, price.Provider, price.Model, price.Aliases, price.InputPerMtokMicros, price.OutputPerMtokMicros,
            price.CachedInputPerMtokMicros, price.EffectiveFrom, price.EffectiveTo, price.Source))!;

    /// <summary>Only the organization's own rows: the public list is never found here.</summary>
    public static Task<PriceView?> LockOwnAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.SingleAsync($"SELECT {PriceView.Columns} FROM model_prices WHERE id = $1 AND org_id = $2 FOR UPDATE", PriceView.Read, ct, id, tx.OrgId);

    public static Task DeleteOwnAsync(Tx tx, Guid id, CancellationToken ct) =>
        tx.ExecuteAsync("DELETE FROM model_prices WHERE id = $1 AND org_id = $2", ct, id, tx.OrgId);
}
