using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

[Collection(ApiCollection.Name)]
public class MembersTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    [Fact]
    public async Task An_invitation_is_accepted_once_and_the_member_can_log_in()
    {
        var tenant = await _client.SignupAsync();
        var email = Tenants.NewEmail("new");
        var invite = (await _client.Post("/api/v1/org-members", new { email, role = "member", team = "core" }, tenant.AdminToken)).Expect(201);
        Assert.Equal("invited", invite.Body.GetProperty("member").GetProperty("status").GetString());
        var token = invite.Str("invite_token");
        Assert.StartsWith("aoi_", token);

        (await _client.Post("/api/v1/auth/accept-invite", new { token, password = "short" })).ExpectProblem(422, "validation_failed");
        (await _client.Post("/api/v1/auth/accept-invite", new { token, password = Tenants.Password, name = "Nia" })).Expect(200);
        (await _client.Post("/api/v1/auth/accept-invite", new { token, password = Tenants.Password })).ExpectProblem(404, "invitation_not_found");

        var login = (await _client.Post("/api/v1/auth/login", new { email, password = Tenants.Password })).Expect(200);
        Assert.Equal("member", login.Str("role"));
        Assert.Equal(tenant.OrgId, login.Body.GetProperty("organization").GetProperty("id").GetGuid());
        (await _client.Post("/api/v1/org-members", new { email, role = "viewer" }, tenant.AdminToken)).ExpectProblem(409, "member_exists");
    }

    [Fact]
    public async Task Someone_with_an_account_joins_a_second_org_with_their_password_and_logs_in_to_either()
    {
        var first = await _client.SignupAsync("First");
        var second = await _client.SignupAsync("Second");
        var invite = (await _client.Post("/api/v1/org-members", new { email = first.AdminEmail, role = "viewer" }, second.AdminToken)).Expect(201);
        (await _client.Post("/api/v1/auth/accept-invite", new { token = invite.Str("invite_token"), password = "not their password" })).ExpectProblem(401, "invalid_credentials");
        var joined = (await _client.Post("/api/v1/auth/accept-invite", new { token = invite.Str("invite_token"), password = first.AdminPassword })).Expect(200);
        Assert.Equal("viewer", joined.Str("role"));

        var intoSecond = (await _client.Post("/api/v1/auth/login", new { email = first.AdminEmail, password = first.AdminPassword, org_id = second.OrgId })).Expect(200);
        Assert.Equal("Second", intoSecond.Body.GetProperty("organization").GetProperty("name").GetString());
        var byDefault = (await _client.Post("/api/v1/auth/login", new { email = first.AdminEmail, password = first.AdminPassword })).Expect(200);
        Assert.Equal("First", byDefault.Body.GetProperty("organization").GetProperty("name").GetString());
        (await _client.Post("/api/v1/auth/login", new { email = first.AdminEmail, password = first.AdminPassword, org_id = Guid.NewGuid() })).ExpectProblem(403, "no_membership");
    }

    [Fact]
    public async Task An_expired_invitation_cannot_be_accepted()
    {
        var tenant = await _client.SignupAsync();
        var invite = (await _client.Post("/api/v1/org-members", new { email = Tenants.NewEmail(), role = "member" }, tenant.AdminToken)).Expect(201);
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE organization_members SET invite_expires_at = now() - interval '1 minute' WHERE id = $1",
            invite.Body.GetProperty("member").GetProperty("id").GetGuid());
        (await _client.Post("/api/v1/auth/accept-invite", new { token = invite.Str("invite_token"), password = Tenants.Password })).ExpectProblem(410, "invitation_expired");
    }

    [Fact]
    public async Task Roles_change_and_removal_ends_access_immediately()
    {
        var tenant = await _client.SignupAsync();
        var bob = await _client.AddMemberAsync(tenant, "viewer");
        (await _client.Patch($"/api/v1/org-members/{bob.MemberId}", new { role = "admin" }, tenant.AdminToken)).Expect(200);
        var asAdmin = (await _client.Patch("/api/v1/orgs/profile", new { name = "Renamed by Bob" }, bob.Token)).Expect(200);
        Assert.Equal("Renamed by Bob", asAdmin.Str("name"));

        (await _client.Patch($"/api/v1/org-members/{bob.MemberId}", new { role = "viewer", team = "ops" }, tenant.AdminToken)).Expect(200);
        (await _client.Patch("/api/v1/orgs/profile", new { name = "Again" }, bob.Token)).ExpectProblem(403, "forbidden");
        var cleared = (await _client.Patch($"/api/v1/org-members/{bob.MemberId}", new { team = (string?)null }, tenant.AdminToken)).Expect(200);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, cleared.Body.GetProperty("team").ValueKind);
        Assert.Equal("viewer", cleared.Str("role"));

        (await _client.Delete($"/api/v1/org-members/{bob.MemberId}", tenant.AdminToken)).Expect(204);
        (await _client.Get("/api/v1/orgs/profile", bob.Token)).ExpectProblem(401, "session_revoked");
        (await _client.Post("/api/v1/auth/refresh-token", new { refresh_token = bob.Refresh })).ExpectProblem(401, "session_revoked");
        (await _client.Delete($"/api/v1/org-members/{bob.MemberId}", tenant.AdminToken)).ExpectProblem(404, "not_found");
    }

    [Fact]
    public async Task The_last_admin_stays()
    {
        var tenant = await _client.SignupAsync();
        var members = (await _client.Get("/api/v1/org-members", tenant.AdminToken)).Expect(200);
        var adminId = members.Body.GetProperty("items")[0].GetProperty("id").GetGuid();
        (await _client.Patch($"/api/v1/org-members/{adminId}", new { role = "member" }, tenant.AdminToken)).ExpectProblem(409, "last_admin");
        (await _client.Delete($"/api/v1/org-members/{adminId}", tenant.AdminToken)).ExpectProblem(409, "last_admin");

        var second = await _client.AddMemberAsync(tenant, "admin");
        (await _client.Patch($"/api/v1/org-members/{adminId}", new { role = "member" }, tenant.AdminToken)).Expect(200);
        (await _client.Patch($"/api/v1/org-members/{second.MemberId}", new { role = "member" }, second.Token)).ExpectProblem(409, "last_admin");
    }

    [Fact]
    public async Task Team_leads_manage_only_their_own_team()
    {
        var tenant = await _client.SignupAsync();
        var lead = await _client.AddMemberAsync(tenant, "team_lead", "core");
        var mine = await _client.AddMemberAsync(tenant, "member", "core", lead.Token);
        var theirs = await _client.AddMemberAsync(tenant, "member", "ops");

        (await _client.Post("/api/v1/org-members", new { email = Tenants.NewEmail(), role = "member", team = "ops" }, lead.Token)).ExpectProblem(403, "forbidden");
        (await _client.Post("/api/v1/org-members", new { email = Tenants.NewEmail(), role = "admin", team = "core" }, lead.Token)).ExpectProblem(403, "forbidden");
        (await _client.Patch($"/api/v1/org-members/{mine.MemberId}", new { role = "viewer" }, lead.Token)).Expect(200);
        (await _client.Patch($"/api/v1/org-members/{mine.MemberId}", new { role = "team_lead" }, lead.Token)).ExpectProblem(403, "forbidden");
        (await _client.Patch($"/api/v1/org-members/{theirs.MemberId}", new { role = "viewer" }, lead.Token)).ExpectProblem(403, "forbidden");
        (await _client.Delete($"/api/v1/org-members/{theirs.MemberId}", lead.Token)).ExpectProblem(403, "forbidden");
        (await _client.Delete($"/api/v1/org-members/{mine.MemberId}", lead.Token)).Expect(204);
    }

    [Fact]
    public async Task Lists_page_with_a_cursor()
    {
        var tenant = await _client.SignupAsync();
        for (var i = 0; i < 4; i++)
            (await _client.Post("/api/v1/org-members", new { email = Tenants.NewEmail(), role = "viewer" }, tenant.AdminToken)).Expect(201);
        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = (await _client.Get($"/api/v1/org-members?limit=2{(cursor is null ? "" : "&cursor=" + cursor)}", tenant.AdminToken)).Expect(200);
            seen.AddRange(page.Body.GetProperty("items").EnumerateArray().Select(m => m.GetProperty("id").GetGuid()));
            cursor = page.Body.GetProperty("next_cursor").GetString();
        } while (cursor is not null);
        Assert.Equal(5, seen.Distinct().Count());
        (await _client.Get("/api/v1/org-members?limit=0", tenant.AdminToken)).ExpectProblem(422, "validation_failed");
    }
}
