using AgentOps.Guardrails.Pipeline;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Llm;

/// <summary>
/// Model calls made by the platform and its callers: the guardrail pipeline (Guardrails/Pipeline) with its durable
/// side (<see cref="LlmLedger"/>: audit rows, runs, cost), and the API that runs a call through it.
/// </summary>
public sealed class LlmModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings)
    {
        services.AddSingleton<ResponseCache>();
        services.AddSingleton<ILlmLedger, LlmLedger>();
        services.AddSingleton<GuardrailPipeline>();
        services.AddSingleton<LlmService>();
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapLlmApi();
}
