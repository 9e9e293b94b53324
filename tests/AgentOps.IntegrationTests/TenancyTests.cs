using AgentOps.IntegrationTests.Infrastructure;
using Npgsql;

namespace AgentOps.IntegrationTests;

/// <summary>Organizations never see each other: through the API (404, never 403) and in the database itself (RLS).</summary>
[Collection(ApiCollection.Name)]
public class TenancyTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private static string[] Strings(Reply reply, string name) => [.. reply.Body.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];

    [Fact]
    public async Task Each_caller_reads_what_it_may_do_and_only_its_own()
    {
        var a = await _client.SignupAsync("Org A");
        var b = await _client.SignupAsync("Org B");
        var lead = await _client.AddMemberAsync(a, "team_lead", "core");
        var (_, readKey) = await _client.CreateKeyAsync(a.AdminToken, "read");

        var admin = (await _client.Get("/api/v1/me/permissions", a.AdminToken)).Expect(200);
        Assert.Equal(a.AdminUserId, admin.Id("user_id"));
        Assert.Equal("admin", admin.Str("role"));
        Assert.Contains("org_write", Strings(admin, "permissions"));
        Assert.Equal(["admin", "team_lead", "member", "viewer"], Strings(admin, "invitable_roles"));

        var asLead = (await _client.Get("/api/v1/me/permissions", lead.Token)).Expect(200);
        Assert.Equal(lead.UserId, asLead.Id("user_id"));
        Assert.Equal(("team_lead", "core"), (asLead.Str("role"), asLead.Str("team")));
        Assert.Contains("controls", Strings(asLead, "permissions"));
        Assert.DoesNotContain("org_write", Strings(asLead, "permissions"));
        Assert.Equal(["member", "viewer"], Strings(asLead, "invitable_roles"));
        Assert.Equal(["ingest", "read", "write"], Strings(asLead, "grantable_scopes"));

        var key = (await _client.Get("/api/v1/me/permissions", readKey)).Expect(200);
        Assert.Equal("api_key", key.Str("type"));
        Assert.Equal(["read"], Strings(key, "scopes"));
        Assert.DoesNotContain("agents_write", Strings(key, "permissions"));

        // The answer is about the caller alone: another organization's admin sees itself, nothing of Org A.
        var other = (await _client.Get("/api/v1/me/permissions", b.AdminToken)).Expect(200);
        Assert.Equal(b.AdminUserId, other.Id("user_id"));
        Assert.DoesNotContain(a.AdminUserId.ToString(), other.Body.ToString(), StringComparison.Ordinal);
        (await _client.Get("/api/v1/me/permissions")).ExpectProblem(401, "missing_credentials");
    }

    [Fact]
    public async Task Another_org_can_neither_read_nor_change_profile_members_or_keys()
    {
        var a = await _client.SignupAsync("Org A");
        var b = await _client.SignupAsync("Org B");
        var aMember = await _client.AddMemberAsync(a, "member");
        var (aKeyId, aKey) = await _client.CreateKeyAsync(a.AdminToken, "read");
        var (_, bAdminKey) = await _client.CreateKeyAsync(b.AdminToken, "admin");

        foreach (var bearer in new[] { b.AdminToken, bAdminKey })
        {
            Assert.Equal("Org B", (await _client.Get("/api/v1/orgs/profile", bearer)).Expect(200).Str("name"));
            (await _client.Patch($"/api/v1/org-members/{aMember.MemberId}", new { role = "admin" }, bearer)).ExpectProblem(404, "not_found");
            (await _client.Delete($"/api/v1/org-members/{aMember.MemberId}", bearer)).ExpectProblem(404, "not_found");
            (await _client.Delete($"/api/v1/api-keys/{aKeyId}", bearer)).ExpectProblem(404, "not_found");
            var members = (await _client.Get("/api/v1/org-members", bearer)).Expect(200).Body.ToString();
            Assert.DoesNotContain(aMember.Email, members);
            Assert.DoesNotContain(a.AdminEmail, members);
            Assert.DoesNotContain(aKeyId.ToString(), (await _client.Get("/api/v1/api-keys", bearer)).Expect(200).Body.ToString());
        }
        (await _client.Patch("/api/v1/orgs/profile", new { name = "Hijacked" }, b.AdminToken)).Expect(200);

        // A is untouched.
        Assert.Equal("Org A", (await _client.Get("/api/v1/orgs/profile", a.AdminToken)).Str("name"));
        (await _client.Get("/api/v1/orgs/profile", aKey)).Expect(200);
        (await _client.Get("/api/v1/orgs/profile", aMember.Token)).Expect(200);
        var role = (await _client.Get("/api/v1/org-members", a.AdminToken)).Body.GetProperty("items").EnumerateArray()
            .Single(m => m.GetProperty("id").GetGuid() == aMember.MemberId).GetProperty("role").GetString();
        Assert.Equal("member", role);
    }

    private static readonly string[] TenantTables = ["organizations", "organization_members", "users", "api_keys", "refresh_sessions", "audit_logs"];

    [Fact]
    public async Task Without_an_organization_set_the_application_role_sees_no_rows()
    {
        var a = await _client.SignupAsync();
        await _client.CreateKeyAsync(a.AdminToken, "read");
        await using var app = await TestDatabase.OpenAsync(TestDatabase.AppUrl);
        foreach (var table in TenantTables)
        {
            Assert.True(await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, $"SELECT count(*) FROM {table}") > 0, $"{table} has rows");
            await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM {table}", app);
            Assert.Equal(0L, (long)(await cmd.ExecuteScalarAsync())!);
        }
    }

    [Fact]
    public async Task With_an_organization_set_the_application_role_sees_only_that_one()
    {
        var a = await _client.SignupAsync();
        var b = await _client.SignupAsync();
        await _client.CreateKeyAsync(b.AdminToken, "read");
        await using var app = await TestDatabase.OpenAsync(TestDatabase.AppUrl);
        await using var tx = await app.BeginTransactionAsync();
        await using (var set = new NpgsqlCommand("SELECT set_config('app.org_id', $1, true)", app, tx) { Parameters = { new() { Value = a.OrgId.ToString() } } })
            await set.ExecuteNonQueryAsync();
        foreach (var table in TenantTables.Where(t => t is not ("users" or "organizations")))
        {
            await using var cmd = new NpgsqlCommand($"SELECT count(*) FILTER (WHERE org_id <> $1), count(*) FROM {table}", app, tx) { Parameters = { new() { Value = a.OrgId } } };
            await using var reader = await cmd.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.Equal(0L, reader.GetInt64(0));
        }
        await using (var orgs = new NpgsqlCommand("SELECT array_agg(id) FROM organizations", app, tx))
            Assert.Equal([a.OrgId], (Guid[])(await orgs.ExecuteScalarAsync())!);
        await using (var users = new NpgsqlCommand("SELECT array_agg(email) FROM users", app, tx))
            Assert.Equal([a.AdminEmail], (string[])(await users.ExecuteScalarAsync())!);

        // Writing a row into another organization is refused by the policy, not only by application code.
        await using var insert = new NpgsqlCommand("INSERT INTO api_keys (id, org_id, name, prefix, key_hash, scopes, created_by) VALUES (gen_random_uuid(), $1, 'x', 'aok_zzzzzzzz', decode(repeat('00', 32), 'hex'), ARRAY['read'], gen_random_uuid())", app, tx)
        { Parameters = { new() { Value = b.OrgId } } };
        var e = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
    }

    [Fact]
    public async Task The_audit_log_is_append_only_for_the_application()
    {
        var a = await _client.SignupAsync();
        await using var app = await TestDatabase.OpenAsync(TestDatabase.AppUrl);
        foreach (var sql in new[] { "UPDATE audit_logs SET action = 'x'", "DELETE FROM audit_logs", "TRUNCATE audit_logs" })
        {
            await using var cmd = new NpgsqlCommand(sql, app);
            var e = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
        }
        Assert.True(await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM audit_logs WHERE org_id = $1", a.OrgId) >= 2);
    }
}
