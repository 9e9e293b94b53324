using AgentOps.Costs;
using FsCheck;
using FsCheck.Fluent;

namespace AgentOps.Tests.Costs;

public class PricingTests
{
    private static readonly DateTimeOffset Day = DateTimeOffset.Parse("2025-09-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static ModelPrice Price(string provider, string model, long input, long output, long? cached = null, string[]? aliases = null,
        DateTimeOffset? from = null, DateTimeOffset? to = null, Guid? org = null) =>
        new(Guid.NewGuid(), org, provider, model, aliases ?? [], input, output, cached, from ?? Day.AddYears(-1), to);

    [Theory]
    // gpt-4o ($2.50 / $1.25 cached / $10): 800 × 2.5 + 200 × 1.25 + 500 × 10 = 7,250 µ$.
    [InlineData(2_500_000, 10_000_000, 1_250_000L, 1000, 500, 200, 7250)]
    // No cache price: cached tokens pay the input price.
    [InlineData(2_500_000, 10_000_000, null, 1000, 500, 200, 7500)]
    // claude-3-5-haiku ($0.80 / $4): 2,000 in + 300 out = 1,600 + 1,200 µ$.
    [InlineData(800_000, 4_000_000, 80_000L, 2000, 300, 0, 2800)]
    // Rounding: 1 token at $0.15 / 1M = 0.15 µ$ → 0; 4 tokens = 0.6 µ$ → 1 (half up).
    [InlineData(150_000, 0, null, 1, 0, 0, 0)]
    [InlineData(150_000, 0, null, 4, 0, 0, 1)]
    public void Costs_match_hand_computed_values(long input, long output, long? cached, long tokensIn, long tokensOut, long tokensCached, long expected) =>
        Assert.Equal(expected, Pricing.CostMicros(Price("openai", "m", input, output, cached), tokensIn, tokensOut, tokensCached));

    [Fact]
    public void Huge_token_counts_do_not_overflow()
    {
        var price = Price("openai", "m", 75_000_000, 150_000_000);
        Assert.Equal(10_000_000_000L * 75 + 10_000_000_000L * 150, Pricing.CostMicros(price, 10_000_000_000, 10_000_000_000, 0));
    }

    [Fact]
    public void Cost_is_additive_over_tokens_up_to_rounding() =>
        Prop.ForAll(Gen.Choose(0, 1_000_000).ToArbitrary(), Gen.Choose(0, 1_000_000).ToArbitrary(), (a, b) =>
        {
            var price = Price("openai", "m", 2_500_000, 10_000_000);
            var whole = Pricing.CostMicros(price, a + b, 0, 0);
            var parts = Pricing.CostMicros(price, a, 0, 0) + Pricing.CostMicros(price, b, 0, 0);
            return Math.Abs(whole - parts) <= 1;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Lookup_prefers_the_orgs_own_price_then_the_newest_version_in_force()
    {
        var old = Price("openai", "o3", 10_000_000, 40_000_000, from: Day.AddMonths(-6), to: Day.AddMonths(-3));
        var cut = Price("openai", "o3", 2_000_000, 8_000_000, from: Day.AddMonths(-3));
        var mine = Price("openai", "o3", 1_000_000, 4_000_000, from: Day.AddMonths(-1), org: Guid.NewGuid());
        ModelPrice[] prices = [old, cut, mine];
        Assert.Equal(old, Pricing.Find([old, cut], "openai", "o3", Day.AddMonths(-4)));
        Assert.Equal(cut, Pricing.Find([old, cut], "openai", "o3", Day));
        Assert.Equal(mine, Pricing.Find(prices, "openai", "o3", Day));
        Assert.Equal(cut, Pricing.Find(prices, "openai", "o3", Day.AddMonths(-2)));
        Assert.Null(Pricing.Find(prices, "openai", "o3", Day.AddYears(-2)));
    }

    [Theory]
    [InlineData("openai", "gpt-4o-2024-08-06")] // alias
    [InlineData("openai", "GPT-4o")] // case
    [InlineData(null, "openai/gpt-4o")] // router prefix, no provider
    [InlineData("azure.ai.openai", "gpt-4o")] // OpenTelemetry provider name
    [InlineData("openai", "gpt-4o-2099-01-01")] // unknown dated snapshot of a known model
    public void Names_are_matched_loosely_but_never_guessed(string? provider, string model) =>
        Assert.NotNull(Pricing.Find([Price("openai", "gpt-4o", 2_500_000, 10_000_000, aliases: ["gpt-4o-2024-08-06"])], provider, model, Day));

    [Theory]
    [InlineData("anthropic", "gpt-4o")]
    [InlineData("openai", "gpt-4")]
    [InlineData("openai", "gpt-4o-mini")]
    public void Other_models_are_unpriced(string provider, string model) =>
        Assert.Null(Pricing.Find([Price("openai", "gpt-4o", 2_500_000, 10_000_000)], provider, model, Day));

    [Theory]
    [InlineData("gcp.gemini", "google")]
    [InlineData("gcp.vertex_ai", "google")]
    [InlineData("OpenAI", "openai")]
    [InlineData("aws.bedrock", "aws.bedrock")]
    public void Provider_names_are_normalized(string given, string expected) => Assert.Equal(expected, Pricing.NormalizeProvider(given));
}
