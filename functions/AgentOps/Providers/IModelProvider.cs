namespace AgentOps.Providers;

/// <summary>What a model can do.</summary>
[Flags]
public enum ModelCapabilities
{
    None = 0,
    Text = 1,
    Vision = 2,
    Tools = 4,
    Streaming = 8,
    JsonSchema = 16,

    All = Text | Vision | Tools | Streaming | JsonSchema,
}

/// <summary>
/// A provider's secret (an API key), passed per call and never kept: it prints as <c>***</c> (so a log line or a record's
/// ToString cannot show it), and adapters remove it from every error message and kept response body.
/// </summary>
public sealed class ProviderCredential(string secret)
{
    /// <summary>The secret, for the request's header only.</summary>
    public string Secret { get; } = secret;

    public override string ToString() => "***";

    /// <summary><paramref name="text"/> with every occurrence of the secret replaced.</summary>
    public string Scrub(string text) =>
        Secret.Length == 0 ? text : text.Replace(Secret, "[redacted]", StringComparison.Ordinal);
}

/// <summary>
/// One model provider behind the provider-neutral contracts. Adapters make exactly one HTTP call per request and never
/// retry: every failure (a 429 above all) reaches the caller as a <see cref="ProviderException"/>, so the resilience
/// layer above sees it. A caller's cancellation surfaces as <see cref="OperationCanceledException"/>.
/// </summary>
public interface IModelProvider
{
    /// <summary>The provider's name (openai, azure-openai, anthropic, simulated, or what the options say).</summary>
    string Name { get; }

    ModelCapabilities CapabilitiesOf(string model);

    Task<ModelResult> CompleteAsync(ModelRequest request, ProviderCredential credential, CancellationToken ct = default);

    /// <summary>
    /// The answer as it is written: text and tool-call deltas, then one <see cref="FinishDelta"/>. A stream that breaks
    /// off throws <see cref="ProviderException"/> (<see cref="ProviderErrorKind.StreamCut"/>) after the deltas received.
    /// </summary>
    IAsyncEnumerable<ModelDelta> StreamAsync(ModelRequest request, ProviderCredential credential, CancellationToken ct = default);
}
