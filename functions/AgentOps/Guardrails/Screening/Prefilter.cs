using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace AgentOps.Guardrails.Screening;

/// <summary>
/// What a text must contain before a pattern can match in it: a Boolean formula over literal strings (every match of
/// the pattern contains the literals the formula asks for), derived from the pattern itself by
/// <see cref="NeedAnalyzer"/>. A formula that is not met proves the pattern cannot match, so the screen skips that
/// regular expression without changing a verdict; <see cref="Anything"/> (nothing provable) always runs it.
/// </summary>
internal abstract class Need
{
    public static readonly Need Anything = new AnyNeed();

    public abstract bool IsMet(bool[] present);

    /// <summary>The literals the formula mentions.</summary>
    public abstract IEnumerable<Literal> Literals();

    public sealed class Literal(string text) : Need
    {
        public string Text { get; } = text;

        /// <summary>Its index in the <see cref="KeywordIndex"/> of its rule set (assigned when the set is built).</summary>
        public int Id { get; set; } = -1;

        public override bool IsMet(bool[] present) => present[Id];

        public override IEnumerable<Literal> Literals() => [this];

        public override string ToString() => $"'{Text}'";
    }

    public sealed class All(IReadOnlyList<Need> parts) : Need
    {
        public IReadOnlyList<Need> Parts { get; } = parts;

        public override bool IsMet(bool[] present)
        {
            foreach (var part in Parts)
                if (!part.IsMet(present)) return false;
            return true;
        }

        public override IEnumerable<Literal> Literals() => Parts.SelectMany(p => p.Literals());

        public override string ToString() => "(" + string.Join(" & ", Parts) + ")";
    }

    public sealed class OneOf(IReadOnlyList<Need> parts) : Need
    {
        public IReadOnlyList<Need> Parts { get; } = parts;

        public override bool IsMet(bool[] present)
        {
            foreach (var part in Parts)
                if (part.IsMet(present)) return true;
            return false;
        }

        public override IEnumerable<Literal> Literals() => Parts.SelectMany(p => p.Literals());

        public override string ToString() => "(" + string.Join(" | ", Parts) + ")";
    }

    private sealed class AnyNeed : Need
    {
        public override bool IsMet(bool[] present) => true;

        public override IEnumerable<Literal> Literals() => [];

        public override string ToString() => "*";
    }

    /// <summary>Shorter than <see cref="NeedAnalyzer.MinLiteralLength"/>; a word of two characters beyond ASCII (指示, 이전) is long enough.</summary>
    private static bool IsShort(string s) => s.Length < (s.Any(c => c >= 0x80) ? 2 : NeedAnalyzer.MinLiteralLength);

    /// <summary>A formula that is met when every part is (parts that need nothing are dropped).</summary>
    public static Need AllOf(IEnumerable<Need> parts)
    {
        var list = parts.Where(p => p != Anything).ToList();
        return list.Count switch { 0 => Anything, 1 => list[0], _ => new All(list) };
    }

    /// <summary>A formula that is met when any part is (one part that needs nothing makes it need nothing).</summary>
    public static Need AnyOf(IEnumerable<Need> parts)
    {
        var list = parts.ToList();
        if (list.Count == 0 || list.Contains(Anything)) return Anything;
        return list.Count == 1 ? list[0] : new OneOf(list);
    }

    /// <summary>
    /// One of these strings. A string holding another one is dropped (the shorter is in the text whenever the longer
    /// is); a string shorter than <see cref="NeedAnalyzer.MinLiteralLength"/> would be found nearly everywhere, so a
    /// set holding one needs nothing (which is always true, so still sound).
    /// </summary>
    public static Need AnyString(IEnumerable<string> strings)
    {
        var set = strings.Distinct(StringComparer.Ordinal).ToList();
        if (set.Count == 0 || set.Any(IsShort)) return Anything;
        var kept = set.Where(s => !set.Any(o => o != s && s.Contains(o, StringComparison.Ordinal))).OrderBy(s => s, StringComparer.Ordinal).ToList();
        return AnyOf(kept.Select(s => (Need)new Literal(s)));
    }
}

/// <summary>
/// Where every match of a pattern starts: at an occurrence of one of <see cref="Strings"/>, or (with
/// <see cref="LineStart"/>) at the start of a line. The screen then tries the pattern anchored at those places only.
/// </summary>
internal sealed record Lead(IReadOnlyList<LeadPart> Parts, bool LineStart)
{
    public IEnumerable<string> Strings => Parts.SelectMany(p => p.Strings);

    public static Lead Of(IReadOnlyList<string> strings, bool wordStart, bool wordEnd, Gap? then = null) => new([new LeadPart(strings, wordStart, wordEnd, then)], false);
}

/// <summary>What follows a lead: <see cref="Min"/> to <see cref="Max"/> non-word characters, then one of <see cref="Strings"/>.</summary>
internal sealed record Gap(int Min, int Max, IReadOnlyList<string> Strings);

/// <summary>
/// Lead strings of one branch. With <see cref="WordStart"/> the pattern has <c>\b</c> before them, with
/// <see cref="WordEnd"/> a <c>\b</c> or <c>\W</c> after them; <see cref="Then"/>: what comes after them.
/// </summary>
internal sealed record LeadPart(IReadOnlyList<string> Strings, bool WordStart, bool WordEnd, Gap? Then)
{
    /// <summary>
    /// Whether a match can start at <paramref name="at"/>, where a string of this part <paramref name="length"/> long
    /// occurs. Neither <c>\b</c> nor <c>\W</c> holds between two ASCII letters, digits or underscores (word characters
    /// for every engine), so a string inside a word ("do" in "document") is no start; and <see cref="Then"/> must be
    /// there after it (a character beyond ASCII counts as a possible non-word character: the check only ever lets more through).
    /// </summary>
    public bool CanStart(string text, int at, int length)
    {
        if (WordStart && at > 0 && IsWord(text[at - 1]) && IsWord(text[at])) return false;
        var end = at + length;
        if (WordEnd && end < text.Length && IsWord(text[end - 1]) && IsWord(text[end])) return false;
        if (Then is not { } then) return true;
        for (var k = 0; k <= then.Max && end + k <= text.Length; k++)
        {
            if (k >= then.Min)
                foreach (var s in then.Strings)
                    if (text.AsSpan(end + k).StartsWith(s, StringComparison.Ordinal)) return true;
            if (end + k >= text.Length || IsWord(text[end + k])) break;
        }
        return false;
    }

    private static bool IsWord(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}

/// <summary>
/// Derives a <see cref="Need"/> from a regular expression of the subset the screen's rules use (literals, escapes,
/// character classes, groups, alternation, greedy and lazy quantifiers, anchors and <c>\b</c>; with
/// <see cref="RegexOptions.IgnorePatternWhitespace"/> as the word rules are written). It tracks, for each piece of the
/// pattern, the exact strings it can match while they stay few (so <c>api\W?keys?</c> gives "key", and
/// <c>tool[\t\x20_\-]result</c> the four spellings), and otherwise what every match must contain: a concatenation
/// needs all its parts, an alternation one of its branches, an optional piece nothing. Anything it does not know
/// (lookarounds, backreferences, inline options) throws: a rule must never be skipped on a guess.
/// </summary>
internal static class NeedAnalyzer
{
    /// <summary>ASCII literals shorter than this are not looked for (they are in almost every text: "a", "is", "do").</summary>
    public const int MinLiteralLength = 3;

    /// <summary>How many exact strings a piece may stand for before the analyzer keeps only what it needs.</summary>
    private const int MaxExactStrings = 64;

    /// <summary>The longest exact string tracked.</summary>
    private const int MaxExactLength = 48;

    /// <summary>The most characters a character class may list and still count as exact (one string per character).</summary>
    private const int MaxExactClass = 6;

    /// <summary>
    /// What a piece of a pattern can match: <see cref="Exact"/> the strings (while few), <see cref="Need"/> what any
    /// match holds, <see cref="Lead"/> where any match starts (null: anywhere).
    /// </summary>
    /// <remarks>
    /// <see cref="LineStart"/>: the piece is <c>^</c>; <see cref="Boundary"/>: it is <c>\b</c>; <see cref="NonWordFirst"/>:
    /// it starts with a non-word character (<c>\W</c>, <c>\s</c>, at least once). <see cref="WordStart"/> and
    /// <see cref="WordEnd"/> say of its exact strings what <see cref="Lead"/> says of a lead's.
    /// </remarks>
    private sealed record Info(List<string>? Exact, Need Need, Lead? Lead = null, bool LineStart = false, bool Boundary = false,
        bool NonWordFirst = false, bool WordStart = false, bool WordEnd = false, (int Min, int Max)? NonWordGap = null);

    private static readonly Info Empty = new(new List<string> { "" }, Need.Anything);

    private static readonly Info LineStartAnchor = new(new List<string> { "" }, Need.Anything, LineStart: true);

    private static readonly Info WordBoundary = new(new List<string> { "" }, Need.Anything, Boundary: true);

    private static readonly Info OneUnknownChar = new(null, Need.Anything);

    private static readonly Info OneNonWordChar = new(null, Need.Anything, NonWordFirst: true);

    /// <summary>What every match of <paramref name="pattern"/> holds, and where every match starts when that is known.</summary>
    public static (Need Need, Lead? Lead) Analyze(string pattern, bool ignoreWhitespace)
    {
        var parser = new Parser(pattern, ignoreWhitespace);
        var info = parser.Alternation();
        if (parser.Position != pattern.Length) throw new NotSupportedException($"unbalanced ')' at {parser.Position}");
        return (info.Exact is { } exact ? Need.AnyString(exact) : info.Need, LeadOf(info));
    }

    private static Lead? LeadOf(Info info) =>
        info.Lead ?? (info.Exact is { } exact && exact.Count > 0 && exact.All(s => s.Length > 0) ? Lead.Of([.. exact], info.WordStart, info.WordEnd) : null);

    private sealed class Parser(string pattern, bool ignoreWhitespace)
    {
        public int Position { get; private set; }

        private bool AtEnd
        {
            get
            {
                SkipTrivia();
                return Position >= pattern.Length;
            }
        }

        private char Peek => pattern[Position];

        private void SkipTrivia()
        {
            if (!ignoreWhitespace) return;
            while (Position < pattern.Length)
            {
                var c = pattern[Position];
                if (c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v') Position++;
                else if (c == '#')
                {
                    while (Position < pattern.Length && pattern[Position] != '\n') Position++;
                }
                else break;
            }
        }

        public Info Alternation()
        {
            var branches = new List<Info> { Concatenation() };
            while (!AtEnd && Peek == '|')
            {
                Position++;
                branches.Add(Concatenation());
            }
            if (branches.Count == 1) return branches[0];
            if (branches.All(b => b.Exact is not null && !b.LineStart && !b.Boundary && b.Lead is null))
            {
                var union = branches.SelectMany(b => b.Exact!).Distinct(StringComparer.Ordinal).ToList();
                if (union.Count <= MaxExactStrings)
                    return new Info(union, Need.AnyString(union), WordStart: branches.All(b => b.WordStart), WordEnd: branches.All(b => b.WordEnd));
            }
            var leads = branches.Select(LeadOf).ToList();
            var lead = leads.Contains(null) ? null : new Lead([.. leads.SelectMany(l => l!.Parts)], leads.Any(l => l!.LineStart));
            return new Info(null, Need.AnyOf(branches.Select(NeedOf)), lead);
        }

        private static Need NeedOf(Info info) => info.Exact is { } exact ? Need.AnyString(exact) : info.Need;

        private Info Concatenation()
        {
            var needs = new List<Need>();
            var current = new List<string> { "" };
            var exact = true;
            Lead? lead = null;
            var leadKnown = false; // decided: lead is where every match starts (or null: unknown)
            var wordStart = false; // a \b before anything is consumed
            var wordEnd = false; // the exact run so far ends with \b
            (int Min, int Max)? pendingGap = null; // the lead was followed by a gap of non-word characters: the next run follows it
            while (!AtEnd && Peek is not ('|' or ')'))
            {
                var item = Quantified(Atom());
                if (item.Boundary)
                {
                    if (current is [""]) wordStart = true;
                    wordEnd = true;
                    continue;
                }
                if (!leadKnown && item.LineStart && current is [""])
                {
                    // ^ (multiline) first: every match starts at the start of a line.
                    lead = new Lead([], true);
                    leadKnown = true;
                    continue;
                }
                if (item.Exact is { } strings && !item.LineStart && current.Count * strings.Count <= MaxExactStrings)
                {
                    var product = new List<string>(current.Count * strings.Count);
                    foreach (var a in current)
                        foreach (var b in strings)
                            product.Add(a + b);
                    if (product.All(s => s.Length <= MaxExactLength))
                    {
                        if (current is [""]) wordStart |= item.WordStart;
                        current = [.. product.Distinct(StringComparer.Ordinal)];
                        wordEnd = item.WordEnd && !strings.Contains("");
                        continue;
                    }
                }
                if (pendingGap is { } gap && current is not [""] && current.All(s => s.Length > 0))
                {
                    // The run after the lead's gap: what a match has right after it.
                    lead = Lead.Of(lead!.Parts[0].Strings, lead.Parts[0].WordStart, lead.Parts[0].WordEnd, new Gap(gap.Min, gap.Max, [.. current]));
                }
                pendingGap = null;
                if (!leadKnown)
                {
                    // The first piece that is not exact (or too many strings): matches start with the exact run before
                    // it, or (with no run) where this piece starts.
                    lead = current is [""] ? LeadOf(item) is { } inner ? inner with { Parts = [.. inner.Parts.Select(p => p with { WordStart = p.WordStart || wordStart })] } : null
                        : current.All(s => s.Length > 0) ? Lead.Of([.. current], wordStart, wordEnd || item.NonWordFirst) : null;
                    leadKnown = true;
                    if (lead is not null && current is not [""] && item.NonWordGap is { } g) pendingGap = g;
                }
                // The exact run ends here: what it needs, then a new run (from this piece when it is exact).
                exact = false;
                needs.Add(Need.AnyString(current));
                current = [""];
                if (item.Exact is { } alone && alone.All(s => s.Length <= MaxExactLength)) current = [.. alone];
                else needs.Add(item.Exact is { } many ? Need.AnyString(many) : item.Need);
            }
            if (exact) return new Info(current, Need.AnyString(current), leadKnown ? lead : null, WordStart: wordStart, WordEnd: wordEnd);
            if (pendingGap is { } last && current is not [""] && current.All(s => s.Length > 0))
                lead = Lead.Of(lead!.Parts[0].Strings, lead.Parts[0].WordStart, lead.Parts[0].WordEnd, new Gap(last.Min, last.Max, [.. current]));
            needs.Add(Need.AnyString(current));
            return new Info(null, Need.AllOf(needs), lead);
        }

        private Info Quantified(Info atom)
        {
            if (AtEnd) return atom;
            int min, max;
            switch (Peek)
            {
                case '*': Position++; (min, max) = (0, int.MaxValue); break;
                case '+': Position++; (min, max) = (1, int.MaxValue); break;
                case '?': Position++; (min, max) = (0, 1); break;
                case '{' when TryBraces(out min, out max): break;
                default: return atom;
            }
            if (Position < pattern.Length && pattern[Position] == '?') Position++; // lazy: the same strings
            if (min == 0 && max == 0) return Empty;
            if (min == 1 && max == 1) return atom;
            if (atom.LineStart || atom.Boundary) return Empty;
            if (min == 0)
                return max == 1 && atom.Exact is { } exact && atom.Lead is null ? new Info([.. exact.Append("").Distinct(StringComparer.Ordinal)], Need.Anything) : new Info(null, Need.Anything);
            // At least one copy: whatever one copy needs, and a match starts where the first copy does.
            return new Info(null, NeedOf(atom), LeadOf(atom), NonWordFirst: atom.NonWordFirst,
                NonWordGap: atom.NonWordFirst && atom.Exact is null && atom.Lead is null && max < int.MaxValue ? (min, max) : null);
        }

        private bool TryBraces(out int min, out int max)
        {
            // {n}, {n,} or {n,m}; anything else is a literal brace.
            min = max = 0;
            var at = Position + 1;
            int Number()
            {
                var start = at;
                while (at < pattern.Length && char.IsAsciiDigit(pattern[at])) at++;
                return at == start ? -1 : int.Parse(pattern.AsSpan(start, at - start), System.Globalization.CultureInfo.InvariantCulture);
            }
            var low = Number();
            if (low < 0 || at >= pattern.Length) return false;
            var high = low;
            if (pattern[at] == ',')
            {
                at++;
                high = Number();
                if (high < 0) high = int.MaxValue;
            }
            if (at >= pattern.Length || pattern[at] != '}') return false;
            (min, max, Position) = (low, high, at + 1);
            return true;
        }

        private Info Atom()
        {
            var c = pattern[Position++];
            switch (c)
            {
                case '(':
                {
                    if (Position < pattern.Length && pattern[Position] == '?')
                    {
                        if (pattern.AsSpan(Position).StartsWith("?:")) Position += 2;
                        else if (pattern.AsSpan(Position).StartsWith("?<") && Position + 2 < pattern.Length && char.IsLetter(pattern[Position + 2]))
                        {
                            var close = pattern.IndexOf('>', Position);
                            Position = close + 1;
                        }
                        else throw new NotSupportedException($"group construct at {Position}");
                    }
                    var inner = Alternation();
                    if (AtEnd || Peek != ')') throw new NotSupportedException("unclosed group");
                    Position++;
                    return inner;
                }
                case '[': return CharacterClass();
                case '\\': return Escape();
                case '.': return OneUnknownChar;
                case '^': return LineStartAnchor;
                case '$': return Empty;
                case ')' or '|' or '*' or '+' or '?': throw new NotSupportedException($"'{c}' at {Position - 1}");
                case '{' when Position < pattern.Length && char.IsAsciiDigit(pattern[Position]): throw new NotSupportedException("quantifier without a piece");
                default:
                    if (char.IsHighSurrogate(c) && Position < pattern.Length && char.IsLowSurrogate(pattern[Position]))
                        return Single(string.Concat(c, pattern[Position++]));
                    return Single(c.ToString());
            }
        }

        private static Info Single(string s) => new([s], Need.Anything);

        private Info Escape()
        {
            var c = pattern[Position++];
            switch (c)
            {
                case 'b': return WordBoundary;
                case 'B' or 'A' or 'z' or 'Z' or 'G': return Empty;
                case 'W' or 's': return OneNonWordChar;
                case 'w' or 'S' or 'd' or 'D': return OneUnknownChar;
                case 'p' or 'P':
                    Position = pattern.IndexOf('}', Position) + 1;
                    return OneUnknownChar;
                default:
                    Position--;
                    return Single(EscapedChar().ToString());
            }
        }

        /// <summary>The character an escape (after its backslash) stands for: \t \n \r \f \v \e \xHH \uHHHH, or the character itself.</summary>
        private char EscapedChar()
        {
            var c = pattern[Position++];
            switch (c)
            {
                case 't': return '\t';
                case 'n': return '\n';
                case 'r': return '\r';
                case 'f': return '\f';
                case 'v': return '\v';
                case 'e': return '\u001B';
                case 'a': return '\a';
                case 'x':
                    Position += 2;
                    return (char)Convert.ToInt32(pattern.Substring(Position - 2, 2), 16);
                case 'u':
                    Position += 4;
                    return (char)Convert.ToInt32(pattern.Substring(Position - 4, 4), 16);
                default:
                    if (char.IsAsciiLetterOrDigit(c)) throw new NotSupportedException($"escape \\{c}");
                    return c;
            }
        }

        /// <summary>A class of a few listed characters is exact (one string each); ranges, negations and shorthands are not.</summary>
        private Info CharacterClass()
        {
            var chars = new List<char>();
            var exact = true;
            if (Position < pattern.Length && pattern[Position] == '^')
            {
                exact = false;
                Position++;
            }
            var first = true;
            while (true)
            {
                if (Position >= pattern.Length) throw new NotSupportedException("unclosed class");
                var c = pattern[Position++];
                if (c == ']' && !first) break;
                first = false;
                if (c == '[' && Position < pattern.Length && pattern[Position] == ':') throw new NotSupportedException("POSIX class");
                if (c == '\\')
                {
                    var e = pattern[Position];
                    if (e is 'w' or 'W' or 's' or 'S' or 'd' or 'D' or 'b')
                    {
                        Position++;
                        exact = false;
                        continue;
                    }
                    if (e is 'p' or 'P')
                    {
                        Position = pattern.IndexOf('}', Position) + 1;
                        exact = false;
                        continue;
                    }
                    c = EscapedChar();
                }
                if (Position < pattern.Length - 1 && pattern[Position] == '-' && pattern[Position + 1] != ']')
                {
                    // a range a-z: not exact; skip its upper end (an escape or a character)
                    Position++;
                    if (pattern[Position++] == '\\') EscapedChar();
                    exact = false;
                    continue;
                }
                if (c == '-' && Position < pattern.Length && pattern[Position] == '[') throw new NotSupportedException("class subtraction");
                chars.Add(c);
            }
            if (!exact || chars.Count == 0 || chars.Count > MaxExactClass) return OneUnknownChar;
            return new Info([.. chars.Distinct().Select(ch => ch.ToString())], Need.Anything);
        }
    }
}

/// <summary>What <see cref="KeywordIndex.Find"/> saw: which literals a text holds, and where the ones asked for start.</summary>
internal sealed class KeywordScan(bool[] present, Dictionary<int, List<int>>? positions, bool unfolded, bool any)
{
    public bool[] Present { get; } = present;

    /// <summary>Whether any literal occurs: with none, no need that names a literal is met.</summary>
    public bool Any { get; } = any;

    /// <summary>Where each literal that marks where matches start occurs (in order), by literal index; absent: nowhere.</summary>
    public Dictionary<int, List<int>>? Positions { get; } = positions;

    /// <summary>The text holds a character the index cannot compare (see <see cref="KeywordIndex"/>): every literal counts as present, and no position is known.</summary>
    public bool Unfolded { get; } = unfolded;
}

/// <summary>
/// Finds every occurrence of a set of literals in one pass over a text: an Aho–Corasick automaton with its
/// transitions precomputed over the literals' characters (every other character goes back to the start), one table
/// step per character. Ordinal, or ordinal-ignore-case (each character compared upper-cased, invariant); for the
/// latter, characters the regular-expression engine folds to a literal's letter but that comparison does not (the
/// Kelvin sign for k) make every literal count as present, so a case-insensitive rule is never skipped on them.
/// </summary>
internal sealed class KeywordIndex
{
    private readonly int[] _lengths;
    private readonly bool[] _positioned;
    private readonly bool _ignoreCase;
    private readonly int[] _asciiClass = new int[128];
    private readonly Dictionary<char, int> _otherClass = [];
    private readonly int _classes;
    private readonly int[] _next;
    private readonly int[][] _ends;
    private readonly SearchValues<char>? _unfolded;

    /// <param name="literals">The literals, by index.</param>
    /// <param name="positioned">For each literal, whether its positions are wanted (it marks where matches start).</param>
    /// <param name="ignoreCase">Compare ignoring case, as <see cref="RegexOptions.IgnoreCase"/> does.</param>
    public KeywordIndex(IReadOnlyList<string> literals, IReadOnlyList<bool> positioned, bool ignoreCase)
    {
        _ignoreCase = ignoreCase;
        _positioned = [.. positioned];
        _lengths = [.. literals.Select(l => l.Length)];
        var folded = literals.Select(Fold).ToList();
        // Character classes: 0 for characters no literal has, one each for the others.
        _classes = 1;
        foreach (var c in folded.SelectMany(l => l).Distinct())
        {
            if (c < 128) _asciiClass[c] = _classes++;
            else _otherClass[c] = _classes++;
        }
        // The trie.
        var children = new List<Dictionary<int, int>> { new() };
        var own = new List<List<int>> { new() };
        for (var id = 0; id < folded.Count; id++)
        {
            var state = 0;
            foreach (var c in folded[id])
            {
                var cls = ClassOf(c);
                if (!children[state].TryGetValue(cls, out var child))
                {
                    child = children.Count;
                    children.Add([]);
                    own.Add([]);
                    children[state][cls] = child;
                }
                state = child;
            }
            own[state].Add(id);
        }
        // Failure links breadth first, then every transition resolved.
        var count = children.Count;
        var fail = new int[count];
        _next = new int[count * _classes];
        _ends = new int[count][];
        var queue = new Queue<int>();
        _ends[0] = [.. own[0]];
        foreach (var (cls, child) in children[0])
        {
            _next[cls] = child;
            queue.Enqueue(child);
        }
        while (queue.Count > 0)
        {
            var state = queue.Dequeue();
            _ends[state] = [.. own[state].Concat(_ends[fail[state]])];
            for (var cls = 0; cls < _classes; cls++)
            {
                if (children[state].TryGetValue(cls, out var child))
                {
                    fail[child] = _next[fail[state] * _classes + cls];
                    _next[state * _classes + cls] = child;
                    queue.Enqueue(child);
                }
                else _next[state * _classes + cls] = _next[fail[state] * _classes + cls];
            }
        }
        if (ignoreCase) _unfolded = UnfoldedBy(literals);
    }

    private string Fold(string literal) => _ignoreCase ? string.Concat(literal.Select(char.ToUpperInvariant)) : literal;

    private int ClassOf(char c) => c < 128 ? _asciiClass[c] : _otherClass.GetValueOrDefault(c);

    /// <summary>Which literals occur in <paramref name="text"/>, and where the positioned ones do.</summary>
    public KeywordScan Find(ReadOnlySpan<char> text)
    {
        var present = new bool[_lengths.Length];
        Dictionary<int, List<int>>? positions = null;
        if (_lengths.Length == 0) return new KeywordScan(present, positions, false, false);
        if (_unfolded is not null && text.ContainsAny(_unfolded))
        {
            Array.Fill(present, true);
            return new KeywordScan(present, positions, true, true);
        }
        var state = 0;
        var any = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (_ignoreCase) c = char.ToUpperInvariant(c);
            state = _next[state * _classes + ClassOf(c)];
            var ends = _ends[state];
            if (ends.Length == 0) continue;
            any = true;
            foreach (var id in ends)
            {
                present[id] = true;
                if (!_positioned[id]) continue;
                positions ??= [];
                if (!positions.TryGetValue(id, out var at)) positions[id] = at = [];
                at.Add(i + 1 - _lengths[id]);
            }
        }
        return new KeywordScan(present, positions, false, any);
    }

    /// <summary>
    /// Characters that <see cref="RegexOptions.IgnoreCase"/> (invariant) matches for a character of the literals but
    /// ordinal-ignore-case comparison does not: asked of the regular-expression engine itself, once per character.
    /// </summary>
    private static SearchValues<char>? UnfoldedBy(IEnumerable<string> literals)
    {
        var letters = literals.SelectMany(s => s).Distinct().ToList();
        if (letters.Count == 0) return null;
        var everyChar = string.Create(char.MaxValue + 1, 0, (chars, _) =>
        {
            for (var c = 0; c < chars.Length; c++) chars[c] = (char)c;
        });
        // One pass for every character the engine folds to any of the letters, then each of those against each letter.
        var anyLetter = new Regex("[" + string.Concat(letters.Select(c => Regex.Escape(c.ToString()).Replace("]", "\\]").Replace("-", "\\-"))) + "]",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        var candidates = anyLetter.Matches(everyChar).Select(m => m.Value[0]).ToList();
        var unfolded = new HashSet<char>();
        foreach (var letter in letters)
        {
            var regex = new Regex(Regex.Escape(letter.ToString()), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
            foreach (var c in candidates)
                if (char.ToUpperInvariant(c) != char.ToUpperInvariant(letter) && regex.IsMatch(c.ToString())) unfolded.Add(c);
        }
        return unfolded.Count == 0 ? null : SearchValues.Create([.. unfolded]);
    }
}

/// <summary>
/// Word rules of some scopes, in catalog order: each regular expression with its <see cref="Need"/> (what a text must
/// hold for it to match) and its <see cref="Lead"/> (where its matches start), and the keyword index that finds both
/// in one pass. <see cref="Run"/> gives exactly the matches a scan of the whole text would (same order, same spans):
/// a regular expression whose need the text does not meet cannot match and is not run; one whose matches start at
/// known literals is tried, anchored, at their occurrences only — in order, each from the end of the previous match,
/// as the full scan goes — and the others scan the whole text. <paramref name="literalForm"/> turns each literal into
/// what it looks like in the text the index is asked about (see <see cref="Triggers"/>).
/// </summary>
internal sealed class RuleSet
{
    public sealed record Entry(WordRule Rule, RulePattern Pattern, Need Need, Lead? Lead, (LeadPart Part, Need.Literal Literal)[] LeadLiterals)
    {
        /// <summary>Whether the need names a literal (a need without one is always met).</summary>
        public bool HasLiterals { get; } = Need.Literals().Any();
    }

    private readonly Entry[] _entries;
    private readonly KeywordIndex _ordinal;
    private readonly KeywordIndex _ignoreCase;

    public RuleSet(IEnumerable<WordRule> rules, Func<string, string>? literalForm = null)
    {
        var entries = new List<Entry>();
        var ordinal = new Dictionary<string, int>(StringComparer.Ordinal);
        var ignoreCase = new Dictionary<string, int>(StringComparer.Ordinal);
        var positioned = new HashSet<(bool, int)>();
        foreach (var rule in rules)
            foreach (var pattern in rule.Patterns)
            {
                var (need, lead) = NeedAnalyzer.Analyze(pattern.Pattern, ignoreWhitespace: true);
                var ids = rule.IgnoresCase ? ignoreCase : ordinal;
                int Id(string text)
                {
                    text = literalForm is null ? text : literalForm(text);
                    if (!ids.TryGetValue(text, out var id)) ids[text] = id = ids.Count;
                    return id;
                }
                foreach (var literal in need.Literals()) literal.Id = Id(literal.Text);
                (LeadPart, Need.Literal)[] leadLiterals = [];
                if (lead is not null && literalForm is null)
                {
                    // What follows a lead is compared ordinally: a rule that ignores case does without it.
                    if (rule.IgnoresCase) lead = lead with { Parts = [.. lead.Parts.Select(p => p with { Then = null })] };
                    leadLiterals = [.. lead.Parts.SelectMany(p => p.Strings.Select(s => (p, new Need.Literal(s) { Id = Id(s) })))];
                    foreach (var (_, l) in leadLiterals) positioned.Add((rule.IgnoresCase, l.Id));
                }
                entries.Add(new Entry(rule, pattern, need, literalForm is null ? lead : null, leadLiterals));
            }
        _entries = [.. entries];
        _ordinal = Index(ordinal, false);
        _ignoreCase = Index(ignoreCase, true);

        KeywordIndex Index(Dictionary<string, int> ids, bool ignore)
        {
            var literals = ids.OrderBy(p => p.Value).Select(p => p.Key).ToList();
            return new KeywordIndex(literals, [.. literals.Select((_, i) => positioned.Contains((ignore, i)))], ignore);
        }
    }

    public IReadOnlyList<Entry> Entries => _entries;

    /// <summary>
    /// Tests only: every rule scans every text in full, as before the prefilter (and <see cref="Payloads"/> searches the
    /// whole text), so a test can check the prefilter changes no verdict. Per thread.
    /// </summary>
    [ThreadStatic]
    internal static bool Exhaustive;

    /// <summary>Whether any rule of the set can match <paramref name="text"/> (for the ROT13 and reversed readings: before building them).</summary>
    public bool Triggers(string text)
    {
        KeywordScan? ordinal = null, ignoreCase = null;
        foreach (var entry in _entries)
        {
            var scan = entry.Rule.IgnoresCase ? ignoreCase ??= _ignoreCase.Find(text) : ordinal ??= _ordinal.Find(text);
            if (Exhaustive || (entry.HasLiterals ? scan.Any && entry.Need.IsMet(scan.Present) : true)) return true;
        }
        return false;
    }

    /// <summary>Every match of the set's rules in <paramref name="text"/> that the rules' own checks accept, rule by rule.</summary>
    public IEnumerable<(WordRule Rule, int Index, int Length)> Run(string text)
    {
        KeywordScan? ordinal = null, ignoreCase = null;
        string? padded = null;
        foreach (var entry in _entries)
        {
            var scan = entry.Rule.IgnoresCase ? ignoreCase ??= _ignoreCase.Find(text) : ordinal ??= _ordinal.Find(text);
            if (!Exhaustive && !(entry.HasLiterals ? scan.Any && entry.Need.IsMet(scan.Present) : true)) continue;
            if (entry.Lead is null || scan.Unfolded || Exhaustive)
            {
                foreach (var m in entry.Rule.Matches(entry.Pattern.Regex, text)) yield return (entry.Rule, m.Index, m.Length);
                continue;
            }
            padded ??= "\n" + text;
            var next = 0;
            foreach (var at in Starts(entry, scan, text))
            {
                if (at < next) continue;
                next = at + 1; // tried here: a later start of the same place is not tried again
                var length = -1;
                // padded[at] is the character before text[at] ('\n' before the start): the context the anchored pattern reads first.
                foreach (var m in entry.Pattern.Anchored.EnumerateMatches(padded.AsSpan(at)))
                {
                    length = m.Length - 1;
                    break;
                }
                if (length < 0) continue;
                next = at + Math.Max(length, 1);
                if (length > 0 && entry.Rule.Accepts(text, at, length)) yield return (entry.Rule, at, length);
            }
        }
    }

    /// <summary>Where the entry's matches can start, in order: its lead literals' occurrences (and line starts).</summary>
    private static List<int> Starts(Entry entry, KeywordScan scan, string text)
    {
        var starts = new List<int>();
        foreach (var (part, literal) in entry.LeadLiterals)
            if (scan.Positions?.GetValueOrDefault(literal.Id) is { } positions)
                foreach (var at in positions)
                    if (part.CanStart(text, at, literal.Text.Length)) starts.Add(at);
        if (entry.Lead!.LineStart)
        {
            starts.Add(0);
            for (var i = text.IndexOf('\n'); i >= 0; i = text.IndexOf('\n', i + 1)) starts.Add(i + 1);
        }
        starts.Sort();
        return starts;
    }
}
/// <summary>The word rules grouped by the forms they run on, with their prefilters (built once: <see cref="InjectionScreen.Prepare"/>).</summary>
internal static class RuleSets
{
    public static readonly RuleSet Raw = new(ScreenRules.Words.Where(r => r.Scope == RuleScope.Raw));

    public static readonly RuleSet Normalized = new(ScreenRules.Words.Where(r => r.Scope is RuleScope.Phrase or RuleScope.Structure));

    /// <summary>The instruction phrases: on the leetspeak readings, and the ROT13 and reversed ones once <see cref="Rot13"/> or <see cref="Reversed"/> says they can match.</summary>
    public static readonly RuleSet Phrase = new(ScreenRules.Words.Where(r => r.Scope == RuleScope.Phrase));

    public static readonly RuleSet Letters = new(ScreenRules.Words.Where(r => r.Scope == RuleScope.Letters));

    /// <summary>The phrases as they read in ROT13, looked for in the normalized text: whether the ROT13 reading is worth building.</summary>
    public static readonly RuleSet Rot13 = new(ScreenRules.Words.Where(r => r.Scope == RuleScope.Phrase), TextForms.Rot13);

    /// <summary>The phrases backwards, looked for in the normalized text: whether the reversed reading is worth building.</summary>
    public static readonly RuleSet Reversed = new(ScreenRules.Words.Where(r => r.Scope == RuleScope.Phrase), TextForms.Reversed);
}
