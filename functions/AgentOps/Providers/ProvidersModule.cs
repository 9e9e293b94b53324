using AgentOps.Providers.RateBudgets;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Providers;

/// <summary>
/// Model providers: the adapters that call OpenAI (and Azure OpenAI and compatible servers), Anthropic, and a
/// simulated provider, behind <see cref="IModelProvider"/>. Adapters are built per connection (its base URL, options
/// and credential), which the guardrail pipeline's later slices own. The shared rate budgets of model calls
/// (<see cref="IRateBudget"/>, over Postgres) and their limits' API live here.
/// </summary>
public sealed class ProvidersModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings)
    {
        services.AddSingleton(RateBudgetOptions.Read(settings)).AddSingleton<IRateBudget, PostgresRateBudget>().AddSingleton<RateLimitsService>();
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api)
    {
        api.MapRateLimitsApi();
    }
}
