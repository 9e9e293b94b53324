using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

[Collection(ApiCollection.Name)]
public class PoliciesTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private static readonly object Discounts = new
    {
        name = "Approve large discounts", action = "require_approval", priority = 10, approval_required_from = new[] { "admin" },
        conditions = new
        {
            all = new object[]
            {
                new { field = "action.type", @operator = "equals", value = "apply_discount" },
                new { field = "action.discount_percent", @operator = "greater_than", value = 10 },
            },
        },
    };

    [Fact]
    public async Task A_policy_is_versioned_audited_and_dry_run_with_evidence()
    {
        var tenant = await _client.SignupAsync();
        var created = (await _client.Post("/api/v1/policies", Discounts, tenant.AdminToken)).Expect(201);
        var id = created.Id();
        Assert.Equal(1, created.Body.GetProperty("version").GetInt32());
        Assert.Equal(60, created.Body.GetProperty("timeout_minutes").GetInt32());
        (await _client.Post("/api/v1/policies", Discounts, tenant.AdminToken)).ExpectProblem(409, "policy_exists");

        var changed = (await _client.Patch($"/api/v1/policies/{id}", new { priority = 5, timeout_minutes = 15 }, tenant.AdminToken)).Expect(200);
        Assert.Equal((2, 5, 15), (changed.Body.GetProperty("version").GetInt32(), changed.Body.GetProperty("priority").GetInt32(), changed.Body.GetProperty("timeout_minutes").GetInt32()));
        var blocked = (await _client.Patch($"/api/v1/policies/{id}", new { action = "block" }, tenant.AdminToken)).Expect(200);
        Assert.Empty(blocked.Body.GetProperty("approval_required_from").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, blocked.Body.GetProperty("timeout_minutes").ValueKind);

        var detail = (await _client.Get($"/api/v1/policies/{id}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal([3, 2, 1], detail.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal("require_approval", detail.GetProperty("versions")[2].GetProperty("snapshot").GetProperty("action").GetString());

        var hit = (await _client.Post($"/api/v1/policies/{id}/evaluate", new { context = new { action = new { type = "apply_discount", discount_percent = 25 } } }, tenant.AdminToken)).Expect(200).Body;
        Assert.True(hit.GetProperty("matches").GetBoolean());
        Assert.Equal("block", hit.GetProperty("decision").GetString());
        Assert.Equal(["$.conditions.all[0]", "$.conditions.all[1]"], hit.GetProperty("evidence").EnumerateArray().Select(e => e.GetProperty("path").GetString()));
        Assert.Equal(25, hit.GetProperty("evidence")[1].GetProperty("actual").GetInt32());
        Assert.Equal(["equals", "greater_than"], hit.GetProperty("evidence").EnumerateArray().Select(e => e.GetProperty("operator").GetString()));
        var miss = (await _client.Post($"/api/v1/policies/{id}/evaluate", new { context = new { action = new { type = "apply_discount", discount_percent = 5 } } }, tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(("allow", false), (miss.GetProperty("decision").GetString(), miss.GetProperty("matches").GetBoolean()));

        (await _client.Delete($"/api/v1/policies/{id}", tenant.AdminToken)).Expect(204);
        (await _client.Get($"/api/v1/policies/{id}", tenant.AdminToken)).ExpectProblem(404, "not_found");
        Assert.Equal(3L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM policy_versions WHERE policy_id = $1", id));
        var actions = (await _client.Get("/api/v1/audit-logs?action=policy.*", tenant.AdminToken)).Expect(200).Body.GetProperty("items")
            .EnumerateArray().Select(r => r.GetProperty("action").GetString());
        Assert.Equal(["policy.deleted", "policy.updated", "policy.updated", "policy.created"], actions);
    }

    [Fact]
    public async Task Invalid_policies_name_the_exact_path_of_each_error()
    {
        var tenant = await _client.SignupAsync();
        var bad = (await _client.Post("/api/v1/policies", new
        {
            name = "bad", action = "require_approval", approval_required_from = new[] { "boss" },
            conditions = new { any = new object[] { new { field = "action.x", @operator = "bigger", value = 1 }, new { field = "secrets.y", @operator = "exists" } } },
        }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        Assert.Equal(["$.approval_required_from[0]", "$.conditions.any[0].operator", "$.conditions.any[1].field"],
            bad.Body.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());
        var templates = (await _client.Get("/api/v1/policies/templates", tenant.AdminToken)).Expect(200).Body.EnumerateArray().ToList();
        var template = templates.First(t => t.GetProperty("key").GetString() == "block_external_email");
        (await _client.Post("/api/v1/policies", new { name = "from template", action = "block", conditions = template.GetProperty("conditions") }, tenant.AdminToken)).Expect(201);
    }

    [Fact]
    public async Task Policies_stay_in_their_organization_and_only_admins_write_them()
    {
        var a = await _client.SignupAsync();
        var b = await _client.SignupAsync();
        var member = await _client.AddMemberAsync(a, "team_lead", "core");
        var id = (await _client.Post("/api/v1/policies", Discounts, a.AdminToken)).Expect(201).Id();
        (await _client.Post("/api/v1/policies", Discounts, member.Token)).ExpectProblem(403, "forbidden");
        (await _client.Get($"/api/v1/policies/{id}", member.Token)).Expect(200);
        (await _client.Get($"/api/v1/policies/{id}", b.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Patch($"/api/v1/policies/{id}", new { priority = 1 }, b.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Delete($"/api/v1/policies/{id}", b.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Post($"/api/v1/policies/{id}/evaluate", new { context = new { } }, b.AdminToken)).ExpectProblem(404, "not_found");
        Assert.Empty((await _client.Get("/api/v1/policies", b.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray());
    }
}
