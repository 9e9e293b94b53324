using AgentOps.Platform;
using AgentOps.Providers;
using AgentOps.Providers.Connections;
using AgentOps.Tests.Providers;

namespace AgentOps.Tests.Providers.Connections;

public class ConnectionRulesTests
{
    private static IReadOnlyDictionary<string, string[]> Errors(Action check) => Assert.Throws<DomainError>(check).Errors;

    private static ConnectionDraft Check(string kind, string? baseUrl = null, ConnectionOptions? options = null, DeclaredModel[]? models = null,
        Dictionary<string, string>? defaults = null, string name = "main", bool allowPrivate = false) =>
        ConnectionRules.Check(new Validation(), name, kind, baseUrl, options, models, defaults, true, allowPrivate);

    [Theory]
    [InlineData("https://api.openai.com/v1/", null)]
    [InlineData("https://my-resource.openai.azure.com/", null)]
    [InlineData("http://api.openai.com/v1/", "must use https")]
    [InlineData("https://127.0.0.1:8080/", "loopback")]
    [InlineData("https://10.1.2.3/", "private")]
    [InlineData("https://169.254.169.254/latest/", "link-local")]
    [InlineData("https://[::1]/", "loopback")]
    [InlineData("https://[fd00::1]/", "unique local")]
    [InlineData("https://localhost/", "localhost")]
    [InlineData("https://user:pw@api.openai.com/", "user name")]
    [InlineData("https://api.openai.com/v1?x=1", "query")]
    [InlineData("ftp://api.openai.com/", "absolute https")]
    [InlineData("/v1/chat", "absolute https")]
    public void Endpoints_must_be_public_https_by_default(string url, string? error)
    {
        if (error is null) { Assert.NotNull(Check("openai", url).BaseUrl); return; }
        var errors = Errors(() => Check("openai", url));
        Assert.Contains(errors["$.base_url"], e => e.Contains(error, StringComparison.Ordinal));
    }

    [Fact]
    public void With_private_endpoints_allowed_loopback_may_use_http_and_nothing_else_may()
    {
        Assert.Equal("http://127.0.0.1:5123/v1/", Check("openai", "http://127.0.0.1:5123/v1/", allowPrivate: true).BaseUrl);
        Assert.Equal("https://10.0.0.5/", Check("openai", "https://10.0.0.5/", allowPrivate: true).BaseUrl);
        Assert.Contains("$.base_url", Errors(() => Check("openai", "http://10.0.0.5/", allowPrivate: true)).Keys);
    }

    [Fact]
    public void Each_kind_takes_its_own_options_and_endpoint()
    {
        Assert.Contains("$.options.api_version", Errors(() => Check("azure-openai", "https://x.openai.azure.com/")).Keys);
        Assert.Contains("$.base_url", Errors(() => Check("azure-openai", options: new() { ApiVersion = "2024-10-21" })).Keys);
        Assert.Contains("$.base_url", Errors(() => Check("openai-compatible")).Keys);
        Assert.Contains("$.base_url", Errors(() => Check("simulated", "https://api.openai.com/")).Keys);
        Assert.Contains("$.options.safety", Errors(() => Check("gemini", options: new() { Safety = "lax" })).Keys);
        Assert.Contains("$.options.safety", Errors(() => Check("openai", options: new() { Safety = "strict" })).Keys);
        Assert.Contains("$.options.error_rate", Errors(() => Check("simulated", options: new() { ErrorRate = 1.5 })).Keys);
        Assert.Contains("$.options.seed", Errors(() => Check("anthropic", options: new() { Seed = 1 })).Keys);
        Assert.Contains("$.options.path", Errors(() => Check("openai-compatible", "https://llm.example.com/", new() { Path = "../admin" })).Keys);
        Assert.Contains("$.options.timeout_seconds", Errors(() => Check("openai", options: new() { TimeoutSeconds = 0 })).Keys);
        Assert.Contains("$.kind", Errors(() => Check("bedrock")).Keys);
        Assert.Contains("$.name", Errors(() => Check("openai", name: "Main Connection")).Keys);
        Assert.Equal("gemini", Check("gemini", options: new() { Safety = "strict", ApiVersion = "v1" }).Kind);
    }

    [Fact]
    public void Models_and_default_models_are_checked_by_shape_and_against_the_declared_ones()
    {
        DeclaredModel[] models = [new("gpt-4o", ["text", "vision"]), new("gpt-4o-mini", ["text"])];
        var draft = Check("openai", models: models, defaults: new() { ["judge"] = "gpt-4o", ["chat"] = "gpt-4o-mini" });
        Assert.Equal(["chat", "judge"], draft.DefaultModels.Keys);
        Assert.Contains("$.default_models.synthetic", Errors(() => Check("openai", models: models, defaults: new() { ["synthetic"] = "o3" })).Keys);
        Assert.Contains("$.default_models", Errors(() => Check("openai", defaults: new() { ["Bad Task"] = "gpt-4o" })).Keys);
        Assert.Contains("$.default_models.chat", Errors(() => Check("openai", defaults: new() { ["chat"] = "two words" })).Keys);
        Assert.Contains("$.models[1].name", Errors(() => Check("openai", models: [models[0], models[0]])).Keys);
        Assert.Contains("$.models[0].capabilities", Errors(() => Check("openai", models: [new("gpt-4o", ["telepathy"])])).Keys);
        Assert.Contains("$.models", Errors(() => Check("openai", models: [.. Enumerable.Range(0, ConnectionRules.MaxModels + 1).Select(i => new DeclaredModel($"m{i}", ["text"]))])).Keys);
        // Free-form tasks: any name of the right shape, no declared models needed.
        Assert.Equal("o3", Check("openai", defaults: new() { ["embedding"] = "text-embedding-3-small", ["rerank-v2"] = "o3" }).DefaultModels["rerank-v2"]);
    }

    [Fact]
    public void Secrets_are_required_but_for_the_simulated_kind_bounded_and_hinted_by_their_last_four_characters()
    {
        string? Secret(string kind, string? secret)
        {
            var v = new Validation();
            var s = ConnectionRules.CheckSecret(v, "$.secret", kind, secret);
            v.ThrowIfInvalid();
            return s;
        }
        Assert.Contains("$.secret", Errors(() => Secret("openai", null)).Keys);
        Assert.Contains("$.secret", Errors(() => Secret("openai", new string('k', ConnectionRules.MaxSecretLength + 1))).Keys);
        Assert.Contains("$.secret", Errors(() => Secret("openai", "sk-abc\n")).Keys);
        Assert.Contains("$.secret", Errors(() => Secret("simulated", "sk-abc")).Keys);
        Assert.Null(Secret("simulated", null));
        Assert.Equal("…wxyz", ConnectionRules.Hint("sk-0123456789-wxyz"));
        Assert.Equal("****", ConnectionRules.Hint("short-key"));
    }

    [Fact]
    public async Task An_openai_connection_builds_an_adapter_that_calls_its_base_url_with_its_secret()
    {
        const string secret = "sk-connection-test-0123456789";
        await using var server = await FakeOpenAiServer.StartAsync(secret);
        using var http = new HttpClient();
        var draft = Check("openai", new Uri(server.BaseUrl, "v1/").ToString(), allowPrivate: true, models: [new("gpt-4o", ["text"])]);
        var adapter = ConnectionAdapters.Build(draft, http, TimeProvider.System);
        Assert.IsType<OpenAiChatAdapter>(adapter);
        Assert.Equal(ModelCapabilities.Text, adapter.CapabilitiesOf("gpt-4o"));
        var result = await adapter.CompleteAsync(ProviderTestData.Simple(), new ProviderCredential(secret));
        Assert.Equal(FakeOpenAiServer.Text, result.Content);
        Assert.Empty(server.Violations);
    }

    [Fact]
    public void Each_kind_builds_its_adapter()
    {
        using var http = new HttpClient();
        IModelProvider Build(ConnectionDraft d) => ConnectionAdapters.Build(d, http, TimeProvider.System);
        Assert.Equal("azure-openai", Build(Check("azure-openai", "https://x.openai.azure.com/", new() { ApiVersion = "2024-10-21" })).Name);
        Assert.Equal("openai-compatible", Build(Check("openai-compatible", "https://llm.example.com/v1/", new() { Path = "chat/completions" })).Name);
        Assert.IsType<AnthropicMessagesAdapter>(Build(Check("anthropic", options: new() { Version = "2023-06-01" })));
        Assert.IsType<GeminiAdapter>(Build(Check("gemini", options: new() { Safety = "strict" })));
        Assert.IsType<SimulatedProvider>(Build(Check("simulated", options: new() { Seed = 7, LatencyMs = 0 })));
    }

    [Fact]
    public async Task The_shared_client_refuses_to_connect_to_a_private_address_unless_allowed()
    {
        const string secret = "sk-connection-ssrf-0123456789";
        await using var server = await FakeOpenAiServer.StartAsync(secret);
        var draft = Check("openai", new Uri(server.BaseUrl, "v1/").ToString(), allowPrivate: true);
        using (var guarded = new ProviderHttp(new ProvidersOptions()))
        {
            var e = await Assert.ThrowsAsync<ProviderException>(() =>
                ConnectionAdapters.Build(draft, guarded.Client, TimeProvider.System).CompleteAsync(ProviderTestData.Simple(), new ProviderCredential(secret)));
            Assert.Equal(ProviderErrorKind.ConnectionFailed, e.Kind);
            Assert.Contains("AGENTOPS_LLM_ALLOW_PRIVATE_ENDPOINTS", e.Message, StringComparison.Ordinal);
            Assert.Empty(server.Requests);
        }
        using var allowed = new ProviderHttp(new ProvidersOptions { AllowPrivateEndpoints = true });
        var result = await ConnectionAdapters.Build(draft, allowed.Client, TimeProvider.System).CompleteAsync(ProviderTestData.Simple(), new ProviderCredential(secret));
        Assert.Equal(FakeOpenAiServer.Text, result.Content);
    }
}
