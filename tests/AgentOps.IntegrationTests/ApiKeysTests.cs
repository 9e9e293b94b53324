using System.Text.RegularExpressions;
using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

[Collection(ApiCollection.Name)]
public class ApiKeysTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    [Fact]
    public async Task A_key_is_shown_once_stored_as_a_hash_and_works_as_a_bearer()
    {
        var tenant = await _client.SignupAsync();
        var created = (await _client.Post("/api/v1/api-keys", new { name = "ci", scopes = new[] { "read", "ingest" } }, tenant.AdminToken)).Expect(201);
        var key = created.Str("key");
        Assert.Matches(new Regex(@"^aok_[A-Za-z0-9]{8}_[A-Za-z0-9]{40}$"), key);
        var view = created.Body.GetProperty("api_key");
        Assert.Equal(key[..12], view.GetProperty("prefix").GetString());
        Assert.Equal(["ingest", "read"], view.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()!));

        var list = (await _client.Get("/api/v1/api-keys", tenant.AdminToken)).Expect(200);
        Assert.DoesNotContain(key, list.Body.ToString());
        Assert.DoesNotContain(key[13..], list.Body.ToString());
        var stored = await TestDatabase.ScalarAsync<byte[]>(TestDatabase.OwnerUrl, "SELECT key_hash FROM api_keys WHERE id = $1", view.GetProperty("id").GetGuid());
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)), stored);

        var profile = (await _client.Get("/api/v1/orgs/profile", key)).Expect(200);
        Assert.Equal(tenant.OrgId, profile.Id());
        var used = (await _client.Get("/api/v1/api-keys", tenant.AdminToken)).Body.GetProperty("items")[0];
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, used.GetProperty("last_used_at").ValueKind);
    }

    [Fact]
    public async Task Revoked_and_expired_keys_are_refused()
    {
        var tenant = await _client.SignupAsync();
        var (revokedId, revoked) = await _client.CreateKeyAsync(tenant.AdminToken, "read");
        (await _client.Delete($"/api/v1/api-keys/{revokedId}", tenant.AdminToken)).Expect(204);
        (await _client.Delete($"/api/v1/api-keys/{revokedId}", tenant.AdminToken)).Expect(204);
        (await _client.Get("/api/v1/orgs/profile", revoked)).ExpectProblem(401, "api_key_revoked");
        Assert.Equal(1L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl,
            "SELECT count(*) FROM audit_logs WHERE entity_id = $1 AND action = 'api_key.revoked'", revokedId.ToString()));

        var expiring = (await _client.Post("/api/v1/api-keys", new { name = "short", scopes = new[] { "read" }, expires_at = DateTimeOffset.UtcNow.AddMinutes(5) }, tenant.AdminToken)).Expect(201);
        var expiringKey = expiring.Str("key");
        (await _client.Get("/api/v1/orgs/profile", expiringKey)).Expect(200);
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1",
            expiring.Body.GetProperty("api_key").GetProperty("id").GetGuid());
        // Changed behind the API's back: the replica's key cache notices within its freshness (1 s).
        var changed = System.Diagnostics.Stopwatch.StartNew();
        Reply reply;
        while ((reply = await _client.Get("/api/v1/orgs/profile", expiringKey)).Code == 200 && changed.Elapsed < TimeSpan.FromSeconds(1.5)) await Task.Delay(50);
        reply.ExpectProblem(401, "api_key_expired");
        var statuses = (await _client.Get("/api/v1/api-keys", tenant.AdminToken)).Body.GetProperty("items").EnumerateArray().Select(k => k.GetProperty("status").GetString()).Order();
        Assert.Equal(["expired", "revoked"], statuses);
    }

    [Fact]
    public async Task A_wrong_secret_with_a_real_prefix_is_refused()
    {
        var tenant = await _client.SignupAsync();
        var (_, key) = await _client.CreateKeyAsync(tenant.AdminToken, "read");
        var forged = key[..13] + new string('A', 40);
        (await _client.Get("/api/v1/orgs/profile", forged)).ExpectProblem(401, "invalid_api_key");
    }

    [Fact]
    public async Task Creation_is_validated_and_capped_by_the_creators_rights()
    {
        var tenant = await _client.SignupAsync();
        var bad = (await _client.Post("/api/v1/api-keys", new { name = "", scopes = new[] { "read", "root" }, expires_at = DateTimeOffset.UtcNow.AddDays(-1) }, tenant.AdminToken))
            .ExpectProblem(422, "validation_failed");
        Assert.Equal(["$.expires_at", "$.name", "$.scopes[1]"], bad.Body.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());

        var member = await _client.AddMemberAsync(tenant, "member");
        (await _client.Post("/api/v1/api-keys", new { name = "escalate", scopes = new[] { "admin" } }, member.Token)).ExpectProblem(403, "scope_not_allowed");
        var (memberKeyId, _) = await _client.CreateKeyAsync(member.Token, "ingest", "write");
        var (adminKeyId, _) = await _client.CreateKeyAsync(tenant.AdminToken, "read");
        (await _client.Delete($"/api/v1/api-keys/{adminKeyId}", member.Token)).ExpectProblem(403, "forbidden");
        (await _client.Delete($"/api/v1/api-keys/{memberKeyId}", member.Token)).Expect(204);
    }

    [Fact]
    public async Task Each_key_is_rate_limited_with_retry_after_and_other_keys_are_not_affected()
    {
        // A server whose keys get 1 request/s with bursts of 5, so the outcome does not depend on how fast this machine is:
        // 12 requests in a row can pass at most 5 + (seconds elapsed) times.
        Environment.SetEnvironmentVariable("AGENTOPS_API_KEY_RATE_PER_SECOND", "1");
        Environment.SetEnvironmentVariable("AGENTOPS_API_KEY_BURST", "5");
        try
        {
            await using var strict = new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>();
            var client = strict.CreateClient();
            var tenant = await client.SignupAsync();
            var (_, hot) = await client.CreateKeyAsync(tenant.AdminToken, "read");
            var (_, calm) = await client.CreateKeyAsync(tenant.AdminToken, "read");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var replies = new List<Reply>();
            for (var i = 0; i < 12; i++) replies.Add(await client.Get("/api/v1/orgs/profile", hot));
            var passed = replies.Count(r => r.Code == 200);
            Assert.True(passed >= 5 && passed <= 5 + (int)Math.Ceiling(clock.Elapsed.TotalSeconds), $"{passed} passed in {clock.Elapsed.TotalSeconds:F1} s");
            var limited = replies.Where(r => r.Code == 429).ToList();
            Assert.Equal(12 - passed, limited.Count);
            Assert.All(limited, r => Assert.Equal("rate_limited", r.ProblemCode));
            Assert.All(limited, r => Assert.True(r.Raw.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1)));
            (await client.Get("/api/v1/orgs/profile", calm)).Expect(200);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AGENTOPS_API_KEY_RATE_PER_SECOND", null);
            Environment.SetEnvironmentVariable("AGENTOPS_API_KEY_BURST", null);
        }
    }
}
