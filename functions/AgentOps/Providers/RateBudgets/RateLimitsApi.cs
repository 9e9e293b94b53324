namespace AgentOps.Providers.RateBudgets;

/// <summary>
/// The model-call rate limits over HTTP: the live view, and an organization's overrides of the defaults; binding and
/// shape checks here, the use cases in <see cref="RateLimitsService"/>.
/// </summary>
public static class RateLimitsApi
{
    public static void MapRateLimitsApi(this RouteGroupBuilder api)
    {
        var limits = api.MapGroup("/llm/rate-limits").WithTags("Model calls");
        limits.MapGet("/", GetAsync).Requires(Permission.ProvidersRead).WithName("getLlmRateLimits")
            .WithSummary("Limits in force and this minute's use, per provider and model with an override or with use");
        limits.MapPut("/", SetAsync).Requires(Permission.ProvidersWrite).WithName("setLlmRateLimit").Problems(409)
            .WithSummary("Set an override of the requests and tokens per minute of a model, or of every model of a provider (model '*')");
        limits.MapDelete("/", DeleteAsync).Requires(Permission.ProvidersWrite).WithName("deleteLlmRateLimit")
            .WithSummary("Remove an override (the model falls back to its provider's '*' override, else the defaults)");
    }

    public sealed record SetRateLimitRequest(string? Provider, string? Model, int? Rpm, long? Tpm);

    public static async Task<Ok<RateLimitsView>> GetAsync(Caller caller, RateLimitsService limits, CancellationToken ct) =>
        TypedResults.Ok(await limits.ViewAsync(caller.OrgId, ct));

    /// <summary>Creates or replaces the override of (provider, model); the same values again change (and audit) nothing.</summary>
    public static async Task<Ok<RateLimitOverride>> SetAsync(SetRateLimitRequest body, Caller caller, RateLimitsService limits, CancellationToken ct)
    {
        var v = new Validation();
        var (provider, model) = Key(v, "$.provider", body.Provider, "$.model", body.Model);
        if (body.Rpm is not { } rpm || rpm < 1 || rpm > RateBudgetRules.MaxRpm)
            v.Add("$.rpm", $"is required: requests per minute, from 1 to {RateBudgetRules.MaxRpm}.");
        if (body.Tpm is not { } tpm || tpm < 1 || tpm > RateBudgetRules.MaxTpm)
            v.Add("$.tpm", $"is required: tokens per minute, from 1 to {RateBudgetRules.MaxTpm}.");
        v.ThrowIfInvalid();
        return TypedResults.Ok(await limits.SetAsync(caller, provider!, model!, body.Rpm!.Value, body.Tpm!.Value, ct));
    }

    public static async Task<NoContent> DeleteAsync(string? provider, string? model, Caller caller, RateLimitsService limits, CancellationToken ct)
    {
        var v = new Validation();
        var key = Key(v, "provider", provider, "model", model);
        v.ThrowIfInvalid();
        await limits.DeleteAsync(caller, key.Provider!, key.Model!, ct);
        return TypedResults.NoContent();
    }

    /// <summary>A provider name and a model name or '*' (<see cref="RateBudgetRules.IsProvider"/>, <see cref="RateBudgetRules.IsModel"/>).</summary>
    private static (string? Provider, string? Model) Key(Validation v, string providerPath, string? provider, string modelPath, string? model)
    {
        if (provider is null) v.Add(providerPath, "is required.");
        else if (!RateBudgetRules.IsProvider(provider))
            v.Add(providerPath, $"must be 1 to {RateBudgetRules.MaxProviderLength} printable ASCII characters without '/', no space at either end.");
        if (model is null) v.Add(modelPath, "is required (a model name, or '*' for every model of the provider).");
        else if (model != RateBudgetRules.AnyModel && !RateBudgetRules.IsModel(model))
            v.Add(modelPath, $"must be '*' or 1 to {RateBudgetRules.MaxModelLength} printable ASCII characters, no space at either end.");
        return (provider, model);
    }
}
