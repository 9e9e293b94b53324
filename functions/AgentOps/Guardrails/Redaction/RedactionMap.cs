using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace AgentOps.Guardrails.Redaction;

/// <summary>A value's placeholder and its label (the kind it was first redacted as).</summary>
internal sealed record MapEntry(string Placeholder, string Label);

/// <summary>
/// The placeholders of one call (one model call with its messages, tool-call arguments, log lines, trace attributes and
/// cache keys): every text of the call is redacted through the same map, so the same value becomes the same
/// placeholder everywhere, and <see cref="Restore"/> puts the originals back for a caller allowed to see them.
/// <para>
/// Numbering: per label from 1, in the order values are first met. Placeholder-shaped text (<c>[LABEL_N]</c>) in an
/// input is never redacted nor changed: if this map issued it, it stands for its value (a model that echoes
/// "[EMAIL_1]" back gets the address restored); if not, its number is reserved before anything in that text is issued,
/// so the map never issues it and <see cref="Restore"/> leaves it as it was. Hence Restore(Redact(x)) == x for every x
/// except one that quotes a placeholder this map issued for an earlier text, which restores to the value.
/// </para>
/// Safe to use from several threads; at most <see cref="MaxValues"/> distinct values and as many reserved tokens.
/// </summary>
public sealed class RedactionMap
{
    public const int MaxValues = 100_000;

    private readonly Lock gate = new();
    private readonly Dictionary<string, MapEntry> byValue = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> byPlaceholder = new(StringComparer.Ordinal);
    private readonly HashSet<string> reserved = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> lastNumber = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Occurrences, int Values)> counts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MapEntry>.AlternateLookup<ReadOnlySpan<char>> byValueSpan;
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> byPlaceholderSpan;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> reservedSpan;
    private int screened;
    private int notScreened;

    public RedactionMap()
    {
        byValueSpan = byValue.GetAlternateLookup<ReadOnlySpan<char>>();
        byPlaceholderSpan = byPlaceholder.GetAlternateLookup<ReadOnlySpan<char>>();
        reservedSpan = reserved.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>How many distinct values the map holds.</summary>
    public int Count
    {
        get { lock (gate) return byValue.Count; }
    }

    /// <summary>The original behind a placeholder this map issued.</summary>
    public bool TryGetOriginal(string placeholder, [MaybeNullWhen(false)] out string original)
    {
        lock (gate) return byPlaceholder.TryGetValue(placeholder, out original);
    }

    /// <summary>The placeholders issued for a label (EMAIL, API_KEY, a custom name) with their originals.</summary>
    public IReadOnlyList<(string Placeholder, string Original)> Entries(string label)
    {
        lock (gate) return [.. byValue.Where(e => e.Value.Label == label).Select(e => (e.Value.Placeholder, e.Key))];
    }

    /// <summary>The text with every placeholder this map issued replaced by its original; other text is left as it is.</summary>
    public string Restore(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Restore(text.AsSpan()) ?? text;
    }

    /// <summary>
    /// JSON redacted by <see cref="Redactor.RedactJson"/> with its string values restored (each re-encoded as JSON, so
    /// an original holding quotes or backslashes keeps the document valid). Throws <see cref="System.Text.Json.JsonException"/>
    /// when <paramref name="json"/> is not JSON.
    /// </summary>
    public string RestoreJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return RedactionJson.Rewrite(json, Redactor.MaxJsonDepth, new Restoring(this));
    }

    /// <summary>The call's audit summary: kinds and counts, never values.</summary>
    public RedactionReport Report()
    {
        lock (gate)
            return new RedactionReport([.. counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => new RedactionCount(c.Key, c.Value.Occurrences, c.Value.Values))],
                screened, notScreened);
    }

    /// <summary>The restored text, or null when it holds no placeholder of this map.</summary>
    internal string? Restore(ReadOnlySpan<char> text)
    {
        if (text.IndexOf('[') < 0) return null;
        StringBuilder? restored = null;
        var copied = 0;
        lock (gate)
            foreach (var m in Placeholders.Shape().EnumerateMatches(text))
            {
                if (!byPlaceholderSpan.TryGetValue(text.Slice(m.Index, m.Length), out var original)) continue;
                restored ??= new StringBuilder(text.Length + 64);
                restored.Append(text[copied..m.Index]).Append(original);
                copied = m.Index + m.Length;
            }
        return restored?.Append(text[copied..]).ToString();
    }

    /// <summary>Reserves the placeholder-shaped tokens of an input that this map did not issue; false past the limit.</summary>
    internal bool Reserve(ReadOnlySpan<char> text, List<Finding> tokens)
    {
        lock (gate)
            foreach (var t in tokens)
            {
                var token = text.Slice(t.Start, t.Length);
                if (byPlaceholderSpan.ContainsKey(token) || reservedSpan.Contains(token)) continue;
                if (reserved.Count >= MaxValues) return false;
                reserved.Add(token.ToString());
            }
        return true;
    }

    /// <summary>The value's placeholder, issued now if the value is new; null past the limits.</summary>
    internal MapEntry? Assign(ReadOnlySpan<char> value, string label)
    {
        lock (gate)
        {
            if (byValueSpan.TryGetValue(value, out var known)) return known;
            if (byValue.Count >= MaxValues) return null;
            lastNumber.TryGetValue(label, out var number);
            string placeholder;
            do
            {
                if (++number > Placeholders.MaxNumber) return null;
                placeholder = Placeholders.Format(label, number);
            } while (reserved.Contains(placeholder));
            lastNumber[label] = number;
            var entry = new MapEntry(placeholder, label);
            var key = value.ToString();
            byValue.Add(key, entry);
            byPlaceholder.Add(placeholder, key);
            counts[label] = counts.TryGetValue(label, out var c) ? (c.Occurrences, c.Values + 1) : (0, 1);
            return entry;
        }
    }

    internal void NoteScreened(IReadOnlyList<RedactedSpan> spans)
    {
        lock (gate)
        {
            screened++;
            foreach (var s in spans)
                counts[s.Kind] = counts.TryGetValue(s.Kind, out var c) ? (c.Occurrences + 1, c.Values) : (1, 0);
        }
    }

    internal void NoteNotScreened()
    {
        lock (gate) notScreened++;
    }

    private sealed class Restoring(RedactionMap map) : RedactionJson.Rewriter
    {
        public override string? Rewrite(ReadOnlySpan<char> value, bool isNumber, RedactionJson.Path path) => isNumber ? null : map.Restore(value);
    }
}
