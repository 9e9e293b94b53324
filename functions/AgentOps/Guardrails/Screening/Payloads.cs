using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace AgentOps.Guardrails.Screening;

/// <summary>
/// Encoded text found in a screened text and decoded. <see cref="Map"/> is set for escapes (a window of the text
/// with its escapes decoded), with <see cref="Decoded"/> marking which of its characters came from an escape;
/// otherwise every finding inside maps to [<see cref="Start"/>, <see cref="End"/>).
/// </summary>
internal sealed record Payload(string RuleId, string Form, int Start, int End, string Text, TextForm? Map = null, bool[]? Decoded = null);

/// <summary>The decoding budget of one screen, shared by every payload at every depth.</summary>
internal sealed class DecodeBudget
{
    public int Chars { get; set; } = InjectionScreen.MaxDecodedChars;

    public int Payloads { get; set; } = InjectionScreen.MaxPayloads;

    /// <summary>Where the first payload the budget could not (fully) decode starts, or -1.</summary>
    public int ExceededAt { get; set; } = -1;

    public int ExceededEnd { get; set; }

    public void Exceed(int start, int end)
    {
        if (ExceededAt >= 0) return;
        ExceededAt = start;
        ExceededEnd = end;
    }
}

/// <summary>
/// Finds and decodes what may hide an instruction: base64 (standard and URL-safe, MIME-wrapped lines joined),
/// hex (plain, <c>\x</c>, <c>0x</c>, separated bytes), binary octets, percent-encoding, HTML entities and
/// <c>\u</c>/<c>\x</c> escapes, tag characters and variation selectors. A payload is decoded only when it reads as
/// text: its first <see cref="SniffBytes"/> decoded bytes must be UTF-8 (or UTF-16LE) with at most 2 % control or
/// replacement characters, and at least 30 % letters or printable ASCII only (another layer of encoding); anything
/// else (images, hashes, keys, compressed data) is data and left alone.
/// </summary>
internal static class Payloads
{
    public const int SniffBytes = 512;
    private const int MinBase64 = 16;

    public static IEnumerable<Payload> Find(string text, DecodeBudget budget)
    {
        foreach (var m in Windowed(Base64Run, text, Base64Chars, MinBase64))
        {
            var value = m.Value;
            if (!value.Any(char.IsAsciiLetterUpper) || !value.Any(char.IsAsciiLetterLower)) continue;
            var decoded = Decode(budget, m.Index, m.Length, value.Length * 3 / 4, max => FromBase64(value, max));
            if (decoded is not null) yield return new Payload(ScreenRules.Base64, "base64", m.Index, m.Index + m.Length, decoded);
        }
        foreach (var m in Windowed(HexRun, text, HexChars, MinHexRun))
        {
            var digits = HexDigits(m.Value);
            var decoded = Decode(budget, m.Index, m.Length, digits.Length / 2, max => FromHex(digits, max));
            if (decoded is not null) yield return new Payload(ScreenRules.Hex, "hex", m.Index, m.Index + m.Length, decoded);
        }
        foreach (var m in Windowed(BinaryRun, text, BinaryChars, MinBinaryRun))
        {
            var bits = string.Concat(m.Value.Where(c => c is '0' or '1'));
            var decoded = Decode(budget, m.Index, m.Length, bits.Length / 8, max => FromBinary(bits, max));
            if (decoded is not null) yield return new Payload(ScreenRules.Binary, "binary", m.Index, m.Index + m.Length, decoded);
        }
        // A run needs three escapes: a text with fewer '%' holds none.
        foreach (var m in text.AsSpan().Count('%') < 3 && !RuleSet.Exhaustive ? Enumerable.Empty<Match>() : UrlEncodedRun.Matches(text))
        {
            string decoded;
            try { decoded = Uri.UnescapeDataString(m.Value.Replace('+', ' ')); }
            catch (UriFormatException) { continue; }
            if (decoded == m.Value || !Charge(budget, m.Index, m.Length, decoded.Length)) continue;
            yield return new Payload(ScreenRules.UrlEncoded, "url", m.Index, m.Index + m.Length, decoded);
        }
        foreach (var escapes in Escapes(text, budget)) yield return escapes;
        // Tag characters are beyond the BMP (surrogate pairs); variation selectors too, or in U+FE00–FE0F.
        var astral = text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') || RuleSet.Exhaustive;
        foreach (var run in astral ? Runs(text, cp => cp is >= 0xE0000 and <= 0xE007F) : [])
        {
            if (IsEmojiTagSequence(text, run.Start, run.Codes)) continue;
            var ascii = string.Concat(run.Codes.Select(cp => cp - 0xE0000).Where(c => c is >= 0x20 and < 0x7F or '\n').Select(c => (char)c));
            if (ascii.Length > 0 && Charge(budget, run.Start, run.End - run.Start, ascii.Length))
                yield return new Payload(ScreenRules.TagPayload, "tags", run.Start, run.End, ascii);
        }
        foreach (var run in astral || text.AsSpan().ContainsAnyInRange('\uFE00', '\uFE0F') ? Runs(text, TextForms.IsVariationSelector) : [])
        {
            if (run.Codes.Count < 2) continue;
            var bytes = run.Codes.Select(cp => (byte)(cp <= 0xFE0F ? cp - 0xFE00 : cp - 0xE0100 + 16)).ToArray();
            var decoded = AsText(bytes);
            if (decoded is not null && Charge(budget, run.Start, run.End - run.Start, decoded.Length))
                yield return new Payload(ScreenRules.SelectorPayload, "variation_selectors", run.Start, run.End, decoded);
        }
    }

    /// <summary>Emoji subdivision flags (🏴 + tag letters + cancel tag: England, Scotland, Wales) are tag characters in good standing.</summary>
    public static bool IsEmojiTagSequence(string text, int start, IReadOnlyList<int> codes)
    {
        if (start < 2 || codes.Count is < 2 or > 8 || codes[^1] != 0xE007F) return false;
        if (!Rune.TryGetRuneAt(text, start - 2, out var before) || before.Value != 0x1F3F4) return false;
        return codes.Take(codes.Count - 1).All(cp => cp is >= 0xE0030 and <= 0xE0039 or >= 0xE0061 and <= 0xE007A);
    }

    public sealed record Run(int Start, int End, List<int> Codes);

    public static IEnumerable<Run> Runs(string text, Func<int, bool> member)
    {
        Run? run = null;
        for (var i = 0; i < text.Length;)
        {
            Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var used);
            if (member(rune.Value))
            {
                run ??= new Run(i, i, []);
                run.Codes.Add(rune.Value);
                run = run with { End = i + used };
            }
            else if (run is not null)
            {
                yield return run;
                run = null;
            }
            i += used;
        }
        if (run is not null) yield return run;
    }

    /// <summary>
    /// Sniffs the first <see cref="SniffBytes"/> bytes, then decodes the rest if they read as text: every decoded byte
    /// is charged to the budget's characters, every payload that reads as text to its payloads. Past the budget the
    /// payload is cut (or skipped) and the screen records <c>encoded.decode_limit</c>.
    /// </summary>
    private static string? Decode(DecodeBudget budget, int start, int length, int size, Func<int, byte[]?> decode)
    {
        if (budget.Chars <= 0)
        {
            budget.Exceed(start, start + length);
            return null;
        }
        var sniffSize = Math.Min(Math.Min(size, SniffBytes), budget.Chars);
        var sniff = decode(sniffSize);
        budget.Chars -= sniffSize;
        if (sniff is null || AsText(sniff, truncated: sniffSize < size) is null) return null;
        // Text: it will be screened, which counts against the payloads.
        if (budget.Payloads <= 0)
        {
            budget.Exceed(start, start + length);
            return null;
        }
        budget.Payloads--;
        if (sniffSize == size) return AsText(sniff);
        var full = Math.Min(size, budget.Chars + sniffSize);
        if (full < size) budget.Exceed(start, start + length);
        budget.Chars -= full - sniffSize;
        var bytes = decode(full);
        return bytes is null ? null : AsText(bytes, truncated: full < size);
    }

    private static bool Charge(DecodeBudget budget, int start, int length, int chars)
    {
        if (budget.Payloads <= 0 || budget.Chars < chars)
        {
            budget.Exceed(start, start + length);
            return false;
        }
        budget.Payloads--;
        budget.Chars -= chars;
        return true;
    }

    private static byte[]? FromBase64(string value, int maxBytes)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
            if (c is '-') sb.Append('+');
            else if (c is '_') sb.Append('/');
            else if (c is not ('=' or '\r' or '\n')) sb.Append(c);
        var chars = Math.Min(sb.Length, (maxBytes + 2) / 3 * 4);
        chars -= chars % 4 == 1 ? 1 : 0;
        var s = sb.ToString(0, chars);
        s = s.PadRight((s.Length + 3) / 4 * 4, '=');
        var buffer = new byte[s.Length / 4 * 3];
        if (!Convert.TryFromBase64String(s, buffer, out var written)) return null;
        return buffer[..Math.Min(written, maxBytes)];
    }

    private static string HexDigits(string value)
    {
        var sb = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] is '0' && i + 1 < value.Length && value[i + 1] is 'x' or 'X') { i++; continue; }
            if (char.IsAsciiHexDigit(value[i])) sb.Append(value[i]);
        }
        return sb.Length % 2 == 0 ? sb.ToString() : sb.ToString(0, sb.Length - 1);
    }

    private static byte[] FromHex(string digits, int maxBytes) => Convert.FromHexString(digits.AsSpan(0, Math.Min(digits.Length, maxBytes * 2)));

    private static byte[] FromBinary(string bits, int maxBytes)
    {
        var n = Math.Min(bits.Length / 8, maxBytes);
        var bytes = new byte[n];
        for (var i = 0; i < n; i++) bytes[i] = Convert.ToByte(bits.Substring(i * 8, 8), 2);
        return bytes;
    }

    /// <summary>The bytes as text, or null when they are data (see the class summary).</summary>
    public static string? AsText(byte[] bytes, bool truncated = false)
    {
        if (bytes.Length == 0) return null;
        string text;
        var oddZeros = 0;
        for (var i = 1; i < bytes.Length; i += 2) oddZeros += bytes[i] == 0 ? 1 : 0;
        if (bytes.Length >= 8 && oddZeros * 2 >= bytes.Length * 2 / 5) text = Encoding.Unicode.GetString(bytes, 0, bytes.Length & ~1);
        else
        {
            var length = bytes.Length;
            // A cut inside a multi-byte sequence is the cut, not data.
            if (truncated)
                for (var back = 1; back <= 3 && back <= length; back++)
                    if ((bytes[length - back] & 0xC0) == 0xC0) { length -= back; break; }
                    else if ((bytes[length - back] & 0x80) == 0) break;
            text = Encoding.UTF8.GetString(bytes, 0, length);
        }
        int bad = 0, letters = 0, visible = 0;
        foreach (var c in text)
        {
            if (c is '\uFFFD' || char.IsControl(c) && c is not ('\n' or '\r' or '\t')) bad++;
            if (char.IsLetter(c)) letters++;
            if (!char.IsWhiteSpace(c)) visible++;
        }
        // Text: letters (30 % of what is not space), or printable ASCII only (hex, base64 or escapes of another layer).
        var ascii = text.All(c => c is >= ' ' and <= '~' or '\n' or '\r' or '\t');
        return bad * 50 <= text.Length && (letters >= 4 && letters * 10 >= visible * 3 || ascii && visible >= 8) ? text : null;
    }

    /// <summary>How far around its escapes a window of decoded text reaches (an instruction is shorter than this).</summary>
    private const int EscapeContext = 256;

    /// <summary>
    /// The text around its escapes (when it holds at least two) with the escapes decoded: one window per cluster of
    /// escapes, <see cref="EscapeContext"/> characters either side; each window's map points each decoded character
    /// at its escape (or at itself).
    /// </summary>
    private static IEnumerable<Payload> Escapes(string text, DecodeBudget budget)
    {
        // Every escape starts with a backslash or an ampersand.
        if (text.AsSpan().IndexOfAny('\\', '&') < 0 && !RuleSet.Exhaustive) yield break;
        var matches = Escape.Matches(text);
        if (matches.Count < 2) yield break;
        var first = 0;
        while (first < matches.Count)
        {
            var last = first;
            while (last + 1 < matches.Count && matches[last + 1].Index - (matches[last].Index + matches[last].Length) <= 2 * EscapeContext) last++;
            var windowStart = Math.Max(0, matches[first].Index - EscapeContext);
            var windowEnd = Math.Min(text.Length, matches[last].Index + matches[last].Length + EscapeContext);
            var cluster = Enumerable.Range(first, last - first + 1).Select(i => matches[i]).ToList();
            first = last + 1;
            if (!Charge(budget, cluster[0].Index, cluster[^1].Index + cluster[^1].Length - cluster[0].Index, windowEnd - windowStart)) yield break;
            if (Window(text, windowStart, windowEnd, cluster) is { } payload) yield return payload;
        }
    }

    private static Payload? Window(string text, int windowStart, int windowEnd, List<Match> cluster)
    {
        var sb = new StringBuilder(windowEnd - windowStart);
        var starts = new List<int>(windowEnd - windowStart);
        var ends = new List<int>(windowEnd - windowStart);
        var decoded = new List<bool>(windowEnd - windowStart);
        void Add(string s, int start, int end, bool fromEscape)
        {
            foreach (var c in s)
            {
                sb.Append(c);
                starts.Add(start);
                ends.Add(end);
                decoded.Add(fromEscape);
            }
        }
        var at = windowStart;
        foreach (var m in cluster)
        {
            for (; at < m.Index; at++) Add(text[at].ToString(), at, at + 1, false);
            var value = Unescape(m.Value);
            Add(value, m.Index, m.Index + m.Length, value != m.Value);
            at = m.Index + m.Length;
        }
        for (; at < windowEnd; at++) Add(text[at].ToString(), at, at + 1, false);
        if (!decoded.Contains(true)) return null;
        return new Payload(ScreenRules.Escapes, "escapes", cluster[0].Index, cluster[^1].Index + cluster[^1].Length, sb.ToString(),
            new TextForm(sb.ToString(), [.. starts], [.. ends]), [.. decoded]);
    }

    private static string Unescape(string escape)
    {
        string FromCode(string hex)
        {
            var cp = int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return cp is >= 0 and <= 0x10FFFF and not (>= 0xD800 and <= 0xDFFF) ? char.ConvertFromUtf32(cp) : cp is >= 0xD800 and <= 0xDFFF ? ((char)cp).ToString() : escape;
        }
        if (escape.StartsWith("\\u{", StringComparison.Ordinal)) return FromCode(escape[3..^1]);
        if (escape.StartsWith("\\u", StringComparison.Ordinal) || escape.StartsWith("\\x", StringComparison.Ordinal)) return FromCode(escape[2..]);
        return WebUtility.HtmlDecode(escape);
    }

    /// <summary>
    /// The matches of <paramref name="regex"/> in <paramref name="text"/>, found in the runs of <paramref name="alphabet"/>
    /// (every character a match can hold) at least <paramref name="minLength"/> long: a match cannot cross a character
    /// outside the alphabet, so it lies inside one run. Each run is searched with one character of context either side,
    /// so <c>\b</c> at its edges reads what the whole text has there. Most of a prose text is in no such run.
    /// </summary>
    private static IEnumerable<Match> Windowed(Regex regex, string text, SearchValues<char> alphabet, int minLength)
    {
        if (RuleSet.Exhaustive)
        {
            foreach (Match m in regex.Matches(text)) yield return m;
            yield break;
        }
        var at = 0;
        while (at < text.Length)
        {
            var start = text.AsSpan(at).IndexOfAny(alphabet);
            if (start < 0) yield break;
            start += at;
            var length = text.AsSpan(start).IndexOfAnyExcept(alphabet);
            var end = length < 0 ? text.Length : start + length;
            at = end;
            if (end - start < minLength) continue;
            var from = Math.Max(0, start - 1);
            for (var m = regex.Match(text, from, Math.Min(text.Length, end + 1) - from); m.Success; m = m.NextMatch()) yield return m;
        }
    }

    /// <summary>Every character a <see cref="Base64Run"/> match can hold.</summary>
    private static readonly SearchValues<char> Base64Chars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-=\r\n");

    /// <summary>Every character a <see cref="HexRun"/> match can hold: hex digits, 0x and \x prefixes, separators, white space (as \s reads it).</summary>
    private static readonly SearchValues<char> HexChars = SearchValues.Create(
        "0123456789ABCDEFabcdefxX\\:,-" + string.Concat(Enumerable.Range(0, char.MaxValue + 1).Select(c => (char)c).Where(char.IsWhiteSpace)));

    /// <summary>Every character a <see cref="BinaryRun"/> match can hold: the digits 0 and 1, commas and white space.</summary>
    private static readonly SearchValues<char> BinaryChars = SearchValues.Create(
        "01," + string.Concat(Enumerable.Range(0, char.MaxValue + 1).Select(c => (char)c).Where(char.IsWhiteSpace)));

    /// <summary>The shortest <see cref="BinaryRun"/> match: four octets.</summary>
    private const int MinBinaryRun = 32;

    /// <summary>The shortest <see cref="HexRun"/> match: three groups of four digits and two separators.</summary>
    private const int MinHexRun = 14;

    private const RegexOptions Linear = RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    private static readonly Regex Base64Run = new(@"[A-Za-z0-9+/_\-]{16,}={0,2}(?:\r?\n[A-Za-z0-9+/_\-]{4,}={0,2})*", Linear);

    private static readonly Regex HexRun = new(
        @"\b(?:0[xX])?(?:[0-9A-Fa-f]{2}){8,}\b|(?:\\x[0-9A-Fa-f]{2}){4,}|\b(?:(?:0[xX])?[0-9A-Fa-f]{2}[\s:,\-]{1,2}){7,}(?:0[xX])?[0-9A-Fa-f]{2}\b"
        + @"|\b(?:[0-9A-Fa-f]{2}){2,}(?:[\s:,\-]{1,2}(?:[0-9A-Fa-f]{2}){2,}){2,}\b", Linear);

    private static readonly Regex BinaryRun = new(@"\b(?:[01]{8}[\s,]?){4,}", Linear);

    private static readonly Regex UrlEncodedRun = new(@"[^\s%]*(?:%[0-9A-Fa-f]{2}[^\s%]*){3,}", Linear);

    private static readonly Regex Escape = new(
        @"\\u\{[0-9A-Fa-f]{1,6}\}|\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}|&#[0-9]{1,7};|&#[xX][0-9A-Fa-f]{1,6};|&[A-Za-z][A-Za-z0-9]{1,30};", Linear);
}
