using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentOps.FaultInjection;

/// <summary>
/// The fault hook for SDK conformance tests (docs/api.md "Fault injection"): off unless AGENTOPS_FAULT_INJECTION=true.
/// Off, it registers nothing, maps nothing and adds no request step. The application has no notion of a production
/// environment to refuse it in, so start-up logs a warning whenever it is on; docs/configuration.md says never to set it
/// in production (any organization admin could make the API fail on purpose).
/// </summary>
public sealed class FaultInjectionModule : IFeatureModule
{
    public const string SettingName = "AGENTOPS_FAULT_INJECTION";

    public void AddServices(IServiceCollection services, Settings settings)
    {
        if (settings.Bool(SettingName)) services.AddSingleton<FaultBoard>();
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api)
    {
        if (FaultInjectionApi.BoardOf(root.ServiceProvider) is not null) api.MapFaultInjectionApi();
    }

    /// <summary>Adds the request step when the hook is on (after access, which names the caller's organization).</summary>
    public static IApplicationBuilder UseFaultInjection(IApplicationBuilder app)
    {
        if (FaultInjectionApi.BoardOf(app.ApplicationServices) is not { } board) return app;
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("AgentOps.FaultInjection");
        logger.LogWarning(
            "{Setting} is on: organization admins can make this server answer errors on purpose (POST /api/v1/test/faults). For SDK tests only; never in production.",
            SettingName);
        return app.Use(FaultInjectionApi.Middleware(board, logger));
    }
}
