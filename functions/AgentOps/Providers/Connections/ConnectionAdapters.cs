namespace AgentOps.Providers.Connections;

/// <summary>
/// Builds the adapter a connection's kind, endpoint and options describe (pure but for the shared HttpClient it is
/// handed): OpenAI, Azure OpenAI and compatible servers through <see cref="OpenAiChatAdapter"/>, Anthropic, Gemini (with
/// its safety preset) and the simulated provider. Declared models' capabilities win over the adapter's guess by name.
/// </summary>
public static class ConnectionAdapters
{
    public static IModelProvider Build(ConnectionDraft c, HttpClient http, TimeProvider time)
    {
        var o = c.Options;
        var declared = c.Models.ToDictionary(m => m.Name, m => Capabilities(m.Capabilities), StringComparer.Ordinal);
        Func<string, ModelCapabilities>? Known(Func<string, ModelCapabilities> fallback) =>
            declared.Count == 0 ? null : model => declared.TryGetValue(model, out var known) ? known : fallback(model);
        var timeout = o.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        switch (c.Kind)
        {
            case "openai":
            case "azure-openai":
            case "openai-compatible":
            {
                var options = c.Kind switch
                {
                    "azure-openai" => OpenAiChatOptions.Azure(new Uri(c.BaseUrl!), o.ApiVersion!, o.Deployment),
                    "openai-compatible" => OpenAiChatOptions.Compatible(new Uri(c.BaseUrl!), o.Path ?? "chat/completions"),
                    _ => c.BaseUrl is null ? OpenAiChatOptions.OpenAi() : OpenAiChatOptions.OpenAi() with { BaseUrl = new Uri(c.BaseUrl) },
                };
                if (timeout is { } t) options = options with { Timeout = t };
                var guess = new OpenAiChatAdapter(http, options, time);
                return Known(guess.CapabilitiesOf) is { } known ? new OpenAiChatAdapter(http, options with { Capabilities = known }, time) : guess;
            }
            case "anthropic":
            {
                var options = new AnthropicMessagesOptions();
                if (c.BaseUrl is not null) options = options with { BaseUrl = new Uri(c.BaseUrl) };
                if (o.Version is not null) options = options with { Version = o.Version };
                if (timeout is { } t) options = options with { Timeout = t };
                var guess = new AnthropicMessagesAdapter(http, options, time);
                return Known(guess.CapabilitiesOf) is { } known ? new AnthropicMessagesAdapter(http, options with { Capabilities = known }, time) : guess;
            }
            case "gemini":
            {
                var options = new GeminiOptions();
                if (c.BaseUrl is not null) options = options with { BaseUrl = new Uri(c.BaseUrl) };
                if (o.ApiVersion is not null) options = options with { ApiVersion = o.ApiVersion };
                if (o.Safety is not null) options = options with { SafetySettings = GeminiSafety.Preset(o.Safety) };
                if (timeout is { } t) options = options with { Timeout = t };
                var guess = new GeminiAdapter(http, options, time);
                return Known(guess.CapabilitiesOf) is { } known ? new GeminiAdapter(http, options with { Capabilities = known }, time) : guess;
            }
            case "simulated":
                return new SimulatedProvider(new SimulatedProviderOptions
                {
                    Seed = o.Seed ?? 0,
                    Latency = TimeSpan.FromMilliseconds(o.LatencyMs ?? 0),
                    ErrorRate = o.ErrorRate ?? 0,
                    Words = o.Words ?? 40,
                }, time);
            default:
                throw new ArgumentOutOfRangeException(nameof(c), c.Kind, "Unknown provider connection kind.");
        }
    }

    public static ModelCapabilities Capabilities(IEnumerable<string> names) =>
        names.Aggregate(ModelCapabilities.None, (all, name) => all | name switch
        {
            "text" => ModelCapabilities.Text,
            "vision" => ModelCapabilities.Vision,
            "tools" => ModelCapabilities.Tools,
            "streaming" => ModelCapabilities.Streaming,
            "json_schema" => ModelCapabilities.JsonSchema,
            _ => ModelCapabilities.None,
        });
}
