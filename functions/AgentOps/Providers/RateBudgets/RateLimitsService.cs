using AgentOps.Audit;

namespace AgentOps.Providers.RateBudgets;

/// <summary>One key's limits in force and its use in the current minute (model '*': a provider's override, which has no use of its own).</summary>
public sealed record RateLimitItem(string Provider, string Model, int Rpm, long Tpm, string Source, int? Requests, long? Tokens, DateTimeOffset? HeldUntil);

/// <summary>The live view: the defaults, the current window, and every key with an override or with use in this window.</summary>
public sealed record RateLimitsView(int DefaultRpm, long DefaultTpm, DateTimeOffset WindowStart, DateTimeOffset WindowEnd, IReadOnlyList<RateLimitItem> Items);

/// <summary>
/// The rate limits' use cases: the live view, and an organization's overrides of the defaults (set, remove), each
/// audited with before and after. A new limit applies from the next reservation on, in every replica at once.
/// </summary>
public sealed class RateLimitsService(Db db, RateBudgetOptions options, TimeProvider time)
{
    /// <summary>Overrides per organization, at most.</summary>
    public const int MaxOverrides = 1000;

    /// <summary>Keys with use in one window the live view lists, at most (beyond, the first by provider and model).</summary>
    public const int MaxWindowRows = 2000;

    public Task<RateLimitsView> ViewAsync(Guid orgId, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx =>
        {
            var now = time.GetUtcNow();
            var window = RateBudgetRules.WindowOf(now);
            var overrides = await RateBudgetStore.ListOverridesAsync(tx, MaxOverrides, ct);
            var used = await RateBudgetStore.WindowRowsAsync(tx, window, MaxWindowRows, ct);
            var byKey = overrides.ToDictionary(o => (o.Provider, o.Model), o => new RateLimit(o.Rpm, o.Tpm, o.Model == RateBudgetRules.AnyModel ? "provider" : "override"));
            RateLimit Limit(string provider, string model) =>
                RateBudgetRules.Effective(byKey.GetValueOrDefault((provider, model)), byKey.GetValueOrDefault((provider, RateBudgetRules.AnyModel)),
                    options.DefaultRpm, options.DefaultTpm);
            var items = new List<RateLimitItem>();
            foreach (var o in overrides.Where(o => o.Model == RateBudgetRules.AnyModel))
                items.Add(new(o.Provider, o.Model, o.Rpm, o.Tpm, "provider", null, null, null));
            var usage = used.ToDictionary(u => (u.Provider, u.Model));
            foreach (var key in overrides.Where(o => o.Model != RateBudgetRules.AnyModel).Select(o => (o.Provider, o.Model)).Union(usage.Keys))
            {
                var limit = Limit(key.Provider, key.Model);
                var u = usage.GetValueOrDefault(key);
                items.Add(new(key.Provider, key.Model, limit.Rpm, limit.Tpm, limit.Source, u?.Requests ?? 0, u?.Tokens ?? 0, u?.HeldUntil > now ? u.HeldUntil : null));
            }
            items.Sort((a, b) => (string.CompareOrdinal(a.Provider, b.Provider), string.CompareOrdinal(a.Model, b.Model)) switch
            {
                (0, var m) => m,
                (var p, _) => p,
            });
            return new RateLimitsView(options.DefaultRpm, options.DefaultTpm, window, RateBudgetRules.WindowEnd(window), items);
        }, ct);

    /// <summary>Sets one override (creates or replaces it); setting what is already there changes (and audits) nothing.</summary>
    public Task<RateLimitOverride> SetAsync(Caller caller, string provider, string model, int rpm, long tpm, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await RateBudgetStore.LockOverrideAsync(tx, provider, model, ct);
            if (before is { } same && same.Rpm == rpm && same.Tpm == tpm) return same;
            if (before is null && await RateBudgetStore.CountOverridesAsync(tx, ct) >= MaxOverrides)
                throw DomainError.Conflict("rate_limit_overrides_full", $"An organization has at most {MaxOverrides} rate limit overrides; remove one first.");
            var after = await RateBudgetStore.UpsertOverrideAsync(tx, provider, model, rpm, tpm, time.GetUtcNow(), ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "llm_rate_limit.set", "llm_rate_limit", EntityId(provider, model), before, after, ct);
            return after;
        }, ct);

    /// <summary>Removes one override (the key falls back to its provider's '*' override or the defaults); 404 when there is none.</summary>
    public Task DeleteAsync(Caller caller, string provider, string model, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await RateBudgetStore.LockOverrideAsync(tx, provider, model, ct) ?? throw DomainError.NotFound("rate limit override");
            await RateBudgetStore.DeleteOverrideAsync(tx, provider, model, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "llm_rate_limit.deleted", "llm_rate_limit", EntityId(provider, model), before, null, ct);
        }, ct);

    /// <summary>The audit log's entity id of an override: provider and model (a provider name has no '/', a model may).</summary>
    private static string EntityId(string provider, string model) => provider + "/" + model;
}
