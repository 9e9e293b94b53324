using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

/// <summary>
/// The one DELETE rule (docs/api.md "DELETE"): a resource that still exists in its deleted state (an archived agent,
/// a revoked key) answers 204 again, changing and auditing nothing; one that no longer exists answers 404, like one
/// that never did.
/// </summary>
[Collection(ApiCollection.Name)]
public class DeleteRuleTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private async Task<int> AuditRowsAsync(Tenant tenant, Guid id) =>
        (await _client.Get($"/api/v1/audit-logs?entity_id={id}&limit=200", tenant.AdminToken)).Expect(200).Body.GetProperty("items").GetArrayLength();

    [Fact]
    public async Task Soft_deleted_resources_answer_204_again_and_audit_nothing_new()
    {
        var tenant = await _client.SignupAsync();
        var agent = (await _client.Post("/api/v1/agents", new { name = "bot" }, tenant.AdminToken)).Expect(201).Id();
        var key = (await _client.Post("/api/v1/api-keys", new { name = "k", scopes = new[] { "read" } }, tenant.AdminToken)).Expect(201)
            .Body.GetProperty("api_key").GetProperty("id").GetGuid();
        foreach (var path in new[] { $"/api/v1/agents/{agent}", $"/api/v1/api-keys/{key}" })
        {
            (await _client.Delete(path, tenant.AdminToken)).Expect(204);
            var id = Guid.Parse(path[(path.LastIndexOf('/') + 1)..]);
            var audited = await AuditRowsAsync(tenant, id);
            (await _client.Delete(path, tenant.AdminToken)).Expect(204);
            Assert.Equal(audited, await AuditRowsAsync(tenant, id));
        }
        Assert.Equal("archived", (await _client.Get($"/api/v1/agents/{agent}", tenant.AdminToken)).Expect(200).Str("status"));
        Assert.Contains((await _client.Get("/api/v1/api-keys", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray(),
            k => k.GetProperty("id").GetGuid() == key && k.GetProperty("status").GetString() == "revoked");
    }

    [Fact]
    public async Task Hard_deleted_resources_answer_404_the_second_time()
    {
        var tenant = await _client.SignupAsync();
        var t = tenant.AdminToken;
        var paths = new[]
        {
            $"/api/v1/org-members/{(await _client.Post("/api/v1/org-members", new { email = Tenants.NewEmail(), role = "member" }, t)).Expect(201).Body.GetProperty("member").GetProperty("id").GetGuid()}",
            $"/api/v1/budgets/{(await _client.Post("/api/v1/budgets", new { name = "b", scope = "org", period = "daily", max_amount_usd = 5 }, t)).Expect(201).Id()}",
            $"/api/v1/model-prices/{(await _client.Post("/api/v1/model-prices", new { provider = "openai", model = "mine", input_per_mtok_usd = 1, output_per_mtok_usd = 1 }, t)).Expect(201).Id()}",
            $"/api/v1/jobs/schedules/{(await _client.Post("/api/v1/jobs/schedules", new { name = "s", cron = "0 3 * * *", kind = "reindex" }, t)).Expect(201).Id()}",
            $"/api/v1/webhooks/{(await _client.Post("/api/v1/webhooks", new { name = "w", url = "http://127.0.0.1:9/hook", kinds = Array.Empty<string>() }, t)).Expect(201).Body.GetProperty("webhook").GetProperty("id").GetGuid()}",
            $"/api/v1/policies/{(await _client.Post("/api/v1/policies", new { name = "p", action = "block", conditions = new { field = "action.type", @operator = "equals", value = "x" } }, t)).Expect(201).Id()}",
        };
        foreach (var path in paths)
        {
            (await _client.Delete(path, t)).Expect(204);
            var id = Guid.Parse(path[(path.LastIndexOf('/') + 1)..]);
            var audited = await AuditRowsAsync(tenant, id);
            (await _client.Delete(path, t)).ExpectProblem(404, "not_found");
            Assert.Equal(audited, await AuditRowsAsync(tenant, id));
        }
    }
}
