using AgentOps.Audit;

namespace AgentOps.Costs;

/// <summary>
/// The price list an organization's costs are computed with: the public list plus the organization's own prices
/// (negotiated rates, private or fine-tuned models), which win. Prices are versions: a new price for a model is a new
/// row with its own effective_from; the public list cannot be changed through the API.
/// </summary>
public static class PricesApi
{
    public static void MapPricesApi(this RouteGroupBuilder api)
    {
        var prices = api.MapGroup("/model-prices").WithTags("Costs");
        prices.MapGet("/", ListAsync).Requires(Permission.OrgRead).WithName("listPrices").WithSummary("The public price list and this organization's own prices");
        prices.MapPost("/", CreateAsync).Requires(Permission.OrgWrite).WithName("createPrice").WithSummary("Add an organization price (it overrides the public one)");
        prices.MapDelete("/{id:guid}", DeleteAsync).Requires(Permission.OrgWrite).WithName("deletePrice").WithSummary("Remove one of the organization's prices");
    }

    public sealed record PriceView(Guid Id, bool Public, string Provider, string Model, string[] Aliases, decimal InputPerMtokUsd, decimal OutputPerMtokUsd,
        decimal? CachedInputPerMtokUsd, DateTimeOffset EffectiveFrom, DateTimeOffset? EffectiveTo, string Source)
    {
        public const string Columns = "id, org_id IS NULL, provider, model, aliases, input_per_mtok_micros, output_per_mtok_micros, cached_input_per_mtok_micros, effective_from, effective_to, source";

        public static PriceView Read(NpgsqlDataReader r) => new(r.GetGuid(0), r.GetBoolean(1), r.GetString(2), r.GetString(3), (string[])r[4],
            r.GetInt64(5) / 1_000_000m, r.GetInt64(6) / 1_000_000m, r.IsDBNull(7) ? null : r.GetInt64(7) / 1_000_000m, r.Time(8), r.NullableTime(9), r.GetString(10));
    }

    public sealed record CreatePriceRequest(string? Provider, string? Model, string[]? Aliases, decimal? InputPerMtokUsd, decimal? OutputPerMtokUsd,
        decimal? CachedInputPerMtokUsd, DateTimeOffset? EffectiveFrom, DateTimeOffset? EffectiveTo, string? Source);

    /// <summary>The most a price may be: $100,000 per 1M tokens.</summary>
    public const decimal MaxPerMtokUsd = 100_000m;

    /// <summary>The public list and the organization's prices, one page in id order (the public list's ids are fixed, not time-ordered).</summary>
    public static async Task<Ok<Page<PriceView>>> ListAsync(Caller caller, Db db, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var rows = await db.InOrgAsync(caller.OrgId, tx => tx.ListAsync(
            $"SELECT {PriceView.Columns} FROM model_prices WHERE (org_id IS NULL OR org_id = $1) AND id > $2 ORDER BY id LIMIT $3",
            PriceView.Read, ct, caller.OrgId, after, take + 1), ct);
        return TypedResults.Ok(Paging.Of(rows, take, p => p.Id));
    }

    public static async Task<Created<PriceView>> CreateAsync(CreatePriceRequest body, Caller caller, Db db, PriceBook book, TimeProvider time, CancellationToken ct)
    {
        var v = new Validation();
        var provider = Pricing.NormalizeProvider(v.RequiredText("$.provider", body.Provider, 64));
        var model = v.RequiredText("$.model", body.Model, 128)?.ToLowerInvariant();
        // A null in the array is refused like an empty name (the type allows it: JSON arrays may hold null).
        var aliases = (body.Aliases ?? []).Select(a => a?.Trim().ToLowerInvariant() ?? "").Distinct().ToArray();
        if (aliases.Length > 20 || aliases.Any(a => a.Length is 0 or > 128)) v.Add("$.aliases", "holds at most 20 names of 1 to 128 characters.");
        var input = Money(v, "$.input_per_mtok_usd", body.InputPerMtokUsd, required: true);
        var output = Money(v, "$.output_per_mtok_usd", body.OutputPerMtokUsd, required: true);
        var cached = Money(v, "$.cached_input_per_mtok_usd", body.CachedInputPerMtokUsd, required: false);
        var from = body.EffectiveFrom ?? time.GetUtcNow();
        if (body.EffectiveTo <= from) v.Add("$.effective_to", "must be after effective_from.");
        var source = v.Text("$.source", body.Source, 500) ?? $"set by the organization ({AuditLog.ActorTypeWire(caller.Type)} {caller.ActorId})";
        v.ThrowIfInvalid();

        var id = Guid.CreateVersion7();
        var price = await db.InOrgAsync(caller.OrgId, async tx =>
        {
            var created = (await tx.SingleAsync($"""
                INSERT INTO model_prices (id, org_id, provider, model, aliases, input_per_mtok_micros, output_per_mtok_micros, cached_input_per_mtok_micros,
                                          effective_from, effective_to, source)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {PriceView.Columns}
                """, PriceView.Read, ct, id, caller.OrgId, provider, model, aliases, input, output, cached, from, body.EffectiveTo, source))!;
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "model_price.created", "model_price", id, null, created, ct);
            return created;
        }, ct);
        book.Invalidate(caller.OrgId);
        return TypedResults.Created((string?)null, price);
    }

    public static async Task<NoContent> DeleteAsync(Guid id, Caller caller, Db db, PriceBook book, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            // Only the organization's own rows: the public list is never found here (404, as for another org's rows).
            var before = await tx.SingleAsync($"SELECT {PriceView.Columns} FROM model_prices WHERE id = $1 AND org_id = $2 FOR UPDATE", PriceView.Read, ct, id, caller.OrgId)
                ?? throw ApiProblem.NotFound("organization price");
            await tx.ExecuteAsync("DELETE FROM model_prices WHERE id = $1 AND org_id = $2", ct, id, caller.OrgId);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "model_price.deleted", "model_price", id, before, null, ct);
        }, ct);
        book.Invalidate(caller.OrgId);
        return TypedResults.NoContent();
    }

    /// <summary>Dollars per 1M tokens to integer micro-dollars, exactly (at most 6 decimals).</summary>
    private static long? Money(Validation v, string path, decimal? usd, bool required)
    {
        if (usd is null) { if (required) v.Add(path, "is required (US dollars per 1M tokens)."); return null; }
        if (usd < 0 || usd > MaxPerMtokUsd) { v.Add(path, $"must be from 0 to {MaxPerMtokUsd}."); return null; }
        var micros = usd.Value * 1_000_000m;
        if (micros != decimal.Truncate(micros)) { v.Add(path, "has more than 6 decimals."); return null; }
        return (long)micros;
    }
}
