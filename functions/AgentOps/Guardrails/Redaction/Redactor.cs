using System.Buffers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentOps.Guardrails.Redaction;

/// <summary>
/// The guardrail pipeline's redaction step: finds secrets and personal data in a text and replaces each value by its
/// placeholder from the call's <see cref="RedactionMap"/>. Built once per organization's <see cref="RedactionRules"/>
/// (the custom patterns are compiled then) and safe to share between threads.
/// <para>
/// Overlaps, resolved the same way every time: findings that overlap (of any detectors) are merged into one redacted
/// span covering all of them, so nothing any detector found survives; the span takes the kind of the longest finding,
/// then of the most specific (API_KEY, JWT, TOKEN, IBAN, CARD, EMAIL, PHONE, then custom patterns in the order of the
/// rules), then of the one that starts first. Placeholder-shaped text (<c>[LABEL_N]</c>) is never redacted: a finding
/// that overlaps one is dropped (built-in detectors never match brackets; this keeps a custom pattern from eating a
/// placeholder).
/// </para>
/// <para>
/// Settled: redaction repeats on its own output until nothing more is found (replacing a value can turn the text beside
/// it into a value of its own, e.g. digits glued to a custom id), so redacting a redacted text changes nothing.
/// </para>
/// <para>
/// Limits: texts of at most <see cref="MaxTextLength"/> characters, JSON nested at most <see cref="MaxJsonDepth"/> deep.
/// Above them, on invalid JSON for <see cref="RedactJson"/>, on a custom pattern's timeout or when the map is full,
/// the result is not screened and holds no text (fail closed).
/// </para>
/// </summary>
public sealed class Redactor
{
    /// <summary>1 MiB of characters per text (a prompt, one tool call's arguments, a log line).</summary>
    public const int MaxTextLength = 1 << 20;

    public const int MaxJsonDepth = 64;

    /// <summary>Redaction passes until the output settles (two in practice: the second finds nothing).</summary>
    internal const int MaxPasses = 8;

    private readonly DetectorInfo[] detectors;
    private readonly Regex[] custom;

    private Redactor(RedactionRules rules, Regex[] custom)
    {
        Rules = rules;
        this.custom = custom;
        detectors = [.. Detectors.BuiltIn, .. rules.Custom.Select((c, i) => new DetectorInfo("custom", RedactionKind.Custom, c.Name, Detectors.CustomRank + i))];
    }

    /// <summary>Every built-in detector, no custom pattern.</summary>
    public static Redactor Default { get; } = Create(RedactionRules.Default).Redactor!;

    public RedactionRules Rules { get; }

    /// <summary>The redactor for <paramref name="rules"/>, or null and every error with its path.</summary>
    public static (Redactor? Redactor, IReadOnlyList<RedactionRuleError> Errors) Create(RedactionRules rules, string path = "$")
    {
        ArgumentNullException.ThrowIfNull(rules);
        var errors = new List<RedactionRuleError>();
        var compiled = rules.Compile(path, errors);
        return compiled is null ? (null, errors) : (new Redactor(rules, compiled), errors);
    }

    /// <summary>Redacts a text (a message, a log line, a trace attribute, a cache key).</summary>
    public RedactionResult Redact(string text, RedactionMap map)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(map);
        if (text.Length > MaxTextLength) return Refuse(map, NotScreenedReason.TooLarge);
        List<RedactedSpan>? spans = null;
        var reason = Run(text, map, ref spans, null, out var redacted);
        if (reason != NotScreenedReason.None) return Refuse(map, reason);
        var result = RedactionResult.Done(redacted ?? text, spans?.ToArray());
        map.NoteScreened(result.Spans);
        return result;
    }

    /// <summary>
    /// Redacts a JSON document (a tool call's arguments): every string value and property name, and numbers that are
    /// values (a card number written as a number becomes a string placeholder). The layout and every other token are
    /// kept byte for byte; spans give the <see cref="RedactedSpan.JsonPath"/> of their string. Not screened when the
    /// text is not one strict JSON value.
    /// </summary>
    public RedactionResult RedactJson(string json, RedactionMap map)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(map);
        if (json.Length > MaxTextLength) return Refuse(map, NotScreenedReason.TooLarge);
        // The whole document's placeholder-shaped text is reserved before any of its strings is redacted, as for one text.
        if (json.Contains('[', StringComparison.Ordinal))
        {
            var tokens = new List<Finding>();
            foreach (var m in Placeholders.Shape().EnumerateMatches(json)) tokens.Add(new(m.Index, m.Length, -1));
            if (!map.Reserve(json, tokens)) return Refuse(map, NotScreenedReason.TooManyValues);
        }
        var rewriter = new Redacting(this, map);
        string redacted;
        try
        {
            redacted = RedactionJson.Rewrite(json, MaxJsonDepth, rewriter);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            return Refuse(map, NotScreenedReason.InvalidJson);
        }
        if (rewriter.Failure != NotScreenedReason.None) return Refuse(map, rewriter.Failure);
        var result = RedactionResult.Done(redacted, rewriter.Spans?.ToArray());
        map.NoteScreened(result.Spans);
        return result;
    }

    private static RedactionResult Refuse(RedactionMap map, NotScreenedReason reason)
    {
        map.NoteNotScreened();
        return RedactionResult.Refused(reason);
    }

    private sealed class Redacting(Redactor redactor, RedactionMap map) : RedactionJson.Rewriter
    {
        public List<RedactedSpan>? Spans;
        public NotScreenedReason Failure;

        public override string? Rewrite(ReadOnlySpan<char> value, bool isNumber, RedactionJson.Path path)
        {
            if (Failure != NotScreenedReason.None) return null;
            Failure = redactor.Run(value, map, ref Spans, path, out var redacted);
            return redacted;
        }
    }

    /// <summary>
    /// Redacts one text: reserves its placeholder-shaped tokens, finds, resolves overlaps, assigns placeholders, builds
    /// the output and repeats on the output until it settles. <paramref name="redacted"/> is null when nothing changed.
    /// </summary>
    private NotScreenedReason Run(ReadOnlySpan<char> text, RedactionMap map, ref List<RedactedSpan>? report, RedactionJson.Path? path, out string? redacted)
    {
        redacted = null;
        var s = Scratch.Rent();
        try
        {
            Tokens(text, s.Tokens);
            if (s.Tokens.Count > 0 && !map.Reserve(text, s.Tokens)) return NotScreenedReason.TooManyValues;
            Find(text, s.Found);
            Resolve(s.Found, s.Tokens, s.Spans);
            if (s.Spans.Count == 0) return NotScreenedReason.None;
            foreach (var span in s.Spans)
            {
                if (map.Assign(text.Slice(span.Start, span.Length), detectors[span.Detector].Label) is not { } entry) return NotScreenedReason.TooManyValues;
                s.Entries.Add(entry);
            }
            var output = Build(text, s.Spans, s.Entries);
            for (var pass = 1; custom.Length > 0 || !Settled(text, s.Spans); pass++)
            {
                Tokens(output, s.Tokens);
                Find(output, s.Found);
                Resolve(s.Found, s.Tokens, s.More);
                if (s.More.Count == 0) break;
                if (pass == MaxPasses) return NotScreenedReason.Unsettled;
                if (!MergeFromOutput(text, map, s)) return NotScreenedReason.TooManyValues;
                output = Build(text, s.Spans, s.Entries);
            }
            redacted = output;
            report ??= [];
            var at = path?.ToString();
            for (var i = 0; i < s.Spans.Count; i++)
            {
                var span = s.Spans[i];
                report.Add(new RedactedSpan(s.Entries[i].Label, detectors[span.Detector].Name, span.Start, span.Length, s.Entries[i].Placeholder, at));
            }
            return NotScreenedReason.None;
        }
        catch (RegexMatchTimeoutException)
        {
            return NotScreenedReason.Timeout;
        }
        finally
        {
            Scratch.Return(s);
        }
    }

    /// <summary>
    /// Whether a second pass could find nothing new, so it is skipped: the built-in detectors look at most two characters
    /// around a value, and every span here stands between delimiters whose meaning to them does not change when the value
    /// beside becomes a placeholder (white space, quotes, brackets, = ; | ! ? and the like; , . - : / only when no digit,
    /// + or ( follows). Custom patterns may look further (\b, anchors): with any, the output is always checked again.
    /// </summary>
    private static bool Settled(ReadOnlySpan<char> text, List<Finding> spans)
    {
        foreach (var span in spans)
        {
            if (span.Start > 0 && !(Delimiter(text[span.Start - 1]) || text[span.Start - 1] == '(')) return false;
            if (span.End >= text.Length) continue;
            var after = text[span.End];
            var next = span.End + 1 < text.Length ? text[span.End + 1] : ' ';
            if (!(Delimiter(after) || after == ')' || after is ',' or '.' or '-' or ':' or '/' && !(char.IsAsciiDigit(next) || next is '+' or '('))) return false;
        }
        return true;

        static bool Delimiter(char c) => char.IsWhiteSpace(c) || c is '"' or '\'' or '<' or '>' or '[' or ']' or '{' or '}' or ';' or '|' or '!' or '?' or '*' or '&' or '^' or '`' or '\\' or '=';
    }

    private static void Tokens(ReadOnlySpan<char> text, List<Finding> tokens)
    {
        tokens.Clear();
        if (text.IndexOf('[') < 0) return;
        foreach (var m in Placeholders.Shape().EnumerateMatches(text)) tokens.Add(new(m.Index, m.Length, -1));
    }

    private void Find(ReadOnlySpan<char> text, List<Finding> found)
    {
        found.Clear();
        Detectors.Find(text, Rules.Detectors, found);
        for (var i = 0; i < custom.Length; i++)
            foreach (var m in custom[i].EnumerateMatches(text))
                if (m.Length > 0) found.Add(new(m.Index, m.Length, Detectors.Custom0 + i));
    }

    private static readonly Comparison<Finding> ByStart = static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.Length.CompareTo(a.Length);

    /// <summary>
    /// Drops findings that overlap a placeholder-shaped token and merges overlapping ones into one span labelled by the
    /// winner (longest, then lowest rank, then first), in order of position.
    /// </summary>
    private void Resolve(List<Finding> found, List<Finding> tokens, List<Finding> spans)
    {
        spans.Clear();
        if (found.Count == 0) return;
        found.Sort(ByStart);
        var t = 0;
        bool open = false;
        int start = 0, end = 0;
        Finding best = default;
        foreach (var f in found)
        {
            while (t < tokens.Count && tokens[t].End <= f.Start) t++;
            if (t < tokens.Count && tokens[t].Start < f.End) continue;
            if (open && f.Start < end)
            {
                end = Math.Max(end, f.End);
                if (f.Length > best.Length || f.Length == best.Length && detectors[f.Detector].Rank < detectors[best.Detector].Rank) best = f;
                continue;
            }
            if (open) spans.Add(new(start, end - start, best.Detector));
            open = true;
            (start, end, best) = (f.Start, f.End, f);
        }
        if (open) spans.Add(new(start, end - start, best.Detector));
    }

    /// <summary>
    /// Adds what a later pass found in the output (s.More, output positions, never overlapping a placeholder) to s.Spans
    /// in positions of the original text, keeping both lists in order.
    /// </summary>
    private bool MergeFromOutput(ReadOnlySpan<char> text, RedactionMap map, Scratch s)
    {
        s.Merged.Clear();
        s.MergedEntries.Clear();
        int i = 0, shift = 0;
        foreach (var f in s.More)
        {
            // Spans whose placeholder ends at or before f in the output come first.
            while (i < s.Spans.Count && s.Spans[i].Start + shift + s.Entries[i].Placeholder.Length <= f.Start)
            {
                shift += s.Entries[i].Placeholder.Length - s.Spans[i].Length;
                s.Merged.Add(s.Spans[i]);
                s.MergedEntries.Add(s.Entries[i]);
                i++;
            }
            var at = new Finding(f.Start - shift, f.Length, f.Detector);
            if (map.Assign(text.Slice(at.Start, at.Length), detectors[at.Detector].Label) is not { } entry) return false;
            s.Merged.Add(at);
            s.MergedEntries.Add(entry);
        }
        for (; i < s.Spans.Count; i++)
        {
            s.Merged.Add(s.Spans[i]);
            s.MergedEntries.Add(s.Entries[i]);
        }
        (s.Spans, s.Merged) = (s.Merged, s.Spans);
        (s.Entries, s.MergedEntries) = (s.MergedEntries, s.Entries);
        return true;
    }

    private static string Build(ReadOnlySpan<char> text, List<Finding> spans, List<MapEntry> entries)
    {
        var length = text.Length;
        for (var i = 0; i < spans.Count; i++) length += entries[i].Placeholder.Length - spans[i].Length;
        var buffer = ArrayPool<char>.Shared.Rent(length);
        try
        {
            int copied = 0, w = 0;
            for (var i = 0; i < spans.Count; i++)
            {
                var piece = text[copied..spans[i].Start];
                piece.CopyTo(buffer.AsSpan(w));
                w += piece.Length;
                entries[i].Placeholder.CopyTo(buffer.AsSpan(w));
                w += entries[i].Placeholder.Length;
                copied = spans[i].End;
            }
            text[copied..].CopyTo(buffer.AsSpan(w));
            return new string(buffer, 0, length);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>Per-thread working lists, so redacting allocates only its output.</summary>
    private sealed class Scratch
    {
        public readonly List<Finding> Tokens = [];
        public readonly List<Finding> Found = [];
        public readonly List<Finding> More = [];
        public List<Finding> Spans = [];
        public List<Finding> Merged = [];
        public List<MapEntry> Entries = [];
        public List<MapEntry> MergedEntries = [];

        [ThreadStatic] private static Scratch? cached;

        public static Scratch Rent()
        {
            var s = cached ?? new Scratch();
            cached = null;
            s.Spans.Clear();
            s.Entries.Clear();
            return s;
        }

        public static void Return(Scratch s)
        {
            // Keep no values alive (entries hold placeholders only, but a huge list should not stay either).
            if (s.Found.Capacity > 4096) return;
            s.Entries.Clear();
            s.MergedEntries.Clear();
            cached = s;
        }
    }
}
