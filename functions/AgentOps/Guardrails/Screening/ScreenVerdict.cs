using System.Globalization;

namespace AgentOps.Guardrails.Screening;

/// <summary>What the pipeline does with a screened text: let it through, let it through on record, or refuse it.</summary>
public enum ScreenAction
{
    Pass,
    Flag,
    Block,
}

/// <summary>A span of the screened text, in UTF-16 code units (as <c>string</c> indexes count).</summary>
public readonly record struct ScreenSpan(int Start, int Length)
{
    public int End => Start + Length;

    public override string ToString() => $"[{Start}, {End})";
}

/// <summary>
/// One rule that matched. <see cref="RuleId"/> is stable (<see cref="InjectionScreen.Rules"/> lists them all);
/// <see cref="Span"/> is in the screened text as given (for a decoded payload: where the encoded text sits);
/// <see cref="Form"/> says which reading of the text matched (raw, normalized, leet, letters, rot13, reversed,
/// base64, hex, binary, url, escapes, tags, variation_selectors); <see cref="Weight"/> is the rule's weight in
/// (0, 1].
/// </summary>
public sealed record ScreenFinding(string RuleId, string Reason, ScreenSpan Span, string Form, double Weight);

/// <summary>
/// The screen's answer. <see cref="Score"/> is 1 − ∏(1 − w) over the distinct rules that matched (each at its
/// highest weight), rounded to 4 places: Block at <see cref="InjectionScreen.BlockScore"/> or more, Flag for any
/// finding below that, Pass only with no finding. <see cref="Reasons"/> is never empty: the distinct rule ids in
/// order of first appearance, or <c>no_rule_matched</c>.
/// </summary>
public sealed record ScreenVerdict(ScreenAction Action, double Score, IReadOnlyList<ScreenFinding> Findings)
{
    public const string NoRuleMatched = "no_rule_matched";

    public IReadOnlyList<string> Reasons { get; } = Findings.Count == 0 ? [NoRuleMatched] : [.. Findings.Select(f => f.RuleId).Distinct()];

    /// <summary>One line for logs and audit records: action, score and reasons.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture, $"{Action.ToString().ToLowerInvariant()} score={Score:0.####} reasons={string.Join(',', Reasons)}");
}
