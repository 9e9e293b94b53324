using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

/// <summary>
/// Numbers and times at the edges of what .NET and the stores can hold are answered with a 4xx problem that names the
/// field, never a 500: the range is checked before any conversion or arithmetic.
/// </summary>
[Collection(ApiCollection.Name)]
public class RangeLimitsTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private static readonly string[] Overflowing = ["9223372036854775808", "-9223372036854775809", "79228162514264337593543950335"];

    [Fact]
    public async Task Budget_maximums_beyond_a_long_are_422_naming_the_field()
    {
        var tenant = await _client.SignupAsync();
        var id = (await _client.Post("/api/v1/budgets", new { name = "base", scope = "org", period = "daily", max_amount_usd = 5 }, tenant.AdminToken)).Expect(201).Id();
        foreach (var n in Overflowing)
        {
            var created = (await _client.Post("/api/v1/budgets", $$"""{"name":"b","scope":"org","period":"daily","max_amount_usd":{{n}}}""", tenant.AdminToken))
                .ExpectProblem(422, "validation_failed");
            Assert.Contains("at most 1000000000", created.Body.GetProperty("errors").GetProperty("$.max_amount_usd")[0].GetString());
            (await _client.Patch($"/api/v1/budgets/{id}", $$"""{"max_amount_usd":{{n}}}""", tenant.AdminToken)).ExpectProblem(422, "validation_failed")
                .Body.GetProperty("errors").GetProperty("$.max_amount_usd");
        }
        Assert.Equal(5m, (await _client.Get($"/api/v1/budgets/{id}", tenant.AdminToken)).Expect(200).Body.GetProperty("budget").GetProperty("max_amount_usd").GetDecimal());
    }

    [Fact]
    public async Task Numbers_sent_as_strings_are_400_type_mismatch_naming_the_field()
    {
        var tenant = await _client.SignupAsync();
        foreach (var n in new[] { "\"5\"", "\"9223372036854775808\"", "\"-9223372036854775809\"" })
            Assert.Equal(["$.max_amount_usd"], (await _client.Post("/api/v1/budgets", $$"""{"name":"b","scope":"org","period":"daily","max_amount_usd":{{n}}}""", tenant.AdminToken))
                .ExpectProblem(400, "type_mismatch").Body.GetProperty("errors").EnumerateObject().Select(p => p.Name));
        (await _client.Post("/api/v1/jobs", """{"kind":"reindex","batch_size":"10"}""", tenant.AdminToken)).ExpectProblem(400, "type_mismatch");
        Assert.Equal(0, (await _client.Get("/api/v1/budgets", tenant.AdminToken)).Expect(200).Body.GetProperty("items").GetArrayLength());
    }

    [Theory]
    [InlineData("to=9999-12-31T23:59:59Z", "to")]
    [InlineData("to=0001-01-01T00:00:00Z", "to")]
    [InlineData("from=0001-01-01T00:00:00Z&to=0001-01-01T00:00:00Z", "from")]
    [InlineData("from=0001-01-01T00:00:00Z", "from")]
    [InlineData("to=2100-01-01T00:00:01Z", "to")]
    public async Task Analytics_times_outside_1970_to_2100_are_422_naming_the_parameter(string query, string parameter)
    {
        var tenant = await _client.SignupAsync();
        foreach (var route in new[] { "summary", "timeseries", "latency", "top-agents" })
        {
            var r = (await _client.Get($"/api/v1/analytics/{route}?{query}", tenant.AdminToken)).ExpectProblem(422, "validation_failed");
            Assert.Equal("must be from 1970-01-01T00:00:00Z to 2100-01-01T00:00:00Z.", r.Body.GetProperty("errors").GetProperty(parameter)[0].GetString());
        }
        (await _client.Get("/api/v1/analytics/summary?from=1970-01-01T00:00:00Z&to=1970-01-02T00:00:00Z", tenant.AdminToken)).Expect(200);
        (await _client.Get("/api/v1/analytics/top-agents?from=2099-12-31T00:00:00Z&to=2100-01-01T00:00:00Z", tenant.AdminToken)).Expect(200);
    }

    /// <summary>The rest of the class, probed at the same edges: each answers something other than a 5xx.</summary>
    [Fact]
    public async Task Other_numbers_and_times_at_the_edges_are_never_a_server_error()
    {
        var tenant = await _client.SignupAsync();
        var t = tenant.AdminToken;
        var replies = new List<(string What, Reply Reply)>();
        foreach (var d in new[] { "9999-12-31T23:59:59.9999999Z", "0001-01-01T00:00:00Z" })
        {
            foreach (var route in new[] { "runs", "audit-logs" })
                replies.Add(($"{route} {d}", await _client.Get($"/api/v1/{route}?from={d}&to={d}", t)));
            replies.Add(($"api key {d}", await _client.Post("/api/v1/api-keys", new { name = "k", scopes = new[] { "read" }, expires_at = d }, t)));
            replies.Add(($"job {d}", await _client.Post("/api/v1/jobs", new { kind = "reindex", scheduled_at = d }, t)));
            replies.Add(($"price {d}", await _client.Post("/api/v1/model-prices",
                new { provider = "openai", model = "m-" + Guid.NewGuid().ToString("N")[..6], input_per_mtok_usd = 1, output_per_mtok_usd = 1, effective_to = d }, t)));
        }
        foreach (var d in new[] { "9999-12-31", "0001-01-01" })
            replies.Add(($"costs {d}", await _client.Get($"/api/v1/costs/summary?from={d}&to={d}", t)));
        foreach (var n in Overflowing.Append("1e400"))
        {
            replies.Add(($"wait {n}", await _client.Get($"/api/v1/approvals/{Guid.NewGuid()}/wait?timeout_s={n}", t)));
            replies.Add(($"top-agents {n}", await _client.Get($"/api/v1/analytics/top-agents?limit={n}", t)));
            replies.Add(($"runs {n}", await _client.Get($"/api/v1/runs?limit={n}&min_cost_usd={n}", t)));
            replies.Add(($"job {n}", await _client.Post("/api/v1/jobs", $$"""{"kind":"reindex","batch_size":{{n}},"priority":{{n}}}""", t)));
            replies.Add(($"price {n}", await _client.Post("/api/v1/model-prices", $$"""{"provider":"openai","model":"x","input_per_mtok_usd":{{n}},"output_per_mtok_usd":1}""", t)));
            replies.Add(($"rolling {n}", await _client.Post("/api/v1/budgets", $$"""{"name":"r","scope":"org","period":"rolling","rolling_days":{{n}},"max_amount_usd":1}""", t)));
        }
        foreach (var cron in new[] { "0 0 30 2 *", "0-59/99999999999 * * * *", "99999999999 * * * *" })
            replies.Add(($"cron {cron}", await _client.Post("/api/v1/jobs/schedules", new { name = "s-" + Guid.NewGuid().ToString("N")[..6], cron, kind = "reindex" }, t)));
        Assert.All(replies, r => Assert.True(r.Reply.Code < 500, $"{r.What}: {r.Reply}"));
        Assert.All(replies.Where(r => r.Reply.Code >= 400), r => Assert.Equal("application/problem+json", r.Reply.Raw.Content.Headers.ContentType?.MediaType));
    }
}
