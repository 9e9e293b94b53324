using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Guardrails;

/// <summary>
/// The guardrails: the pipeline's pure steps (redaction, the injection screen, the prompt envelope and its hashes, the
/// path policy), each testable alone; the organization's configuration of them (<see cref="GuardrailConfigService"/>,
/// which is also the <see cref="IGuardrailPolicies"/> the pipeline asks); and the check API that runs them on a text.
/// </summary>
public sealed class GuardrailsModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings)
    {
        services.AddSingleton<GuardrailConfigService>();
        services.AddSingleton<IGuardrailPolicies>(sp => sp.GetRequiredService<GuardrailConfigService>());
        services.AddSingleton<GuardrailChecker>();
    }

    public void MapEndpoints(IEndpointRouteBuilder root, RouteGroupBuilder api) => api.MapGuardrailsApi();
}
