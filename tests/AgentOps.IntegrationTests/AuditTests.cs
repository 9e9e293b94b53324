using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
using Npgsql;

namespace AgentOps.IntegrationTests;

[Collection(ApiCollection.Name)]
public class AuditTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private sealed record Row(string ActorType, Guid? ActorId, string Action, string EntityType, string? EntityId, string? Before, string? After, string? UserAgent);

    private static async Task<List<Row>> RowsAsync(Guid orgId)
    {
        await using var db = await TestDatabase.OpenAsync(TestDatabase.OwnerUrl);
        await using var cmd = new NpgsqlCommand("SELECT actor_type, actor_id, action, entity_type, entity_id, before::text, after::text, user_agent FROM audit_logs WHERE org_id = $1 ORDER BY seq", db)
        { Parameters = { new() { Value = orgId } } };
        await using var r = await cmd.ExecuteReaderAsync();
        var rows = new List<Row>();
        while (await r.ReadAsync())
            rows.Add(new(r.GetString(0), r.IsDBNull(1) ? null : r.GetGuid(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7)));
        return rows;
    }

    [Fact]
    public async Task Every_state_change_is_recorded_with_actor_before_and_after()
    {
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("audit-test/1.0");
        var tenant = await _client.SignupAsync("Before");
        (await _client.Patch("/api/v1/orgs/profile", new { name = "After" }, tenant.AdminToken)).Expect(200);
        var member = await _client.AddMemberAsync(tenant, "viewer");
        (await _client.Patch($"/api/v1/org-members/{member.MemberId}", new { role = "member" }, tenant.AdminToken)).Expect(200);
        var (keyId, key) = await _client.CreateKeyAsync(tenant.AdminToken, "read");
        (await _client.Delete($"/api/v1/api-keys/{keyId}", tenant.AdminToken)).Expect(204);
        (await _client.Delete($"/api/v1/org-members/{member.MemberId}", tenant.AdminToken)).Expect(204);
        (await _client.Post("/api/v1/auth/logout", null, tenant.AdminToken)).Expect(204);

        var rows = await RowsAsync(tenant.OrgId);
        Assert.Equal(
            ["org.created", "member.joined", "org.updated", "member.invited", "member.joined", "member.updated", "api_key.created", "api_key.revoked", "member.removed", "auth.logout"],
            rows.Select(r => r.Action));

        var rename = rows.Single(r => r.Action == "org.updated");
        Assert.Equal(("user", tenant.AdminUserId), (rename.ActorType, rename.ActorId));
        Assert.Equal("Before", JsonDocument.Parse(rename.Before!).RootElement.GetProperty("name").GetString());
        Assert.Equal("After", JsonDocument.Parse(rename.After!).RootElement.GetProperty("name").GetString());
        Assert.Equal("audit-test/1.0", rename.UserAgent);

        var roleChange = rows.Single(r => r.Action == "member.updated");
        Assert.Equal("viewer", JsonDocument.Parse(roleChange.Before!).RootElement.GetProperty("role").GetString());
        Assert.Equal("member", JsonDocument.Parse(roleChange.After!).RootElement.GetProperty("role").GetString());
        Assert.Equal(member.UserId, rows.Where(r => r.Action == "member.joined").Last().ActorId);
        Assert.Null(rows.Single(r => r.Action == "member.removed").After);

        // Snapshots never hold a secret.
        Assert.All(rows, r => Assert.DoesNotContain(key[13..], (r.Before ?? "") + (r.After ?? "")));
        Assert.All(rows, r => Assert.DoesNotContain("hash", (r.Before ?? "") + (r.After ?? ""), StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_failed_change_leaves_neither_the_change_nor_an_audit_row()
    {
        var tenant = await _client.SignupAsync();
        var before = (await RowsAsync(tenant.OrgId)).Count;
        (await _client.Patch("/api/v1/orgs/profile", new { name = "ok", timezone = "Mars/Olympus" }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        // A PATCH that changes nothing is not a state change.
        (await _client.Patch("/api/v1/orgs/profile", new { }, tenant.AdminToken)).Expect(200);
        var members = (await _client.Get("/api/v1/org-members", tenant.AdminToken)).Body.GetProperty("items")[0].GetProperty("id").GetGuid();
        (await _client.Delete($"/api/v1/org-members/{members}", tenant.AdminToken)).ExpectProblem(409, "last_admin");
        Assert.Equal(before, (await RowsAsync(tenant.OrgId)).Count);
        Assert.NotEqual("ok", (await _client.Get("/api/v1/orgs/profile", tenant.AdminToken)).Str("name"));
    }

    [Fact]
    public async Task The_client_address_comes_from_forwarded_headers_only_when_configured()
    {
        Environment.SetEnvironmentVariable("AGENTOPS_TRUST_FORWARDED_HEADERS", "true");
        try
        {
            await using var behindProxy = new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>();
            var proxied = behindProxy.CreateClient();
            proxied.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7");
            var tenant = await proxied.SignupAsync();
            Assert.Equal("203.0.113.7", await TestDatabase.ScalarAsync<string>(TestDatabase.OwnerUrl, "SELECT ip FROM audit_logs WHERE org_id = $1 LIMIT 1", tenant.OrgId));
        }
        finally
        {
            Environment.SetEnvironmentVariable("AGENTOPS_TRUST_FORWARDED_HEADERS", null);
        }
        _client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.8");
        var direct = await _client.SignupAsync();
        Assert.NotEqual("203.0.113.8", await TestDatabase.ScalarAsync<string>(TestDatabase.OwnerUrl, "SELECT ip FROM audit_logs WHERE org_id = $1 LIMIT 1", direct.OrgId));
    }
}
