using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Costs;

public sealed class CostsModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings)
    {
        services.AddSingleton<PriceBook>();
        services.AddSingleton<PriceService>();
        services.AddSingleton<CostService>();
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api)
    {
        api.MapPricesApi();
        api.MapCostsApi();
    }
}
