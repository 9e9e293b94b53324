using System.Text.RegularExpressions;

namespace AgentOps.Costs;

/// <summary>One version of a model's price, per 1M tokens in integer micro-dollars. OrgId null: the public list.</summary>
public sealed record ModelPrice(Guid Id, Guid? OrgId, string Provider, string Model, string[] Aliases,
    long InputPerMTokMicros, long OutputPerMTokMicros, long? CachedInputPerMTokMicros, DateTimeOffset EffectiveFrom, DateTimeOffset? EffectiveTo);

/// <summary>
/// Cost decisions, pure. Convention: tokens_in counts every input token, cached ones included; cached tokens are
/// billed at the cached-input price (or the input price when the model has none). Arithmetic is integer
/// (tokens × micro-dollars per 1M tokens, in 128 bits) with one rounding, half up, at the end: never floating point.
/// </summary>
public static partial class Pricing
{
    public static long CostMicros(ModelPrice price, long tokensIn, long tokensOut, long tokensCached)
    {
        var cached = Math.Clamp(tokensCached, 0, tokensIn);
        var total = (Int128)(tokensIn - cached) * price.InputPerMTokMicros
                    + (Int128)cached * (price.CachedInputPerMTokMicros ?? price.InputPerMTokMicros)
                    + (Int128)tokensOut * price.OutputPerMTokMicros;
        return (long)((total + 500_000) / 1_000_000);
    }

    /// <summary>OpenTelemetry and SDK provider names folded onto the price list's.</summary>
    public static string? NormalizeProvider(string? provider) => provider?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "gcp.gemini" or "gcp.vertex_ai" or "gcp.gen_ai" or "gemini" or "vertex_ai" or "vertexai" or "google_genai" or "google.genai" => "google",
        "azure.ai.openai" or "azure_openai" or "az.ai.openai" => "openai",
        "mistral_ai" or "mistralai" => "mistral",
        "meta_llama" => "meta",
        var p => p,
    };

    [GeneratedRegex(@"-(\d{4}-\d{2}-\d{2}|\d{8})$")]
    private static partial Regex DatedSnapshot();

    /// <summary>
    /// The price in force at <paramref name="at"/> for a model: an organization's own price before the public one;
    /// the exact name or an alias, then the name without a provider prefix ("openai/gpt-4o") or a dated-snapshot suffix
    /// ("gpt-4o-2024-08-06"). The provider, when given, must match. Null: unpriced (never a guess).
    /// </summary>
    public static ModelPrice? Find(IReadOnlyList<ModelPrice> prices, string? provider, string model, DateTimeOffset at)
    {
        var wanted = NormalizeProvider(provider);
        var name = model.Trim().ToLowerInvariant();
        foreach (var candidate in Candidates(name))
        {
            ModelPrice? best = null;
            foreach (var p in prices)
            {
                if (wanted is not null && p.Provider != wanted) continue;
                if (p.EffectiveFrom > at || p.EffectiveTo <= at) continue;
                if (p.Model != candidate && Array.IndexOf(p.Aliases, candidate) < 0) continue;
                if (best is null || Better(p, best)) best = p;
            }
            if (best is not null) return best;
        }
        return null;
    }

    private static bool Better(ModelPrice a, ModelPrice b) =>
        (a.OrgId is not null) != (b.OrgId is not null) ? a.OrgId is not null : a.EffectiveFrom > b.EffectiveFrom;

    private static IEnumerable<string> Candidates(string name)
    {
        yield return name;
        var slash = name.LastIndexOf('/');
        var bare = slash >= 0 ? name[(slash + 1)..] : name;
        if (bare != name) yield return bare;
        var undated = DatedSnapshot().Replace(bare, "");
        if (undated != bare) yield return undated;
    }
}
