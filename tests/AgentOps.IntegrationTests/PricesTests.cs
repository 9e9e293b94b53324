using System.Text.Json;
using AgentOps.Costs;
using AgentOps.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using static AgentOps.IntegrationTests.Infrastructure.Ingesting;

namespace AgentOps.IntegrationTests;

[Collection(ApiCollection.Name)]
public class PricesTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    [Fact]
    public async Task An_organizations_own_price_wins_for_it_and_no_one_else()
    {
        var (a, aKey) = await _client.SdkTenantAsync();
        var (b, bKey) = await _client.SdkTenantAsync();
        var mine = (await _client.Post("/api/v1/model-prices", new
        {
            provider = "OpenAI", model = "gpt-4o", input_per_mtok_usd = 1.0m, output_per_mtok_usd = 4.0m,
            effective_from = T0.AddDays(-1), source = "enterprise agreement 2026",
        }, a.AdminToken)).Expect(201);
        Assert.False(mine.Body.GetProperty("public").GetBoolean());

        foreach (var key in new[] { aKey, bKey })
            (await _client.IngestAsync(key, Event("p-1", "llm.call", 0, "priced", extra: new { model = "gpt-4o", tokens_in = 1000, tokens_out = 1000 }))).Expect(202);
        // A: 1000 × $1 + 1000 × $4 per 1M = 5,000 µ$. B (public list): 1000 × $2.50 + 1000 × $10 = 12,500 µ$.
        Assert.Equal(5000, (await _client.WaitForRunAsync(aKey, "priced")).GetProperty("run").GetProperty("cost_micros").GetInt64());
        Assert.Equal(12500, (await _client.WaitForRunAsync(bKey, "priced")).GetProperty("run").GetProperty("cost_micros").GetInt64());

        var bPage = (await _client.Get("/api/v1/model-prices?limit=200", b.AdminToken)).Expect(200).Body;
        Assert.Equal(JsonValueKind.Null, bPage.GetProperty("next_cursor").ValueKind);
        var bList = bPage.GetProperty("items").EnumerateArray().ToList();
        Assert.All(bList, p => Assert.True(p.GetProperty("public").GetBoolean()));
        Assert.Contains(bList, p => p.GetProperty("model").GetString() == "gpt-4o");
        (await _client.Delete($"/api/v1/model-prices/{mine.Id()}", b.AdminToken)).ExpectProblem(404, "not_found");
        var publicId = bList.First().GetProperty("id").GetGuid();
        (await _client.Delete($"/api/v1/model-prices/{publicId}", a.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Delete($"/api/v1/model-prices/{mine.Id()}", a.AdminToken)).Expect(204);
        Assert.Equal(2L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl,
            "SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action LIKE 'model_price.%'", a.OrgId));
    }

    [Fact]
    public async Task Prices_are_validated()
    {
        var (a, _) = await _client.SdkTenantAsync();
        var bad = (await _client.Post("/api/v1/model-prices", new { model = "", input_per_mtok_usd = -1m, output_per_mtok_usd = 0.0000001m }, a.AdminToken))
            .ExpectProblem(422, "validation_failed");
        Assert.Equal(["$.input_per_mtok_usd", "$.model", "$.output_per_mtok_usd", "$.provider"], bad.Body.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());
        var nullAlias = (await _client.Post("/api/v1/model-prices", """{"provider":"p","model":"m","input_per_mtok_usd":1,"output_per_mtok_usd":1,"aliases":[null]}""", a.AdminToken))
            .ExpectProblem(422, "validation_failed");
        Assert.True(nullAlias.Body.GetProperty("errors").TryGetProperty("$.aliases", out _));
    }

    private static string Owner => TestDatabase.ConnectionString(TestDatabase.OwnerUrl);

    [Fact]
    public async Task The_public_price_list_is_loaded_from_its_versioned_file_and_reloading_it_changes_nothing()
    {
        // The server applied the embedded lists at start-up (the fixture's server, as the schema owner).
        var list = Assert.Single(PriceLists.Embedded, l => l.Version == "2026-11");
        Assert.Equal(list.Checksum, await TestDatabase.ScalarAsync<string>(TestDatabase.AdminUrl, "SELECT checksum FROM price_lists WHERE version = '2026-11'"));
        Assert.All(list.Prices, p => Assert.StartsWith("http", p.Source));
        foreach (var p in list.Prices)
            Assert.Equal(1, await TestDatabase.ScalarAsync<long>(TestDatabase.AdminUrl, """
                SELECT count(*) FROM model_prices WHERE org_id IS NULL AND provider = $1 AND model = $2 AND effective_from = $3
                  AND input_per_mtok_micros = $4 AND output_per_mtok_micros = $5 AND cached_input_per_mtok_micros IS NOT DISTINCT FROM $6
                  AND effective_to IS NOT DISTINCT FROM $7 AND source = $8 AND aliases = $9
                """, p.Provider, p.Model, p.EffectiveFrom, p.InputPerMtokMicros, p.OutputPerMtokMicros, (object?)p.CachedInputPerMtokMicros ?? DBNull.Value,
                (object?)p.EffectiveTo ?? DBNull.Value, p.Source, p.Aliases));

        const string State = "SELECT count(*)::text || ' ' || coalesce(max(created_at)::text, '') FROM model_prices WHERE org_id IS NULL";
        var before = await TestDatabase.ScalarAsync<string>(TestDatabase.AdminUrl, State);
        Assert.Empty(await PriceLists.ApplyAsync(Owner, PriceLists.Embedded, NullLogger.Instance, CancellationToken.None));
        Assert.Equal(before, await TestDatabase.ScalarAsync<string>(TestDatabase.AdminUrl, State));
        Assert.Equal(1, await TestDatabase.ScalarAsync<long>(TestDatabase.AdminUrl, "SELECT count(*) FROM price_lists WHERE version = '2026-11'"));
    }

    [Fact]
    public async Task A_newer_price_list_adds_its_rows_records_them_and_an_organizations_own_price_still_wins()
    {
        var model = $"test-model-{Guid.NewGuid():N}";
        var version = $"2026-11-test-{Guid.NewGuid():N}";
        var known = PriceLists.Embedded[0].Prices[0];
        var json = JsonSerializer.SerializeToUtf8Bytes(new
        {
            version, read_on = "2026-12-01", currency = "USD", sources = new { openai = new[] { "https://openai.com/api/pricing" } },
            prices = new object[]
            {
                known, // already there, unchanged: not reported
                new { provider = "openai", model, aliases = Array.Empty<string>(), input_per_mtok_micros = 1_000_000, output_per_mtok_micros = 2_000_000,
                      cached_input_per_mtok_micros = (long?)null, effective_from = T0.AddDays(-30), effective_to = (DateTimeOffset?)null,
                      source = "https://openai.com/api/pricing (test)" },
            },
        }, AgentOps.Platform.Json.Options);
        var newer = PriceLists.Parse(json);
        try
        {
            Assert.Equal([version], await PriceLists.ApplyAsync(Owner, [newer], NullLogger.Instance, CancellationToken.None));
            Assert.Empty(await PriceLists.ApplyAsync(Owner, [newer], NullLogger.Instance, CancellationToken.None));
            Assert.Equal("1 0", await TestDatabase.ScalarAsync<string>(TestDatabase.AdminUrl,
                "SELECT rows_added || ' ' || rows_changed FROM price_lists WHERE version = $1", version));
            Assert.Equal(model, await TestDatabase.ScalarAsync<string>(TestDatabase.AdminUrl,
                "SELECT changes -> 0 -> 'after' ->> 'model' FROM price_lists WHERE version = $1 AND changes -> 0 -> 'before' = 'null'", version));

            // Priced by the new public row; an organization's own row for the model still wins for it alone.
            var (a, aKey) = await _client.SdkTenantAsync();
            var (_, bKey) = await _client.SdkTenantAsync();
            (await _client.Post("/api/v1/model-prices", new { provider = "openai", model, input_per_mtok_usd = 0.5m, output_per_mtok_usd = 0.5m,
                effective_from = T0.AddDays(-1), source = "enterprise agreement" }, a.AdminToken)).Expect(201);
            foreach (var key in new[] { aKey, bKey })
                (await _client.IngestAsync(key, Event("n-1", "llm.call", 0, "newer", extra: new { model, tokens_in = 1000, tokens_out = 1000 }))).Expect(202);
            Assert.Equal(1000, (await _client.WaitForRunAsync(aKey, "newer")).GetProperty("run").GetProperty("cost_micros").GetInt64());
            Assert.Equal(3000, (await _client.WaitForRunAsync(bKey, "newer")).GetProperty("run").GetProperty("cost_micros").GetInt64());
        }
        finally
        {
            await TestDatabase.ExecuteAsync(TestDatabase.AdminUrl, "DELETE FROM model_prices WHERE org_id IS NULL AND model = $1", model);
            await TestDatabase.ExecuteAsync(TestDatabase.AdminUrl, "DELETE FROM price_lists WHERE version = $1", version);
        }
    }

    [Fact]
    public void A_price_list_must_be_sourced_and_say_each_price_once()
    {
        Assert.Throws<InvalidDataException>(() => PriceLists.Parse("""{"version":"x","read_on":"2026-12-01","currency":"USD","prices":[]}"""u8.ToArray()));
        var row = """{"provider":"openai","model":"m","aliases":[],"input_per_mtok_micros":1,"output_per_mtok_micros":1,"cached_input_per_mtok_micros":null,"effective_from":"2026-01-01T00:00:00Z","effective_to":null,"source":"https://example.com"}""";
        Assert.Throws<InvalidDataException>(() => PriceLists.Parse(System.Text.Encoding.UTF8.GetBytes(
            $$"""{"version":"x","read_on":"2026-12-01","currency":"USD","sources":{"openai":["https://example.com"]},"prices":[{{row}},{{row}}]}""")));
    }
}
