using AgentOps.Guardrails.Redaction;
using AgentOps.Guardrails.Screening;

namespace AgentOps.Guardrails;

/// <summary>
/// A check's overall verdict and why: stable reason codes, in the order of the parts (redaction, injection, path),
/// and each part's own verdict (<see cref="Path"/> is Pass when no path was checked).
/// </summary>
public sealed record GuardrailDecision(ScreenAction Action, IReadOnlyList<string> Reasons, ScreenAction Redaction, ScreenAction Injection, ScreenAction Path)
{
    /// <summary>The only reason of a pass.</summary>
    public const string NothingFound = ScreenVerdict.NoRuleMatched;
}

/// <summary>
/// The overall verdict of a check from its parts, under an organization's policy. Pure. Block beats flag beats pass;
/// it fails closed: a text redaction did not screen (too large, a pattern's timeout, ...) blocks, and so does one the
/// injection screen could not read (too_large, screen_error), whatever the configured actions. Then:
/// <list type="bullet">
/// <item>a redacted kind whose action is block blocks (<c>redaction_blocked:API_KEY</c>), flag flags
/// (<c>redaction_flagged:EMAIL</c>); redact (the default) redacts and decides nothing;</item>
/// <item>the injection screen's score at or above the block score blocks (<c>injection_blocked</c>), or only flags when
/// the injection action is flag (<c>injection_would_block</c>); at or above the flag score it flags
/// (<c>injection_flagged</c>). A score counts only with a finding: a flag score of 0 does not flag every text;</item>
/// <item>a path, when one was checked, that is not eligible blocks (<c>path_denied</c>, <c>path_not_allowed</c>,
/// <c>path_invalid</c>).</item>
/// </list>
/// </summary>
public static class GuardrailDecisions
{
    public static GuardrailDecision Decide(GuardrailPolicy policy, NotScreenedReason notScreened, IReadOnlyList<RedactionCount> redactions, ScreenVerdict injection,
        PathDecision? path)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(redactions);
        ArgumentNullException.ThrowIfNull(injection);
        var reasons = new List<string>();
        var part = ScreenAction.Pass;
        void Add(ScreenAction a, string reason)
        {
            if (a > part) part = a;
            reasons.Add(reason);
        }

        if (notScreened != NotScreenedReason.None) Add(ScreenAction.Block, $"redaction_not_screened:{Snake(notScreened.ToString())}");
        foreach (var kind in redactions.Where(r => r.Occurrences > 0))
            switch (policy.ActionFor(kind.Kind))
            {
                case GuardrailAction.Block: Add(ScreenAction.Block, $"redaction_blocked:{kind.Kind}"); break;
                case GuardrailAction.Flag: Add(ScreenAction.Flag, $"redaction_flagged:{kind.Kind}"); break;
            }
        var redaction = part;

        part = ScreenAction.Pass;
        var unread = injection.Findings.FirstOrDefault(f => f.RuleId is ScreenRules.TooLarge or ScreenRules.ScreenError);
        if (unread is not null) Add(ScreenAction.Block, $"injection_not_screened:{unread.RuleId}");
        else if (injection.Findings.Count > 0 && injection.Score >= policy.InjectionBlockScore)
        {
            if (policy.InjectionAction == GuardrailAction.Block) Add(ScreenAction.Block, "injection_blocked");
            else Add(ScreenAction.Flag, "injection_would_block");
        }
        else if (injection.Findings.Count > 0 && injection.Score >= policy.InjectionFlagScore) Add(ScreenAction.Flag, "injection_flagged");
        var screen = part;

        part = ScreenAction.Pass;
        if (path is { Eligible: false })
            Add(ScreenAction.Block, path.Reason switch
            {
                PathDecision.Denied => "path_denied",
                PathDecision.NotAllowed => "path_not_allowed",
                _ => "path_invalid",
            });

        var overall = (ScreenAction)Math.Max((int)redaction, Math.Max((int)screen, (int)part));
        return new GuardrailDecision(overall, reasons.Count == 0 ? [GuardrailDecision.NothingFound] : reasons, redaction, screen, part);
    }

    /// <summary>TooLarge → too_large.</summary>
    private static string Snake(string name) => string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
