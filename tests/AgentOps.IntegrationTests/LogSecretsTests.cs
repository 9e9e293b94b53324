using AgentOps.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.IntegrationTests;

/// <summary>Passwords, API keys and tokens never reach the logs, whatever the log level.</summary>
[Collection(ApiCollection.Name)]
public class LogSecretsTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    [Fact]
    public async Task No_secret_appears_in_any_log_line()
    {
        var tenant = await _client.SignupAsync();
        var login = (await _client.Post("/api/v1/auth/login", new { email = tenant.AdminEmail, password = tenant.AdminPassword })).Expect(200);
        (await _client.Post("/api/v1/auth/login", new { email = tenant.AdminEmail, password = "wrong-password-sentinel-123" })).Expect(401);
        var refreshed = (await _client.Post("/api/v1/auth/refresh-token", new { refresh_token = login.Str("refresh_token") })).Expect(200);
        var (_, key) = await _client.CreateKeyAsync(tenant.AdminToken, "read");
        (await _client.Get("/api/v1/orgs/profile", key)).Expect(200);
        (await _client.Get("/api/v1/orgs/profile", key[..13] + new string('Z', 40))).Expect(401);
        var invite = (await _client.Post("/api/v1/org-members", new { email = Tenants.NewEmail(), role = "member" }, tenant.AdminToken)).Expect(201);
        var joined = (await _client.Post("/api/v1/auth/accept-invite", new { token = invite.Str("invite_token"), password = "invitee-password-sentinel" })).Expect(200);
        (await _client.Post("/api/v1/auth/refresh-token", new { refresh_token = login.Str("refresh_token") })).Expect(401); // reuse
        // A provider connection's secret: created, rotated, refused (too long, so quoted nowhere), resolved and used against a closed port.
        const string connectionSecret = "sk-log-sentinel-connection-0123456789";
        const string rotatedSecret = "sk-log-sentinel-rotated-9876543210";
        var connection = (await _client.Post("/api/v1/providers/connections",
            new { name = "log-check", kind = "openai", base_url = "http://127.0.0.1:9/v1/", secret = connectionSecret }, tenant.AdminToken)).Expect(201);
        (await _client.Post($"/api/v1/providers/connections/{connection.Id()}/rotate", new { secret = rotatedSecret }, tenant.AdminToken)).Expect(200);
        (await _client.Post("/api/v1/providers/connections", new { name = "log-bad", kind = "bedrock", secret = connectionSecret }, tenant.AdminToken)).Expect(422);
        var resolved = await fx.Factory.Services.GetRequiredService<AgentOps.Providers.Connections.IConnectionResolver>().ResolveAsync(tenant.OrgId, "log-check", default);
        await Assert.ThrowsAsync<AgentOps.Providers.ProviderException>(() =>
            resolved.Provider.CompleteAsync(new AgentOps.Providers.ModelRequest("gpt-4o", [AgentOps.Providers.ModelMessage.OfUser("hi")]), resolved.Credential));

        string[] secrets =
        [
            tenant.AdminPassword, "wrong-password-sentinel-123", "invitee-password-sentinel", key, key[13..], ApiFixture.JwtSecret,
            tenant.AdminToken, tenant.AdminRefresh, login.Str("access_token"), login.Str("refresh_token"), refreshed.Str("access_token"),
            refreshed.Str("refresh_token"), invite.Str("invite_token"), joined.Str("access_token"), connectionSecret, rotatedSecret, ApiFixture.SecretsKey,
        ];
        var lines = fx.Logs.Lines.ToArray();
        Assert.NotEmpty(lines);
        foreach (var secret in secrets)
            Assert.DoesNotContain(lines, line => line.Contains(secret, StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("Login failed", StringComparison.Ordinal));
    }
}
