using AgentOps.Audit;

namespace AgentOps.Costs;

/// <summary>
/// The prices API over HTTP: binding, shape checks and answers; <see cref="PriceService"/> holds the use cases. The
/// public list plus the organization's own prices (which override it); the public list cannot be changed through the API.
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

    public sealed record CreatePriceRequest(string? Provider, string? Model, string[]? Aliases, decimal? InputPerMtokUsd, decimal? OutputPerMtokUsd,
        decimal? CachedInputPerMtokUsd, DateTimeOffset? EffectiveFrom, DateTimeOffset? EffectiveTo, string? Source);

    /// <summary>The most a price may be: $100,000 per 1M tokens.</summary>
    public const decimal MaxPerMtokUsd = 100_000m;

    /// <summary>The public list and the organization's prices, one page in id order (the public list's ids are fixed, not time-ordered).</summary>
    public static async Task<Ok<Page<PriceView>>> ListAsync(Caller caller, PriceService prices, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        return TypedResults.Ok(Paging.Of(await prices.PageAsync(caller.OrgId, after, take + 1, ct), take, p => p.Id));
    }

    public static async Task<Created<PriceView>> CreateAsync(CreatePriceRequest body, Caller caller, PriceService prices, TimeProvider time, CancellationToken ct)
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
        var price = await prices.CreateAsync(caller, new PriceFields(provider!, model!, aliases, input!.Value, output!.Value, cached, from, body.EffectiveTo, source), ct);
        return TypedResults.Created((string?)null, price);
    }

    public static async Task<NoContent> DeleteAsync(Guid id, Caller caller, PriceService prices, CancellationToken ct)
    {
        await prices.DeleteAsync(caller, id, ct);
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
