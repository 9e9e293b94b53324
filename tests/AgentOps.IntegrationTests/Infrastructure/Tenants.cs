namespace AgentOps.IntegrationTests.Infrastructure;

/// <summary>An organization a test created, with its first admin signed in.</summary>
public sealed record Tenant(Guid OrgId, Guid AdminUserId, string AdminEmail, string AdminPassword, string AdminToken, string AdminRefresh);

public sealed record Person(Guid MemberId, Guid UserId, string Email, string Password, string Token, string Refresh);

public static class Tenants
{
    public const string Password = "a long enough password";

    public static string NewEmail(string who = "user") => $"{who}-{Guid.NewGuid():N}@test.agentops.dev";

    public static async Task<Tenant> SignupAsync(this HttpClient client, string orgName = "Test Org")
    {
        var email = NewEmail("admin");
        var r = (await client.Post("/api/v1/auth/signup", new { org_name = orgName, email, password = Password, name = "Ada Admin" })).Expect(201);
        return new Tenant(r.Body.GetProperty("organization").GetProperty("id").GetGuid(), r.Body.GetProperty("user").GetProperty("id").GetGuid(),
            email, Password, r.Str("access_token"), r.Str("refresh_token"));
    }

    /// <summary>Invites someone with the role and team, and has them accept with a new account.</summary>
    public static async Task<Person> AddMemberAsync(this HttpClient client, Tenant tenant, string role, string? team = null, string? inviterToken = null)
    {
        var email = NewEmail(role);
        var invite = (await client.Post("/api/v1/org-members", new { email, role, team }, inviterToken ?? tenant.AdminToken)).Expect(201);
        var joined = (await client.Post("/api/v1/auth/accept-invite", new { token = invite.Str("invite_token"), password = Password, name = role })).Expect(200);
        return new Person(invite.Body.GetProperty("member").GetProperty("id").GetGuid(), joined.Body.GetProperty("user").GetProperty("id").GetGuid(),
            email, Password, joined.Str("access_token"), joined.Str("refresh_token"));
    }

    public static async Task<(Guid Id, string Key)> CreateKeyAsync(this HttpClient client, string bearer, params string[] scopes)
    {
        var r = (await client.Post("/api/v1/api-keys", new { name = "test key", scopes }, bearer)).Expect(201);
        return (r.Body.GetProperty("api_key").GetProperty("id").GetGuid(), r.Str("key"));
    }
}
