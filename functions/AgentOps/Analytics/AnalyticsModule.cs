using AgentOps.Analytics.ClickHouse;
using AgentOps.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentOps.Analytics;

/// <summary>ClickHouse when configured (its schema ensured at start-up, the export job kind offered), else the same queries over Postgres.</summary>
public sealed class AnalyticsModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings)
    {
        var analytics = AnalyticsOptions.Read(settings);
        services.AddSingleton(analytics);
        if (analytics.ClickHouse() is { } clickHouse)
        {
            services.AddSingleton(sp => new ClickHouseClient(clickHouse, sp.GetService<ILogger<ClickHouseClient>>()));
            services.AddSingleton<ClickHouseExport>();
            services.AddSingleton<IJobKind, ClickHouseExportJobKind>();
            services.AddSingleton<IAnalytics, ClickHouseAnalytics>();
            services.AddHostedService<ClickHouseSchemaService>();
        }
        else services.AddSingleton<IAnalytics, PostgresAnalytics>();
        services.AddSingleton<HourlyRollups>();
        services.AddSingleton<AnalyticsService>();
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapAnalyticsApi();
}
