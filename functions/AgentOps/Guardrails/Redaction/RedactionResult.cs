using System.Diagnostics.CodeAnalysis;

namespace AgentOps.Guardrails.Redaction;

/// <summary>Why a text was not screened. The pipeline fails closed on any of them: the text goes nowhere.</summary>
public enum NotScreenedReason
{
    None,
    /// <summary>Longer than <see cref="Redactor.MaxTextLength"/> characters.</summary>
    TooLarge,
    /// <summary>RedactJson was given text that is not one JSON value (or nests deeper than <see cref="Redactor.MaxJsonDepth"/>).</summary>
    InvalidJson,
    /// <summary>A custom pattern ran past <see cref="RedactionRules.PatternTimeout"/>.</summary>
    Timeout,
    /// <summary>The map already holds <see cref="RedactionMap.MaxValues"/> values (or a label ran out of numbers).</summary>
    TooManyValues,
    /// <summary>Redacting the output kept finding more after <see cref="Redactor.MaxPasses"/> passes (not expected; fails closed).</summary>
    Unsettled,
}

/// <summary>
/// One redacted value, for audit: where it was (in the text given, or for JSON in the string at <see cref="JsonPath"/>,
/// unescaped), its kind, which detector found it and the placeholder it became. Never the value itself.
/// </summary>
public sealed record RedactedSpan(string Kind, string Detector, int Start, int Length, string Placeholder, string? JsonPath = null);

/// <summary>How many values of a kind: every occurrence, and how many distinct values.</summary>
public sealed record RedactionCount(string Kind, int Occurrences, int Values);

/// <summary>
/// The outcome of redacting one text. When <see cref="Screened"/> is false there is no text at all: <see cref="Text"/>
/// throws, so a caller that forgets to look cannot pass raw text on as if it were redacted.
/// </summary>
public sealed class RedactionResult
{
    private static readonly RedactedSpan[] NoSpans = [];
    private readonly string? text;

    private RedactionResult(string? text, NotScreenedReason reason, RedactedSpan[] spans)
    {
        this.text = text;
        Reason = reason;
        Spans = spans;
    }

    internal static RedactionResult Done(string text, RedactedSpan[]? spans) => new(text, NotScreenedReason.None, spans ?? NoSpans);

    internal static RedactionResult Refused(NotScreenedReason reason) => new(null, reason, NoSpans);

    public bool Screened => Reason == NotScreenedReason.None;

    public NotScreenedReason Reason { get; }

    /// <summary>The redacted text (the same instance as the input when nothing was found).</summary>
    public string Text => text ?? throw new InvalidOperationException(
        $"The text was not screened ({Reason}): it must not be used, neither raw nor as if redacted.");

    public bool TryGetText([NotNullWhen(true)] out string? redacted)
    {
        redacted = text;
        return text is not null;
    }

    /// <summary>The redacted values in order of position (for JSON, in document order).</summary>
    public IReadOnlyList<RedactedSpan> Spans { get; }

    /// <summary>Counts per kind, for audit (kinds and counts only).</summary>
    public IReadOnlyList<RedactionCount> Counts => RedactionReport.CountsOf(Spans);
}

/// <summary>
/// What one call redacted, for the audit log: per kind the occurrences and distinct values, and how many texts were
/// screened or refused. Holds no value and no placeholder-to-value pair.
/// </summary>
public sealed record RedactionReport(IReadOnlyList<RedactionCount> Kinds, int TextsScreened, int TextsNotScreened)
{
    public int Total => Kinds.Sum(k => k.Occurrences);

    /// <summary>"EMAIL=2/1 CARD=1/1" (occurrences / distinct values), "none" when nothing was redacted.</summary>
    public override string ToString() =>
        Kinds.Count == 0 ? "none" : string.Join(' ', Kinds.Select(k => $"{k.Kind}={k.Occurrences}/{k.Values}"));

    internal static IReadOnlyList<RedactionCount> CountsOf(IReadOnlyList<RedactedSpan> spans) =>
        spans.Count == 0 ? [] : [.. spans.GroupBy(s => s.Kind, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new RedactionCount(g.Key, g.Count(), g.Select(s => s.Placeholder).Distinct(StringComparer.Ordinal).Count()))];
}
