using System.Text;
using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform;
using AgentOps.Providers;
using AgentOps.Providers.Connections;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.IntegrationTests;

/// <summary>Provider connections: CRUD, validation, the secret never out (responses, audit, database in clear), rotation, resolution, tenancy, roles.</summary>
[Collection(ApiCollection.Name)]
public class ProviderConnectionsTests(ApiFixture fx)
{
    private const string Path = "/api/v1/providers/connections";
    private readonly HttpClient _client = fx.Client();

    private static string NewSecret(string label) => $"sk-{label}-{Guid.NewGuid():N}";

    private static object OpenAi(string name, string secret, string? baseUrl = null) => new
    {
        name, kind = "openai", base_url = baseUrl ?? "https://api.openai.com/v1/", secret,
        models = new[] { new { name = "gpt-4o", capabilities = new[] { "text", "vision", "tools" } }, new { name = "gpt-4o-mini", capabilities = new[] { "text" } } },
        default_models = new Dictionary<string, string> { ["chat"] = "gpt-4o-mini", ["judge"] = "gpt-4o" },
    };

    private async Task<string> AuditJsonAsync(Tenant tenant, Guid id) =>
        (await _client.Get($"/api/v1/audit-logs?entity_id={id}&limit=200", tenant.AdminToken)).Expect(200).Body.GetRawText();

    [Fact]
    public async Task Create_read_list_update_and_delete_never_show_the_secret_and_are_audited()
    {
        var tenant = await _client.SignupAsync();
        var secret = NewSecret("crud");
        var created = (await _client.Post(Path, OpenAi("main", secret), tenant.AdminToken)).Expect(201);
        var id = created.Id();
        Assert.Equal("openai", created.Str("kind"));
        Assert.Equal("…" + secret[^4..], created.Str("secret_hint"));
        Assert.True(created.Body.GetProperty("has_secret").GetBoolean());
        Assert.Equal("gpt-4o", created.Body.GetProperty("default_models").GetProperty("judge").GetString());
        Assert.False(created.Body.TryGetProperty("secret", out _));

        var one = (await _client.Get($"{Path}/{id}", tenant.AdminToken)).Expect(200);
        var list = (await _client.Get(Path, tenant.AdminToken)).Expect(200);
        Assert.Equal(id, Assert.Single(list.Body.GetProperty("items").EnumerateArray()).GetProperty("id").GetGuid());
        Assert.Empty((await _client.Get($"{Path}?kind=anthropic", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray());

        var updated = (await _client.Patch($"{Path}/{id}", new { name = "primary", default_models = new Dictionary<string, string> { ["chat"] = "gpt-4o" }, active = false },
            tenant.AdminToken)).Expect(200);
        Assert.Equal("primary", updated.Str("name"));
        Assert.False(updated.Body.GetProperty("active").GetBoolean());
        Assert.Equal("https://api.openai.com/v1/", updated.Str("base_url"));
        Assert.Equal(2, updated.Body.GetProperty("models").GetArrayLength());
        // PATCH does not take the secret (or the kind): unknown fields are refused.
        (await _client.Patch($"{Path}/{id}", new { secret = NewSecret("patched") }, tenant.AdminToken)).ExpectProblem(400, "unknown_field");
        (await _client.Patch($"{Path}/{id}", new { kind = "anthropic" }, tenant.AdminToken)).ExpectProblem(400, "unknown_field");

        (await _client.Delete($"{Path}/{id}", tenant.AdminToken)).Expect(204);
        (await _client.Get($"{Path}/{id}", tenant.AdminToken)).ExpectProblem(404, "not_found");

        var audit = await AuditJsonAsync(tenant, id);
        foreach (var action in new[] { "provider_connection.created", "provider_connection.updated", "provider_connection.deleted" })
            Assert.Contains(action, audit, StringComparison.Ordinal);
        foreach (var text in new[] { created.Body.GetRawText(), one.Body.GetRawText(), list.Body.GetRawText(), updated.Body.GetRawText(), audit })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            Assert.DoesNotContain(secret[3..^4], text, StringComparison.Ordinal);
            Assert.DoesNotContain("ciphertext", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_database_holds_the_secret_only_encrypted_and_bound_to_its_row()
    {
        var tenant = await _client.SignupAsync();
        var secret = NewSecret("at-rest");
        var id = (await _client.Post(Path, OpenAi("stored", secret), tenant.AdminToken)).Expect(201).Id();
        var other = (await _client.Post(Path, OpenAi("other", NewSecret("other")), tenant.AdminToken)).Expect(201).Id();
        var ciphertext = await TestDatabase.ScalarAsync<byte[]>(TestDatabase.OwnerUrl, "SELECT secret_ciphertext FROM provider_connections WHERE id = $1", id);
        Assert.NotNull(ciphertext);
        Assert.DoesNotContain(secret, Encoding.UTF8.GetString(ciphertext), StringComparison.Ordinal);
        Assert.Equal("k1", await TestDatabase.ScalarAsync<string>(TestDatabase.OwnerUrl, "SELECT secret_key_id FROM provider_connections WHERE id = $1", id));
        var rows = await TestDatabase.ScalarAsync<string>(TestDatabase.OwnerUrl,
            "SELECT string_agg(coalesce(before::text, '') || coalesce(after::text, ''), ' ') FROM audit_logs WHERE org_id = $1", tenant.OrgId);
        Assert.DoesNotContain(secret, rows!, StringComparison.Ordinal);

        // A ciphertext copied onto another row does not open there: the connection's id is part of what was sealed.
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE provider_connections SET secret_ciphertext = $1 WHERE id = $2", ciphertext!, other);
        var resolver = fx.Factory.Services.GetRequiredService<IConnectionResolver>();
        var e = await Assert.ThrowsAsync<DomainError>(() => resolver.ResolveAsync(tenant.OrgId, "other", default));
        Assert.Equal("provider_secret_unreadable", e.Code);
        Assert.Equal(secret, (await resolver.ResolveAsync(tenant.OrgId, "stored", default)).Credential.Secret);
    }

    [Fact]
    public async Task Rotation_replaces_the_secret_changes_the_hint_and_is_audited_without_it()
    {
        var tenant = await _client.SignupAsync();
        var first = NewSecret("first");
        var id = (await _client.Post(Path, OpenAi("rotating", first), tenant.AdminToken)).Expect(201).Id();
        var resolver = fx.Factory.Services.GetRequiredService<IConnectionResolver>();
        Assert.Equal(first, (await resolver.ResolveAsync(tenant.OrgId, "rotating", default)).Credential.Secret);

        var second = NewSecret("second");
        var rotated = (await _client.Post($"{Path}/{id}/rotate", new { secret = second }, tenant.AdminToken)).Expect(200);
        Assert.Equal("…" + second[^4..], rotated.Str("secret_hint"));
        Assert.NotEqual("…" + first[^4..], rotated.Str("secret_hint"));
        Assert.NotEqual(JsonValueKind.Null, rotated.Body.GetProperty("rotated_at").ValueKind);
        var resolved = await resolver.ResolveAsync(tenant.OrgId, id.ToString(), default);
        Assert.Equal(second, resolved.Credential.Secret);
        Assert.Equal("***", resolved.Credential.ToString());

        (await _client.Post($"{Path}/{id}/rotate", new { secret = "" }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        (await _client.Post($"{Path}/{id}/rotate", new { }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        var audit = await AuditJsonAsync(tenant, id);
        Assert.Contains("provider_connection.rotated", audit, StringComparison.Ordinal);
        Assert.Contains(second[^4..], audit, StringComparison.Ordinal);
        Assert.DoesNotContain(first, audit, StringComparison.Ordinal);
        Assert.DoesNotContain(second, audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_master_key_rotation_secrets_are_resealed_under_the_new_key_and_still_open()
    {
        var tenant = await _client.SignupAsync();
        var secret = NewSecret("reseal");
        var id = (await _client.Post(Path, OpenAi("resealed", secret), tenant.AdminToken)).Expect(201).Id();
        var services = fx.Factory.Services;
        var fixtureKey = Convert.FromHexString(ApiFixture.SecretsKey);
        var newKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(SecretKeys.KeyBytes);
        ProviderConnectionService With(SecretKeys keys) => new(services.GetRequiredService<AgentOps.Platform.Database.Db>(), new SecretBox(keys),
            services.GetRequiredService<ProviderHttp>(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<ProviderConnectionService>.Instance);
        Task<string?> KeyIdAsync() => TestDatabase.ScalarAsync<string>(TestDatabase.OwnerUrl, "SELECT secret_key_id FROM provider_connections WHERE id = $1", id);

        // Before: the new key alone does not open it; with the old one retired beside it, it does, and the reseal moves it.
        var rotated = With(new SecretKeys("rotated", newKey, new Dictionary<string, byte[]> { ["k1"] = fixtureKey }));
        Assert.Equal("provider_secret_unreadable",
            (await Assert.ThrowsAsync<DomainError>(() => With(new SecretKeys("rotated", newKey)).ResolveAsync(tenant.OrgId, "resealed", default))).Code);
        Assert.True(await rotated.ResealAsync(default) >= 1);
        Assert.Equal("rotated", await KeyIdAsync());
        Assert.Equal(secret, (await With(new SecretKeys("rotated", newKey)).ResolveAsync(tenant.OrgId, "resealed", default)).Credential.Secret);
        Assert.Equal(0, await rotated.ResealAsync(default));
        var view = (await _client.Get($"{Path}/{id}", tenant.AdminToken)).Expect(200);
        Assert.Equal("…" + secret[^4..], view.Str("secret_hint"));

        // And back, so that the other tests' connections open under the fixture's key again.
        await With(new SecretKeys("k1", fixtureKey, new Dictionary<string, byte[]> { ["rotated"] = newKey })).ResealAsync(default);
        Assert.Equal("k1", await KeyIdAsync());
        Assert.Equal(secret, (await services.GetRequiredService<IConnectionResolver>().ResolveAsync(tenant.OrgId, "resealed", default)).Credential.Secret);
    }

    [Fact]
    public async Task A_resolved_openai_connection_calls_its_endpoint_with_its_secret()
    {
        var tenant = await _client.SignupAsync();
        var secret = NewSecret("call");
        await using var server = await FakeChatServer.StartAsync(secret);
        (await _client.Post(Path, OpenAi("fake", secret, server.BaseUrl + "/v1/"), tenant.AdminToken)).Expect(201);
        var resolver = fx.Factory.Services.GetRequiredService<IConnectionResolver>();
        var connection = await resolver.ResolveAsync(tenant.OrgId, "fake", default);
        Assert.IsType<OpenAiChatAdapter>(connection.Provider);
        Assert.Equal(ModelCapabilities.Text | ModelCapabilities.Vision | ModelCapabilities.Tools, connection.Provider.CapabilitiesOf("gpt-4o"));
        var result = await connection.Provider.CompleteAsync(new ModelRequest(connection.DefaultModels["chat"], [ModelMessage.OfUser("Say hello.")]), connection.Credential);
        Assert.Equal("Hello from the fake.", result.Content);
        Assert.Equal("gpt-4o-mini", Assert.Single(server.Models));

        // Inactive or absent: not found, as for another organization's.
        var id = (await _client.Get(Path, tenant.AdminToken)).Expect(200).Body.GetProperty("items")[0].GetProperty("id").GetGuid();
        (await _client.Patch($"{Path}/{id}", new { active = false }, tenant.AdminToken)).Expect(200);
        Assert.Equal("not_found", (await Assert.ThrowsAsync<DomainError>(() => resolver.ResolveAsync(tenant.OrgId, "fake", default))).Code);
        Assert.Equal("not_found", (await Assert.ThrowsAsync<DomainError>(() => resolver.ResolveAsync(tenant.OrgId, "absent", default))).Code);
    }

    [Fact]
    public async Task A_simulated_connection_needs_no_secret_and_answers_offline()
    {
        var tenant = await _client.SignupAsync();
        var created = (await _client.Post(Path, new
        {
            name = "sim", kind = "simulated", options = new { seed = 7, latency_ms = 0, error_rate = 0, words = 12 },
            default_models = new Dictionary<string, string> { ["chat"] = "sim-1", ["synthetic"] = "sim-1" },
        }, tenant.AdminToken)).Expect(201);
        Assert.False(created.Body.GetProperty("has_secret").GetBoolean());
        Assert.Equal(JsonValueKind.Null, created.Body.GetProperty("secret_hint").ValueKind);
        Assert.Equal(7, created.Body.GetProperty("options").GetProperty("seed").GetInt32());
        (await _client.Post($"{Path}/{created.Id()}/rotate", new { secret = NewSecret("sim") }, tenant.AdminToken)).ExpectProblem(409, "provider_connection_without_secret");
        (await _client.Post(Path, new { name = "sim2", kind = "simulated", secret = "sk-nope-0123456789" }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");

        var connection = await fx.Factory.Services.GetRequiredService<IConnectionResolver>().ResolveAsync(tenant.OrgId, "sim", default);
        Assert.IsType<SimulatedProvider>(connection.Provider);
        var result = await connection.Provider.CompleteAsync(new ModelRequest("sim-1", [ModelMessage.OfUser("hi")]), connection.Credential);
        Assert.False(string.IsNullOrEmpty(result.Content));
    }

    [Theory]
    [InlineData("""{"name":"Bad Name","kind":"openai","secret":"sk-0123456789abcdef"}""", "$.name")]
    [InlineData("""{"name":"x","kind":"bedrock","secret":"sk-0123456789abcdef"}""", "$.kind")]
    [InlineData("""{"name":"x","kind":"openai"}""", "$.secret")]
    [InlineData("""{"name":"x","kind":"azure-openai","base_url":"https://r.openai.azure.com/","secret":"sk-0123456789abcdef"}""", "$.options.api_version")]
    [InlineData("""{"name":"x","kind":"openai-compatible","secret":"sk-0123456789abcdef"}""", "$.base_url")]
    [InlineData("""{"name":"x","kind":"openai","base_url":"http://api.example.com/","secret":"sk-0123456789abcdef"}""", "$.base_url")]
    [InlineData("""{"name":"x","kind":"openai","base_url":"https://10.0.0.1/","secret":"sk-0123456789abcdef","options":{"timeout_seconds":0}}""", "$.options.timeout_seconds")]
    [InlineData("""{"name":"x","kind":"gemini","secret":"sk-0123456789abcdef","options":{"safety":"none"}}""", "$.options.safety")]
    [InlineData("""{"name":"x","kind":"openai","secret":"sk-0123456789abcdef","default_models":{"Chat Task":"gpt-4o"}}""", "$.default_models")]
    [InlineData("""{"name":"x","kind":"openai","secret":"sk-0123456789abcdef","models":[{"name":"gpt-4o","capabilities":["mind_reading"]}]}""", "$.models[0].capabilities")]
    public async Task Invalid_connections_are_refused_with_the_field_named(string body, string field)
    {
        var tenant = await _client.SignupAsync();
        var reply = await _client.Send(HttpMethod.Post, Path, JsonDocument.Parse(body).RootElement, tenant.AdminToken);
        reply.ExpectProblem(422, "validation_failed");
        Assert.True(reply.Body.GetProperty("errors").TryGetProperty(field, out _), reply.ToString());
        Assert.DoesNotContain("sk-0123456789abcdef", reply.Body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Names_are_unique_per_organization_options_unknown_to_the_api_are_refused_and_the_count_is_limited()
    {
        var tenant = await _client.SignupAsync();
        (await _client.Post(Path, OpenAi("dup", NewSecret("a")), tenant.AdminToken)).Expect(201);
        (await _client.Post(Path, OpenAi("dup", NewSecret("b")), tenant.AdminToken)).ExpectProblem(409, "provider_connection_exists");
        var second = (await _client.Post(Path, OpenAi("dup2", NewSecret("c")), tenant.AdminToken)).Expect(201).Id();
        (await _client.Patch($"{Path}/{second}", new { name = "dup" }, tenant.AdminToken)).ExpectProblem(409, "provider_connection_exists");
        (await _client.Post(Path, new { name = "o", kind = "openai", secret = NewSecret("d"), options = new { organization = "org-1" } }, tenant.AdminToken))
            .ExpectProblem(400, "unknown_field");
        const int racing = 8;
        for (var i = 2; i < ConnectionRules.MaxConnections - racing / 2; i++)
            (await _client.Post(Path, new { name = $"sim-{i}", kind = "simulated" }, tenant.AdminToken)).Expect(201);
        // The last places, raced for: exactly as many creations succeed as there were places.
        var raced = await Task.WhenAll(Enumerable.Range(0, racing).Select(i => _client.Post(Path, new { name = $"race-{i}", kind = "simulated" }, tenant.AdminToken)));
        Assert.Equal(racing / 2, raced.Count(r => r.Code == 201));
        Assert.All(raced.Where(r => r.Code != 201), r => r.ExpectProblem(409, "provider_connection_limit"));
        (await _client.Post(Path, new { name = "one-too-many", kind = "simulated" }, tenant.AdminToken)).ExpectProblem(409, "provider_connection_limit");
    }

    [Fact]
    public async Task Lists_page_by_cursor_and_a_patch_is_checked_against_the_kind()
    {
        var tenant = await _client.SignupAsync();
        var azure = (await _client.Post(Path, new
        {
            name = "azure", kind = "azure-openai", base_url = "https://my-resource.openai.azure.com/", secret = NewSecret("azure"),
            options = new { api_version = "2024-10-21", deployment = "gpt-4o-prod" },
        }, tenant.AdminToken)).Expect(201).Id();
        (await _client.Post(Path, new { name = "sim", kind = "simulated" }, tenant.AdminToken)).Expect(201);
        var first = (await _client.Get($"{Path}?limit=1", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(azure, Assert.Single(first.GetProperty("items").EnumerateArray()).GetProperty("id").GetGuid());
        var second = (await _client.Get($"{Path}?limit=1&cursor={first.GetProperty("next_cursor").GetString()}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal("sim", Assert.Single(second.GetProperty("items").EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next_cursor").ValueKind);
        Assert.Single((await _client.Get($"{Path}?kind=simulated", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray());
        (await _client.Get($"{Path}?kind=bedrock", tenant.AdminToken)).ExpectProblem(422, "validation_failed");

        // The stored kind's rules hold on every change: Azure keeps needing its endpoint and api_version.
        (await _client.Patch($"{Path}/{azure}", new { base_url = (string?)null }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        (await _client.Patch($"{Path}/{azure}", new { options = new { deployment = "other" } }, tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        // The fixture allows private endpoints (for the fake servers); the default refusal is ConnectionRulesTests'.
        Assert.True(fx.Factory.Services.GetRequiredService<ProvidersOptions>().AllowPrivateEndpoints);
        (await _client.Patch($"{Path}/{azure}", new { base_url = "https://10.20.30.40/" }, tenant.AdminToken)).Expect(200);
        var changed = (await _client.Patch($"{Path}/{azure}", new { options = new { api_version = "2025-01-01-preview", deployment = "gpt-4o-prod" } }, tenant.AdminToken)).Expect(200);
        Assert.Equal("2025-01-01-preview", changed.Body.GetProperty("options").GetProperty("api_version").GetString());
        // A PATCH that changes nothing writes no audit row.
        (await _client.Patch($"{Path}/{azure}", new { active = true }, tenant.AdminToken)).Expect(200);
        var audit = JsonDocument.Parse(await AuditJsonAsync(tenant, azure)).RootElement.GetProperty("items");
        Assert.Equal(2, audit.EnumerateArray().Count(e => e.GetProperty("action").GetString() == "provider_connection.updated"));
    }

    [Fact]
    public async Task Another_organization_sees_and_changes_nothing()
    {
        var a = await _client.SignupAsync();
        var b = await _client.SignupAsync();
        var secret = NewSecret("tenant-a");
        var id = (await _client.Post(Path, OpenAi("a-conn", secret), a.AdminToken)).Expect(201).Id();
        (await _client.Get($"{Path}/{id}", b.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Patch($"{Path}/{id}", new { name = "stolen" }, b.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Post($"{Path}/{id}/rotate", new { secret = NewSecret("b") }, b.AdminToken)).ExpectProblem(404, "not_found");
        (await _client.Delete($"{Path}/{id}", b.AdminToken)).ExpectProblem(404, "not_found");
        Assert.Empty((await _client.Get(Path, b.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray());
        var resolver = fx.Factory.Services.GetRequiredService<IConnectionResolver>();
        await Assert.ThrowsAsync<DomainError>(() => resolver.ResolveAsync(b.OrgId, "a-conn", default));
        await Assert.ThrowsAsync<DomainError>(() => resolver.ResolveAsync(b.OrgId, id.ToString(), default));
        Assert.Equal(secret, (await resolver.ResolveAsync(a.OrgId, "a-conn", default)).Credential.Secret);
        Assert.Equal("a-conn", (await _client.Get($"{Path}/{id}", a.AdminToken)).Expect(200).Str("name"));
    }

    [Fact]
    public async Task Members_and_read_keys_read_only_admins_and_admin_keys_change()
    {
        var tenant = await _client.SignupAsync();
        var member = await _client.AddMemberAsync(tenant, "member");
        var (_, readKey) = await _client.CreateKeyAsync(tenant.AdminToken, "read");
        var (_, writeKey) = await _client.CreateKeyAsync(tenant.AdminToken, "write");
        var (_, adminKey) = await _client.CreateKeyAsync(tenant.AdminToken, "admin");
        var id = (await _client.Post(Path, OpenAi("rbac", NewSecret("rbac")), adminKey)).Expect(201).Id();
        (await _client.Get($"{Path}/{id}", member.Token)).Expect(200);
        (await _client.Get(Path, readKey)).Expect(200);
        (await _client.Post(Path, OpenAi("by-member", NewSecret("m")), member.Token)).Expect(403);
        (await _client.Post($"{Path}/{id}/rotate", new { secret = NewSecret("w") }, writeKey)).Expect(403);
        (await _client.Patch($"{Path}/{id}", new { active = false }, member.Token)).Expect(403);
        (await _client.Delete($"{Path}/{id}", readKey)).Expect(403);
        (await _client.Post($"{Path}/{id}/rotate", new { secret = NewSecret("admin-key") }, adminKey)).Expect(200);
    }

    /// <summary>An OpenAI chat completions endpoint on 127.0.0.1 that checks the bearer secret and records the models asked for.</summary>
    private sealed class FakeChatServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        public List<string> Models { get; } = [];
        public string BaseUrl => _app.Urls.First();

        private FakeChatServer(WebApplication app) => _app = app;

        public static async Task<FakeChatServer> StartAsync(string secret)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var server = new FakeChatServer(builder.Build());
            server._app.MapPost("/v1/chat/completions", async (HttpRequest request) =>
            {
                if (request.Headers.Authorization.ToString() != "Bearer " + secret)
                    return Results.Json(new { error = new { type = "invalid_request_error", code = "invalid_api_key", message = "Incorrect API key." } }, statusCode: 401);
                using var body = await JsonDocument.ParseAsync(request.Body);
                var model = body.RootElement.GetProperty("model").GetString()!;
                lock (server.Models) server.Models.Add(model);
                return Results.Json(new
                {
                    id = "chatcmpl-1", @object = "chat.completion", created = 1_765_000_000, model,
                    choices = new[] { new { index = 0, message = new { role = "assistant", content = "Hello from the fake." }, finish_reason = "stop" } },
                    usage = new { prompt_tokens = 5, completion_tokens = 4, total_tokens = 9 },
                });
            });
            await server._app.StartAsync();
            return server;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
