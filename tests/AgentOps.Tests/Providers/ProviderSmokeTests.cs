using AgentOps.Providers;

namespace AgentOps.Tests.Providers;

/// <summary>
/// A test against a provider's real API, run only when its key is in the environment; without it the test is reported as
/// skipped with the variable to set (never a silent pass). CI has no internet and no keys: these show as skipped there.
/// </summary>
public sealed class ProviderKeyFactAttribute : FactAttribute
{
    public ProviderKeyFactAttribute(string variable)
    {
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(variable)))
            Skip = $"Skipped: {variable} is not set, so this smoke test against the provider's real API did not run. Set it to run it.";
    }
}

/// <summary>
/// One real call and one real stream per provider (a few tokens each): the adapters against the live wire format, which
/// the fake servers only imitate. Models can be changed by environment (AGENTOPS_SMOKE_*_MODEL).
/// </summary>
public sealed class ProviderSmokeTests : IDisposable
{
    private readonly HttpClient _http = new();

    public void Dispose() => _http.Dispose();

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;

    private static async Task CallAndStream(IModelProvider provider, string model, string key)
    {
        var request = new ModelRequest(model, [ModelMessage.OfUser("Answer with the single word: pong")]) { MaxTokens = 16, Temperature = 0 };
        var credential = new ProviderCredential(key);
        var result = await provider.CompleteAsync(request, credential);
        Assert.Contains("pong", result.Content, StringComparison.OrdinalIgnoreCase);
        Assert.True(result.Usage.InputTokens > 0);
        Assert.DoesNotContain(key, result.RawBody, StringComparison.Ordinal);
        var streamed = await ModelStreamAssembler.CollectAsync(provider.StreamAsync(request, credential));
        Assert.Contains("pong", streamed.Content, StringComparison.OrdinalIgnoreCase);
    }

    [ProviderKeyFact("OPENAI_API_KEY")]
    public Task OpenAi() => CallAndStream(new OpenAiChatAdapter(_http, new OpenAiChatOptions()), Env("AGENTOPS_SMOKE_OPENAI_MODEL", "gpt-4o-mini"),
        Environment.GetEnvironmentVariable("OPENAI_API_KEY")!);

    [ProviderKeyFact("ANTHROPIC_API_KEY")]
    public Task Anthropic() => CallAndStream(new AnthropicMessagesAdapter(_http, new AnthropicMessagesOptions()), Env("AGENTOPS_SMOKE_ANTHROPIC_MODEL", "claude-3-5-haiku-latest"),
        Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY")!);

    [ProviderKeyFact("GEMINI_API_KEY")]
    public Task Gemini() => CallAndStream(new GeminiAdapter(_http, new GeminiOptions()), Env("AGENTOPS_SMOKE_GEMINI_MODEL", "gemini-2.0-flash"),
        Environment.GetEnvironmentVariable("GEMINI_API_KEY")!);
}
