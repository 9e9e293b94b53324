using AgentOps.Providers.Connections;
using AgentOps.Providers.RateBudgets;
using AgentOps.Providers.Resilience;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentOps.Providers;

/// <summary>
/// Model providers: the adapters that call OpenAI (and Azure OpenAI and compatible servers), Anthropic, Gemini and a
/// simulated provider, behind <see cref="IModelProvider"/>, built per organization from its provider connections
/// (Connections/: endpoint, options, default models per task, the credential encrypted at rest). The shared rate
/// budgets of model calls (<see cref="IRateBudget"/>, over Postgres) and their limits' API live here, and the
/// resilience layer (breakers and concurrency limits per deployment, one per process) that runs a call over its
/// fallback chain.
/// </summary>
public sealed class ProvidersModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings)
    {
        // Provider connections: the master keys (AGENTOPS_SECRETS_KEY…), the endpoint rule, the shared HttpClient, the resolver.
        var keys = SecretKeys.Read(settings);
        services.AddSingleton(ProvidersOptions.Read(settings)).AddSingleton(_ => new SecretBox(keys!)).AddSingleton<ProviderHttp>()
            .AddSingleton<ProviderConnectionService>().AddSingleton<IConnectionResolver>(sp => sp.GetRequiredService<ProviderConnectionService>())
            .AddHostedService<SecretResealer>();
        services.AddSingleton(RateBudgetOptions.Read(settings)).AddSingleton<IRateBudget, PostgresRateBudget>().AddSingleton<RateLimitsService>();
        services.AddSingleton(sp => new ResilienceRegistry(new ResilienceOptions(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new ResilientModelClient(sp.GetRequiredService<ResilienceRegistry>(), sp.GetRequiredService<IRateBudget>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetService<ILogger<ResilientModelClient>>()));
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api)
    {
        api.MapProviderConnectionsApi();
        api.MapRateLimitsApi();
    }
}
