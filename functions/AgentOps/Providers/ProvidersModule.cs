namespace AgentOps.Providers;

/// <summary>
/// Model providers: the adapters that call OpenAI (and Azure OpenAI and compatible servers), Anthropic, and a
/// simulated provider, behind <see cref="IModelProvider"/>. Nothing is registered or mapped yet: adapters are built per
/// connection (its base URL, options and credential), which the guardrail pipeline's later slices own.
/// </summary>
public sealed class ProvidersModule : IFeatureModule
{
}
