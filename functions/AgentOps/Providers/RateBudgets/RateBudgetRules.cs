using System.Text.RegularExpressions;

namespace AgentOps.Providers.RateBudgets;

/// <summary>The limits in force for a key, and where they come from ("override": the model's own row, "provider": the provider's '*' row, "default": settings).</summary>
public sealed record RateLimit(int Rpm, long Tpm, string Source);

/// <summary>What a key's window has admitted so far, and the provider's hold on it (resync), if any.</summary>
public sealed record RateWindowState(int Requests, long Tokens, DateTimeOffset? HeldUntil = null, string? HeldBudget = null)
{
    public static readonly RateWindowState Empty = new(0, 0);
}

/// <summary>
/// What the provider's rate-limit headers change: the window's counts raised to at least these, and a hold on the
/// next window when the provider said a budget is spent until after this window ends.
/// </summary>
public sealed record RateResync(int Requests, long Tokens, RateHold? NextWindowHold);

/// <summary>Nothing is admitted in the next window before <paramref name="Until"/>: the provider said <paramref name="Budget"/> is spent.</summary>
public sealed record RateHold(DateTimeOffset Until, string Budget);

/// <summary>
/// The pure decisions of the shared rate budgets (<see cref="PostgresRateBudget"/> runs them against the counters in
/// Postgres): which fixed window a time falls in, what a refused reservation is told, which limits apply to a key, and
/// how the provider's headers correct our counts. docs/llm.md explains the design.
/// </summary>
public static partial class RateBudgetRules
{
    /// <summary>The budgets are per minute: fixed windows of this length, aligned on whole UTC minutes.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>The budget names an <see cref="RateAdmission.Exhausted"/> carries.</summary>
    public const string Requests = "requests", Tokens = "tokens";

    /// <summary>The model of an override that applies to every model of its provider without a row of its own.</summary>
    public const string AnyModel = "*";

    /// <summary>Bounds of a limit (the API refuses values outside; the table checks them too).</summary>
    public const int MaxRpm = 1_000_000;

    /// <inheritdoc cref="MaxRpm"/>
    public const long MaxTpm = 1_000_000_000;

    /// <summary>Longest provider (connection) name and model name a key may have.</summary>
    public const int MaxProviderLength = 100, MaxModelLength = 200;

    /// <summary>The window <paramref name="at"/> falls in: its start, the whole UTC minute at or before it.</summary>
    public static DateTimeOffset WindowOf(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.UtcTicks - utc.UtcTicks % Window.Ticks, TimeSpan.Zero);
    }

    public static DateTimeOffset WindowEnd(DateTimeOffset windowStart) => windowStart + Window;

    /// <summary>How long until the window of <paramref name="now"/> rolls over: every slot of a full window frees up then.</summary>
    public static TimeSpan UntilNextWindow(DateTimeOffset now) => WindowEnd(WindowOf(now)) - now;

    /// <summary>The key's own override, else its provider's '*' override, else the defaults.</summary>
    public static RateLimit Effective(RateLimit? own, RateLimit? provider, int defaultRpm, long defaultTpm) =>
        own ?? provider ?? new RateLimit(defaultRpm, defaultTpm, "default");

    /// <summary>Whether a call estimated at <paramref name="estimatedTokens"/> can never fit the limit, however long it waits.</summary>
    public static bool NeverFits(RateLimit limit, long estimatedTokens) => estimatedTokens > limit.Tpm;

    /// <summary>The admission rule (the upsert in RateBudgetStore.TryReserveAsync is the same condition, applied under the row lock).</summary>
    public static bool Admits(RateWindowState state, RateLimit limit, long estimatedTokens, DateTimeOffset now) =>
        !(state.HeldUntil > now) && state.Requests + 1L <= limit.Rpm && state.Tokens + estimatedTokens <= limit.Tpm;

    /// <summary>
    /// Why a reservation that <see cref="Admits"/> refuses is refused, and when to ask again: a provider's hold until it
    /// ends, a full window until it rolls over. Null when the state admits it (it changed since the refusal: try again).
    /// </summary>
    public static RateAdmission.Exhausted? Refusal(RateWindowState state, RateLimit limit, long estimatedTokens, DateTimeOffset now)
    {
        if (state.HeldUntil is { } until && until > now) return new(state.HeldBudget ?? Requests, until - now);
        if (state.Requests + 1L > limit.Rpm) return new(Requests, UntilNextWindow(now));
        if (state.Tokens + estimatedTokens > limit.Tpm) return new(Tokens, UntilNextWindow(now));
        return null;
    }

    /// <summary>
    /// Our counts after the provider's headers: each raised so that our remaining is no more than the provider's
    /// (count = limit − provider's remaining), never lowered and never above the limit. The provider's word only ever
    /// tightens: its limit may be larger than ours on purpose (ours is the organization's share), and its count lags
    /// ours (calls we admitted may not have reached it yet), so believing a larger remaining would let the window
    /// overshoot. When it says a budget is spent (0 remaining) until after this window ends, the next window is held
    /// until then (at most to its end). Null when the headers change nothing.
    /// </summary>
    public static RateResync? Resync(RateWindowState state, RateLimit limit, RateLimitInfo observed, DateTimeOffset now)
    {
        var requests = Raised(state.Requests, limit.Rpm, observed.RemainingRequests);
        var tokens = Raised(state.Tokens, limit.Tpm, observed.RemainingTokens);
        var end = WindowEnd(WindowOf(now));
        RateHold? Hold(long? remaining, TimeSpan? reset, string budget) =>
            remaining <= 0 && reset is { } r && now + r > end ? new RateHold(Min(now + r, end + Window), budget) : null;
        var hold = new[] { Hold(observed.RemainingRequests, observed.ResetRequests, Requests), Hold(observed.RemainingTokens, observed.ResetTokens, Tokens) }
            .OfType<RateHold>().MaxBy(h => h.Until);
        return requests == state.Requests && tokens == state.Tokens && hold is null ? null : new RateResync((int)requests, tokens, hold);
    }

    private static long Raised(long used, long cap, long? providerRemaining) =>
        providerRemaining is not { } remaining ? used : Math.Max(used, cap - Math.Clamp(remaining, 0, cap));

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>A provider (connection) name: printable ASCII without '/', no spaces at either end, at most <see cref="MaxProviderLength"/>.</summary>
    public static bool IsProvider(string? text) => text is { Length: > 0 and <= MaxProviderLength } && Printable().IsMatch(text) && !text.Contains('/', StringComparison.Ordinal);

    /// <summary>A model name (<see cref="AnyModel"/> is not one: it names the provider's override).</summary>
    public static bool IsModel(string? text) => text is { Length: > 0 and <= MaxModelLength } && text != AnyModel && Printable().IsMatch(text);

    // Printable ASCII without leading or trailing spaces: what provider and model names are, and nothing a log or a
    // header could be confused by (no control characters, no unpaired surrogates).
    [GeneratedRegex(@"^[\x21-\x7E](?:[\x20-\x7E]*[\x21-\x7E])?$")]
    private static partial Regex Printable();
}
