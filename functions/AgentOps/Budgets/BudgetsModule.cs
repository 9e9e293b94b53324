using AgentOps.Contracts;
using AgentOps.Platform.Events;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Budgets;

public sealed class BudgetsModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings)
    {
        services.AddSingleton<BudgetService>();
        services.AddReaction<AddAccruedCostToBudgets, CostsAccrued>();
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapBudgetsApi();
}
