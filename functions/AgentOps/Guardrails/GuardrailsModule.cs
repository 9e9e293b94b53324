namespace AgentOps.Guardrails;

/// <summary>
/// The guardrail pipeline's steps (redaction, the injection screen, the prompt envelope and its hashes, the path
/// policy): pure units, each testable alone. Nothing is registered or mapped yet: the pipeline that runs them in order
/// for every model call, and its API, are the next slices.
/// </summary>
public sealed class GuardrailsModule : IFeatureModule
{
}
