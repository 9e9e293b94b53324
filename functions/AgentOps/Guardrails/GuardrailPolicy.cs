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
/// originals back in place of placeholders, for callers that may see them. <see cref="PathAllow"/> and
/// <see cref="PathDeny"/> are the path policy's prefixes for code-context callers (<see cref="PathPolicy"/>: eligible
/// when no deny prefix matches and some allow prefix does; none by default, so no file is eligible until allowed).
/// An organization's saved configuration is read and written in the JSON of <see cref="GuardrailPolicyJson"/>.
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

    /// <summary>Allow prefixes of the path policy (normalized by <see cref="PathPolicy"/> when checked).</summary>
    public IReadOnlyList<string> PathAllow { get; init; } = [];

    /// <summary>Deny prefixes of the path policy: a match refuses the path whatever the allow prefixes say.</summary>
    public IReadOnlyList<string> PathDeny { get; init; } = [];

    /// <summary>
    /// The redactor for <see cref="Redaction"/>, compiled once per rules instance (building one compiles the custom
    /// patterns) and kept as long as the rules are: a cached policy hands every call the same redactor. Keyed by the
    /// rules object, not held in the record, so a copy with other rules never answers with a stale redactor. Throws
    /// when the rules are invalid (a policy built by <see cref="GuardrailPolicyJson.Parse"/> never has such rules).
    /// </summary>
    public Redactor CompiledRedactor() => Redactors.GetValue(Redaction, rules => ReferenceEquals(rules, RedactionRules.Default)
        ? Redactor.Default
        : Redactor.Create(rules).Redactor ?? throw new InvalidOperationException("The policy's redaction rules are invalid: validate them first."));

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<RedactionRules, Redactor> Redactors = new();

    /// <summary>The action for a kind's label (API_KEY, EMAIL, EMPLOYEE_ID): the configured one, else redact.</summary>
    public GuardrailAction ActionFor(string label) => RedactionActions.TryGetValue(label, out var action) ? action : GuardrailAction.Redact;
}

/// <summary>Gives an organization's guardrail policy (its saved configuration, or the defaults).</summary>
public interface IGuardrailPolicies
{
    Task<GuardrailPolicy> GetAsync(Guid orgId, CancellationToken ct);
}
