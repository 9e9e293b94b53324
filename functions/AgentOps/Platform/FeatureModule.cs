using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Platform;

/// <summary>
/// A feature as the composition root sees it: each feature folder has one module, and the application is the list of
/// them (<see cref="AgentOpsApplication.Modules"/>). A module registers the feature's services, its reactions and
/// after-commit handlers, its job kinds and its workers; reads and validates its own settings (errors are collected
/// by <see cref="Settings"/> and reported together at start-up); and maps its endpoints.
/// </summary>
public interface IFeatureModule
{
    void AddServices(IServiceCollection services, Settings settings) { }

    /// <summary>Maps the feature's routes: <paramref name="api"/> is /api/v1; <paramref name="root"/> for the few outside it.</summary>
    void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) { }
}
