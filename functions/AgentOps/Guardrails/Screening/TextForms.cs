using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace AgentOps.Guardrails.Screening;

/// <summary>
/// A text derived from a source text, and for each of its characters the source span it came from: its own arrays
/// (the normalized form), or a form it derives from and which of that form's characters each of its own is (null: the
/// same index), composed only when a finding asks (most readings have none).
/// </summary>
internal sealed class TextForm
{
    private readonly int[]? _starts;
    private readonly int[]? _ends;
    private readonly TextForm? _parent;
    private readonly int[]? _indexes;

    public TextForm(string text, int[] starts, int[] ends)
    {
        Text = text;
        _starts = starts;
        _ends = ends;
    }

    private TextForm(string text, TextForm parent, int[]? indexes)
    {
        Text = text;
        _parent = parent;
        _indexes = indexes;
    }

    public string Text { get; }

    private int StartAt(int i) => _parent is null ? _starts![i] : _parent.StartAt(_indexes is null ? i : _indexes[i]);

    private int EndAt(int i) => _parent is null ? _ends![i] : _parent.EndAt(_indexes is null ? i : _indexes[i]);

    /// <summary>The source span of [start, end) in this form (maps may run backwards: a reversed form).</summary>
    public (int Start, int End) ToSource(int start, int end)
    {
        if (Text.Length == 0) return (0, 0);
        var first = Math.Clamp(start, 0, Text.Length - 1);
        var last = Math.Clamp(end - 1, first, Text.Length - 1);
        return (Math.Min(StartAt(first), StartAt(last)), Math.Max(EndAt(first), EndAt(last)));
    }

    /// <summary>A form of this form, composed so that its spans still map to the original source (<paramref name="indexes"/> null: character for character).</summary>
    public TextForm Derive(string text, int[]? indexes) => new(text, this, indexes);
}

/// <summary>
/// The forms the screen matches words in. <see cref="Normalize"/>: the compatibility fold (NFKC's mappings as far
/// as <see cref="UnicodeFoldData"/> goes), lower case (invariant), look-alike letters of Cyrillic, Greek, Armenian,
/// small capitals and IPA mapped to the Latin letter they imitate, typographic quotes and dashes to ASCII, every
/// invisible character (format characters, zero-width, bidi controls, tag characters, variation selectors, fillers,
/// control characters) and combining mark dropped, every line break (CR, U+2028, U+2029, NEL, VT, FF) a <c>\n</c> and
/// every other space a space. The other forms derive from it: leetspeak read as letters, letters only (spacing and
/// punctuation tricks), ROT13 and reversed.
/// </summary>
internal static class TextForms
{
    private static readonly FrozenDictionary<int, string> Fold = ParseFold(UnicodeFoldData.Table);

    /// <summary>Look-alikes (after lower-casing) of Latin letters: what a homoglyph spoof of an English word uses.</summary>
    private static readonly FrozenDictionary<char, char> Confusables = new Dictionary<char, char>
    {
        // Cyrillic (lower case; upper-case spoofs are lowered first, so в н м т к stand for B H M T K)
        ['а'] = 'a', ['в'] = 'b', ['г'] = 'r', ['е'] = 'e', ['ё'] = 'e', ['и'] = 'u', ['к'] = 'k', ['м'] = 'm', ['н'] = 'h',
        ['о'] = 'o', ['п'] = 'n', ['р'] = 'p', ['с'] = 'c', ['т'] = 't', ['у'] = 'y', ['х'] = 'x', ['ь'] = 'b', ['ѕ'] = 's',
        ['і'] = 'i', ['ї'] = 'i', ['ј'] = 'j', ['ԁ'] = 'd', ['һ'] = 'h', ['ԛ'] = 'q', ['ԝ'] = 'w', ['ӏ'] = 'l', ['ү'] = 'y',
        ['ѵ'] = 'v', ['ѡ'] = 'w', ['ɡ'] = 'g',
        // Greek
        ['α'] = 'a', ['β'] = 'b', ['γ'] = 'y', ['ε'] = 'e', ['ζ'] = 'z', ['η'] = 'h', ['ι'] = 'i', ['κ'] = 'k', ['μ'] = 'm',
        ['ν'] = 'v', ['ο'] = 'o', ['ρ'] = 'p', ['τ'] = 't', ['υ'] = 'u', ['χ'] = 'x', ['ω'] = 'w', ['ϲ'] = 'c', ['ϳ'] = 'j',
        ['ς'] = 's',
        // Armenian
        ['օ'] = 'o', ['ս'] = 'u', ['հ'] = 'h', ['ո'] = 'n', ['ց'] = 'g', ['զ'] = 'q',
        // Latin small capitals, IPA and dotless letters
        ['ı'] = 'i', ['ȷ'] = 'j', ['ɑ'] = 'a', ['ɛ'] = 'e', ['ɩ'] = 'i', ['ɪ'] = 'i', ['ʀ'] = 'r', ['ʏ'] = 'y', ['ʙ'] = 'b',
        ['ɢ'] = 'g', ['ʜ'] = 'h', ['ʟ'] = 'l', ['ɴ'] = 'n', ['ᴀ'] = 'a', ['ᴄ'] = 'c', ['ᴅ'] = 'd', ['ᴇ'] = 'e', ['ᴊ'] = 'j',
        ['ᴋ'] = 'k', ['ᴍ'] = 'm', ['ᴏ'] = 'o', ['ᴘ'] = 'p', ['ᴛ'] = 't', ['ᴜ'] = 'u', ['ᴠ'] = 'v', ['ᴡ'] = 'w', ['ᴢ'] = 'z',
        ['ꜰ'] = 'f', ['ꜱ'] = 's', ['ǀ'] = 'l', ['ƒ'] = 'f',
        // Typographic punctuation
        ['\u2018'] = '\'', ['\u2019'] = '\'', ['\u201A'] = '\'', ['\u201B'] = '\'', ['\u2032'] = '\'', ['\u02BC'] = '\'', ['\u00B4'] = '\'',
        ['\u201C'] = '"', ['\u201D'] = '"', ['\u201E'] = '"', ['\u201F'] = '"', ['\u2033'] = '"', ['\u00AB'] = '"', ['\u00BB'] = '"',
        ['\u2010'] = '-', ['\u2011'] = '-', ['\u2012'] = '-', ['\u2013'] = '-', ['\u2014'] = '-', ['\u2015'] = '-', ['\u2212'] = '-',
        ['\u2044'] = '/', ['\u2215'] = '/',
    }.ToFrozenDictionary();

    /// <summary>How a '1' reads: always i, always l, or i at the start of a word and l inside one.</summary>
    public enum One { I, L, ByPosition }

    /// <summary>Leetspeak read as letters.</summary>
    private static char Leet(char c, bool oneIsL) => c switch
    {
        '0' => 'o', '1' => oneIsL ? 'l' : 'i', '3' => 'e', '4' => 'a', '5' => 's', '6' => 'g', '7' => 't', '8' => 'b', '9' => 'g',
        '@' => 'a', '$' => 's', '!' => 'i', '|' => 'l', '+' => 't', '€' => 'e', '£' => 'l', '¡' => 'i',
        _ => '\0',
    };

    public static TextForm Normalize(string source)
    {
        // A fold can expand a character (ligatures, ﷺ): the arrays grow then; their tails past the text are unused.
        var chars = new char[source.Length];
        var starts = new int[source.Length];
        var ends = new int[source.Length];
        var n = 0;
        void Emit(char c, int start, int end)
        {
            if (n == chars.Length)
            {
                var size = Math.Max(16, chars.Length * 2);
                Array.Resize(ref chars, size);
                Array.Resize(ref starts, size);
                Array.Resize(ref ends, size);
            }
            chars[n] = c;
            starts[n] = start;
            ends[n++] = end;
        }
        for (var i = 0; i < source.Length;)
        {
            if (source[i] < 0x80)
            {
                var c = source[i];
                if (c is '\n' or '\r' or '\v' or '\f') Emit('\n', i, i + 1);
                else if (c is '\t' or ' ') Emit(' ', i, i + 1);
                else if (c >= 0x20 && c != 0x7F) Emit(char.ToLowerInvariant(c), i, i + 1);
                // other control characters: dropped
                i++;
                continue;
            }
            Rune.DecodeFromUtf16(source.AsSpan(i), out var rune, out var used);
            var end = i + used;
            var cp = rune.Value;
            if (IsInvisible(rune) || IsMark(rune)) { }
            else if (cp is 0x2028 or 0x2029 or 0x85) Emit('\n', i, end);
            else if (Rune.IsWhiteSpace(rune)) Emit(' ', i, end);
            else if (Fold.TryGetValue(cp, out var folded))
            {
                foreach (var f in folded) Emit(Finish(f), i, end);
            }
            else if (rune.IsBmp) Emit(Finish((char)cp), i, end);
            else
            {
                foreach (var c in Rune.ToLowerInvariant(rune).ToString()) Emit(c, i, end);
            }
            i = end;
        }
        return new TextForm(new string(chars, 0, n), starts, ends);
    }

    private static char Finish(char c)
    {
        if (char.IsWhiteSpace(c)) return ' ';
        var lower = char.ToLowerInvariant(c);
        return Confusables.TryGetValue(lower, out var latin) ? latin : lower;
    }

    /// <summary>Whether the text holds a digit or symbol leetspeak uses inside a word (letters on a side).</summary>
    public static bool HasLeet(string normalized)
    {
        for (var i = 0; i < normalized.Length; i++)
        {
            if (Leet(normalized[i], false) == '\0') continue;
            var before = i > 0 && char.IsAsciiLetterLower(normalized[i - 1]);
            var after = i + 1 < normalized.Length && char.IsAsciiLetterLower(normalized[i + 1]);
            if (before || after) return true;
        }
        return false;
    }

    /// <summary>
    /// The normalized form with leetspeak read as letters, in tokens (runs of letters, digits and leet symbols) that
    /// hold at least one letter; a token's trailing '!' stays punctuation. A '1' reads as <paramref name="one"/> says.
    /// </summary>
    public static TextForm Deleet(TextForm normalized, One one)
    {
        var oneIsL = one == One.L;
        var text = normalized.Text;
        var chars = text.ToCharArray();
        var i = 0;
        while (i < chars.Length)
        {
            if (!IsTokenChar(chars[i], oneIsL)) { i++; continue; }
            var start = i;
            var hasLetter = false;
            while (i < chars.Length && IsTokenChar(chars[i], oneIsL)) hasLetter |= char.IsAsciiLetterLower(chars[i++]);
            if (!hasLetter) continue;
            var end = i;
            while (end > start && chars[end - 1] == '!') end--;
            for (var k = start; k < end; k++)
            {
                var l = Leet(chars[k], one == One.L || one == One.ByPosition && k > start);
                if (l != '\0') chars[k] = l;
            }
        }
        return normalized.Derive(new string(chars), null);
    }

    private static bool IsTokenChar(char c, bool oneIsL) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || Leet(c, oneIsL) != '\0';

    /// <summary>Only the letters a–z of a form: spacing, punctuation and separators inside words are gone.</summary>
    public static TextForm LettersOnly(TextForm form)
    {
        var text = form.Text;
        var chars = new char[text.Length];
        var indexes = new int[text.Length];
        var n = 0;
        for (var i = 0; i < text.Length; i++)
            if (char.IsAsciiLetterLower(text[i]))
            {
                chars[n] = text[i];
                indexes[n++] = i;
            }
        return form.Derive(new string(chars, 0, n), indexes);
    }

    /// <summary>ROT13 of the letters a–z (its own inverse).</summary>
    public static string Rot13(string text) => string.Create(text.Length, text, (chars, source) =>
    {
        for (var i = 0; i < chars.Length; i++)
            chars[i] = char.IsAsciiLetterLower(source[i]) ? (char)('a' + (source[i] - 'a' + 13) % 26) : source[i];
    });

    /// <summary>The text backwards, code unit by code unit (as <see cref="Reversed(TextForm)"/> reads it).</summary>
    public static string Reversed(string text) => string.Create(text.Length, text, (chars, source) =>
    {
        for (var i = 0; i < chars.Length; i++) chars[i] = source[source.Length - 1 - i];
    });

    public static TextForm Rot13(TextForm form)
    {
        var chars = form.Text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
            if (char.IsAsciiLetterLower(chars[i])) chars[i] = (char)('a' + (chars[i] - 'a' + 13) % 26);
        return form.Derive(new string(chars), null);
    }

    public static TextForm Reversed(TextForm form)
    {
        var n = form.Text.Length;
        var chars = new char[n];
        var indexes = new int[n];
        for (var i = 0; i < n; i++)
        {
            chars[i] = form.Text[n - 1 - i];
            indexes[i] = n - 1 - i;
        }
        return form.Derive(new string(chars), indexes);
    }

    /// <summary>
    /// Characters that render as nothing: format characters (zero-width space and joiners, bidi controls, the BOM,
    /// soft hyphen, tag characters), variation selectors, Hangul and Khmer fillers, the Mongolian separators and
    /// the blank Braille pattern.
    /// </summary>
    public static bool IsInvisible(Rune rune)
    {
        var cp = rune.Value;
        if (cp < 0x80) return cp < 0x20 && cp is not ('\n' or '\r' or '\t' or '\v' or '\f') || cp == 0x7F;
        return Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format
            || cp is 0x034F or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or 0x3164 or 0xFFA0 or 0x2800 or 0x180E
            || cp is >= 0x180B and <= 0x180F
            || IsVariationSelector(cp)
            || cp is >= 0xE0000 and <= 0xE007F;
    }

    public static bool IsVariationSelector(int cp) => cp is >= 0xFE00 and <= 0xFE0F or >= 0xE0100 and <= 0xE01EF;

    public static bool IsMark(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;

    /// <summary>
    /// Whether a character disguises a Latin letter: an invisible character, a combining mark, or a letter beyond the
    /// Latin blocks (U+0250 on: fullwidth, mathematical, enclosed, small capitals, Cyrillic, Greek…) that folds to an
    /// ASCII letter or digit. Accented Latin letters (é, ñ, ş) are ordinary writing, not a disguise.
    /// </summary>
    public static bool IsDisguise(Rune rune)
    {
        var cp = rune.Value;
        if (cp < 0x80) return IsInvisible(rune);
        if (IsInvisible(rune) || IsMark(rune)) return true;
        if (cp < 0x250) return false;
        if (Fold.TryGetValue(cp, out var folded))
            return folded.Length > 0 && folded.All(c => char.IsAsciiLetterOrDigit(Finish(c)));
        if (!rune.IsBmp) return false;
        var lower = char.ToLowerInvariant((char)cp);
        return Confusables.TryGetValue(lower, out var latin) && char.IsAsciiLetter(latin);
    }

    /// <summary>Whether a span of the source holds a disguised letter.</summary>
    public static bool HasDisguise(string source, int start, int end)
    {
        for (var i = start; i < end && i < source.Length;)
        {
            Rune.DecodeFromUtf16(source.AsSpan(i), out var rune, out var used);
            if (IsDisguise(rune)) return true;
            i += used;
        }
        return false;
    }

    private static FrozenDictionary<int, string> ParseFold(string table)
    {
        var map = new Dictionary<int, string>();
        foreach (var entry in table.Split([' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            var arrow = entry.IndexOf('>', StringComparison.Ordinal);
            var key = entry[..arrow];
            var values = entry[(arrow + 1)..].Split('.').Select(h => int.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
            var dash = key.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                map[int.Parse(key, NumberStyles.HexNumber, CultureInfo.InvariantCulture)] = string.Concat(values.Select(char.ConvertFromUtf32));
                continue;
            }
            var from = int.Parse(key[..dash], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var to = int.Parse(key[(dash + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            for (var cp = from; cp <= to; cp++) map[cp] = char.ConvertFromUtf32(values[0] + cp - from);
        }
        return map.ToFrozenDictionary();
    }
}
