using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
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
}
