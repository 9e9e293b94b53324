using AgentOps.Guardrails.Redaction;
using AgentOps.Guardrails.Screening;

namespace AgentOps.Guardrails;

/// <summary>What the pipeline does with a finding: replace it by a placeholder, refuse the call, or let it through on record.</summary>
public enum GuardrailAction { Redact, Block, Flag }

/// <summary>
/// An organization's guardrails (defaults: <see cref="Default"/>). <see cref="Redaction"/> says which detectors run and
/// the organization's own patterns; <see cref="RedactionActions"/> what a finding of a kind (its label: API_KEY, EMAIL,
/// a custom name) does, redact when absent; the injection screen blocks at <see cref="InjectionBlockScore"/> and flags
/// at <see cref="InjectionFlagScore"/> or more (its verdict's score); <see cref="InjectionAction"/> Flag records a
/// would-be block instead of refusing (for a trial period). <see cref="RestoreOriginals"/> lets the answer carry the
/// originals back in place of placeholders, for callers that may see them.
/// </summary>
public sealed record GuardrailPolicy(
    RedactionRules Redaction,
    IReadOnlyDictionary<string, GuardrailAction> RedactionActions,
    GuardrailAction InjectionAction,
    double InjectionBlockScore,
    double InjectionFlagScore,
    bool RestoreOriginals)
{
    public static GuardrailPolicy Default { get; } = new(RedactionRules.Default, new Dictionary<string, GuardrailAction>(), GuardrailAction.Block,
        InjectionScreen.BlockScore, 0.0001, RestoreOriginals: false);

    /// <summary>The action for a kind's label (API_KEY, EMAIL, EMPLOYEE_ID): the configured one, else redact.</summary>
    public GuardrailAction ActionFor(string label) => RedactionActions.TryGetValue(label, out var action) ? action : GuardrailAction.Redact;
}

/// <summary>Gives an organization's guardrail policy (its saved configuration, or the defaults).</summary>
public interface IGuardrailPolicies
{
    Task<GuardrailPolicy> GetAsync(Guid orgId, CancellationToken ct);
}
