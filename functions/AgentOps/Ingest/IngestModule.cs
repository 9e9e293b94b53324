using AgentOps.Contracts;
using AgentOps.Ingest.Otlp;
using AgentOps.Platform.Events;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Ingest;

public sealed class IngestModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings)
    {
        services.AddSingleton(IngestOptions.Read(settings));
        services.AddSingleton<IngestRateLimits>().AddAfterCommit<IngestRateLimits, OrganizationUpdated>();
        services.AddSingleton<BatchProcessor>();
        services.AddSingleton<IngestAcceptor>();
        services.AddSingleton<IngestBacklog>();
        // Needs the host's IAcceptedBatchSink; each host runs it as a hosted service after its sink (AddDecisionEventBuffer).
        services.AddSingleton<DecisionEventBuffer>();
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api)
    {
        api.MapIngestApi();
        api.MapOtlpApi();
    }
}
