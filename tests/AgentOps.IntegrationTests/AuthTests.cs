using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

[Collection(ApiCollection.Name)]
public class AuthTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    [Fact]
    public async Task Signup_creates_an_org_its_admin_and_a_working_session()
    {
        var tenant = await _client.SignupAsync("Acme Robotics");
        var profile = (await _client.Get("/api/v1/orgs/profile", tenant.AdminToken)).Expect(200);
        Assert.Equal("Acme Robotics", profile.Str("name"));
        Assert.Equal(tenant.OrgId, profile.Id());
        var members = (await _client.Get("/api/v1/org-members", tenant.AdminToken)).Expect(200);
        var me = Assert.Single(members.Body.GetProperty("items").EnumerateArray());
        Assert.Equal("admin", me.GetProperty("role").GetString());
        Assert.Equal("active", me.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Signup_validates_every_field_and_writes_nothing_when_invalid()
    {
        var email = Tenants.NewEmail();
        var r = (await _client.Post("/api/v1/auth/signup", new { org_name = "", email = "nope", password = "short" })).ExpectProblem(422, "validation_failed");
        Assert.Equal(["$.email", "$.org_name", "$.password"], r.Body.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());
        (await _client.Post("/api/v1/auth/signup", new { org_name = "X", email, password = email })).ExpectProblem(422, "validation_failed");
        Assert.Equal(0L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM users WHERE email = $1", email));
    }

    [Fact]
    public async Task An_email_signs_up_once()
    {
        var tenant = await _client.SignupAsync();
        (await _client.Post("/api/v1/auth/signup", new { org_name = "Again", email = tenant.AdminEmail.ToUpperInvariant(), password = Tenants.Password }))
            .ExpectProblem(409, "email_taken");
    }

    [Fact]
    public async Task Login_answers_the_same_for_a_wrong_password_and_an_unknown_email()
    {
        var tenant = await _client.SignupAsync();
        var ok = (await _client.Post("/api/v1/auth/login", new { email = tenant.AdminEmail, password = tenant.AdminPassword })).Expect(200);
        Assert.Equal("admin", ok.Str("role"));
        Assert.Equal("Bearer", ok.Str("token_type"));
        var wrong = (await _client.Post("/api/v1/auth/login", new { email = tenant.AdminEmail, password = "not the password" })).ExpectProblem(401, "invalid_credentials");
        var unknown = (await _client.Post("/api/v1/auth/login", new { email = Tenants.NewEmail(), password = "not the password" })).ExpectProblem(401, "invalid_credentials");
        Assert.Equal(wrong.Body.GetProperty("detail").GetString(), unknown.Body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Login_is_rate_limited_per_account_with_retry_after()
    {
        var tenant = await _client.SignupAsync();
        Reply last = null!;
        for (var i = 0; i < 11; i++)
            last = await _client.Post("/api/v1/auth/login", new { email = tenant.AdminEmail, password = "wrong password " + i });
        last.ExpectProblem(429, "rate_limited");
        Assert.True(last.Raw.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is set");
        // Even the right password waits: the limit is on attempts, so guessing cannot continue in parallel.
        (await _client.Post("/api/v1/auth/login", new { email = tenant.AdminEmail, password = tenant.AdminPassword })).ExpectProblem(429, "rate_limited");
    }

    [Fact]
    public async Task Refresh_rotates_and_a_reused_token_revokes_the_whole_family()
    {
        var tenant = await _client.SignupAsync();
        var first = (await _client.Post("/api/v1/auth/refresh-token", new { refresh_token = tenant.AdminRefresh })).Expect(200);
        var second = (await _client.Post("/api/v1/auth/refresh-token", new { refresh_token = first.Str("refresh_token") })).Expect(200);
        (await _client.Get("/api/v1/orgs/profile", second.Str("access_token"))).Expect(200);

        // The first refresh token is presented again: someone has a copy.
        (await _client.Post("/api/v1/auth/refresh-token", new { refresh_token = tenant.AdminRefresh })).ExpectProblem(401, "refresh_token_reused");
        (await _client.Post("/api/v1/auth/refresh-token", new { refresh_token = second.Str("refresh_token") })).ExpectProblem(401, "session_revoked");
        (await _client.Get("/api/v1/orgs/profile", second.Str("access_token"))).ExpectProblem(401, "session_revoked");
        (await _client.Get("/api/v1/orgs/profile", tenant.AdminToken)).ExpectProblem(401, "session_revoked");

        // Other logins of the same person are other families and keep working.
        var other = (await _client.Post("/api/v1/auth/login", new { email = tenant.AdminEmail, password = tenant.AdminPassword })).Expect(200);
        (await _client.Get("/api/v1/orgs/profile", other.Str("access_token"))).Expect(200);
        Assert.Equal(1L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl,
            "SELECT count(*) FROM audit_logs WHERE org_id = $1 AND action = 'auth.refresh_token_reused'", tenant.OrgId));
    }

    [Fact]
    public async Task Concurrent_use_of_one_refresh_token_yields_at_most_one_new_pair()
    {
        var tenant = await _client.SignupAsync();
        var replies = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => _client.Post("/api/v1/auth/refresh-token", new { refresh_token = tenant.AdminRefresh })));
        Assert.True(replies.Count(r => r.Code == 200) <= 1, string.Join("\n", replies.Select(r => r.ToString())));
        Assert.All(replies.Where(r => r.Code != 200), r => Assert.Equal(401, r.Code));
    }

    [Fact]
    public async Task Garbage_refresh_tokens_are_refused()
    {
        (await _client.Post("/api/v1/auth/refresh-token", new { refresh_token = "aor_nope" })).ExpectProblem(401, "invalid_refresh_token");
        (await _client.Post("/api/v1/auth/refresh-token", new { })).ExpectProblem(422, "validation_failed");
    }

    [Fact]
    public async Task Logout_ends_the_access_and_refresh_tokens_at_once()
    {
        var tenant = await _client.SignupAsync();
        (await _client.Post("/api/v1/auth/logout", null, tenant.AdminToken)).Expect(204);
        (await _client.Get("/api/v1/orgs/profile", tenant.AdminToken)).ExpectProblem(401, "session_revoked");
        (await _client.Post("/api/v1/auth/refresh-token", new { refresh_token = tenant.AdminRefresh })).ExpectProblem(401, "session_revoked");
    }

    [Fact]
    public async Task Bearer_credentials_are_required_and_checked()
    {
        var missing = (await _client.Get("/api/v1/orgs/profile")).ExpectProblem(401, "missing_credentials");
        Assert.Equal("Bearer", missing.Raw.Headers.WwwAuthenticate.ToString());
        (await _client.Get("/api/v1/orgs/profile", "not-a-jwt")).ExpectProblem(401, "invalid_token");
        (await _client.Get("/api/v1/orgs/profile", "aok_short")).ExpectProblem(401, "invalid_api_key");
        using var basic = new HttpRequestMessage(HttpMethod.Get, "/api/v1/orgs/profile");
        basic.Headers.Authorization = new("Basic", "dXNlcjpwYXNz");
        Assert.Equal(401, (int)(await _client.SendAsync(basic)).StatusCode);
    }

    [Fact]
    public async Task An_expired_access_token_says_so()
    {
        var tenant = await _client.SignupAsync();
        var options = new AgentOps.Platform.AgentOpsOptions
        {
            DatabaseConnectionString = "unused",
            JwtSigningKey = System.Text.Encoding.UTF8.GetBytes(ApiFixture.JwtSecret),
            AccessTokenLifetime = TimeSpan.FromMinutes(1),
        };
        var past = new FixedTime(DateTimeOffset.UtcNow.AddHours(-1));
        var (token, _) = new AgentOps.Platform.Auth.AccessTokens(options, past).Issue(tenant.AdminUserId, tenant.OrgId, Guid.NewGuid());
        (await _client.Get("/api/v1/orgs/profile", token)).ExpectProblem(401, "token_expired");
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
