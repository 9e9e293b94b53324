using AgentOps.Providers.RateBudgets;
using AgentOps.Providers.Resilience;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentOps.Providers;

/// <summary>
/// Model providers: the adapters that call OpenAI (and Azure OpenAI and compatible servers), Anthropic, and a
/// simulated provider, behind <see cref="IModelProvider"/>. Adapters are built per connection (its base URL, options
/// and credential), which the guardrail pipeline's later slices own; the resilience layer (breakers and concurrency
/// limits per deployment) is one per process.
/// </summary>
public sealed class ProvidersModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings)
    {
        services.AddSingleton(sp => new ResilienceRegistry(new ResilienceOptions(), sp.GetRequiredService<TimeProvider>()));
        // A factory: the rate budget (IRateBudget) is registered by its own slice, and resolved when the client first is.
        services.AddSingleton(sp => new ResilientModelClient(sp.GetRequiredService<ResilienceRegistry>(), sp.GetRequiredService<IRateBudget>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<ResilientModelClient>>()));
    }
}
