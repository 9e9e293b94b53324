using AgentOps.Providers.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Providers;

/// <summary>
/// Model providers: the adapters that call OpenAI (and Azure OpenAI and compatible servers), Anthropic, Gemini and a
/// simulated provider, behind <see cref="IModelProvider"/>, built per organization from its provider connections
/// (Connections/: endpoint, options, default models per task, the credential encrypted at rest).
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
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapProviderConnectionsApi();
}
