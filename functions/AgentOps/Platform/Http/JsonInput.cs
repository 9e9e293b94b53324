using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace AgentOps.Platform.Http;

/// <summary>What is wrong with a piece of input, where (a JSON path such as <c>$.batch[3].metadata.a</c>), in words for its sender.</summary>
public sealed record InputFault(string Code, string Message, string Path)
{
    public ApiProblem ToProblem() => new(StatusCodes.Status400BadRequest, Code, "Bad request", Message, new Dictionary<string, string[]> { [Path] = [Message] });
}

/// <summary>
/// The one rule for what JSON input may hold, applied before anything reads it (<see cref="InputGateMiddleware"/>) and,
/// for batch items that are accepted or refused one by one, to each item (ingest). JSON that passes can be read by
/// System.Text.Json without an exception and stored in Postgres <c>text</c> and <c>jsonb</c> as it is (an encoded body is
/// refused unless its endpoint decodes it and applies this rule itself, as OTLP does):
/// <list type="bullet">
/// <item>UTF-8 only (RFC 8259): invalid, overlong and truncated sequences and encoded surrogates are refused;</item>
/// <item>no string or key holds U+0000 (Postgres text cannot, jsonb not even escaped) or a lone UTF-16 surrogate
/// (<c>"\ud800"</c>: jsonb refuses it and .NET cannot turn it into a string);</item>
/// <item>numbers within the range of an IEEE 754 double (RFC 8259 §6's interoperable range) and with at most
/// <see cref="MaxScale"/> digits after the point as stored: Postgres numeric refuses 1e131072 and 0e-20000 outright,
/// and writes 1e131071 out as 131,072 digits, so a 9-byte number could not be stored, or would be stored 15,000 times
/// larger;</item>
/// <item>at most <see cref="MaxDepth"/> levels of nesting;</item>
/// <item>no object names a key twice (readers disagree on which value wins, so none is guessed).</item>
/// </list>
/// </summary>
public static class JsonInput
{
    /// <summary>
    /// The deepest nesting a request body may have (the root object or array is level 1). A free-form value stored from
    /// a body (metadata, config, payload, context) is therefore at most 31 levels deep, and every response that wraps it
    /// (in a list, in an audit entry) stays well under the <see cref="Json.MaxOutputDepth"/> the API writes.
    /// </summary>
    public const int MaxDepth = 32;

    /// <summary>Checks a whole body. <paramref name="itemsProperty"/>: text inside that top-level array's items is left to the caller, which refuses such an item alone.</summary>
    public static InputFault? Inspect(ReadOnlySpan<byte> utf8, string? itemsProperty = null)
    {
        utf8 = WithoutByteOrderMark(utf8);
        if (!Utf8.IsValid(utf8))
            return new InputFault("invalid_encoding", "The body is not valid UTF-8 (JSON must be UTF-8: invalid, overlong or truncated sequences and encoded surrogates are refused).", "$");
        return Walk(utf8, itemsProperty);
    }

    /// <summary>A UTF-8 byte-order mark is allowed before a body (JsonDocument and binding skip it; JsonNode does not).</summary>
    public static ReadOnlySpan<byte> WithoutByteOrderMark(ReadOnlySpan<byte> utf8) => utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? utf8[3..] : utf8;

    /// <summary>
    /// Checks one item of a batch that the gate passed with <c>itemsProperty</c> set: only the text rule is left to check.
    /// Valid JSON holds no raw NUL or (being UTF-8) raw surrogate, and a backslash only inside strings, so one scan of
    /// the item's escapes decides; only an item with a problem is walked again, for the path.
    /// </summary>
    public static InputFault? InspectText(ReadOnlySpan<byte> utf8) => EscapeProblem(utf8) is null ? null : Walk(utf8, null);

    /// <summary>The text rule for a value that did not come as JSON (a query or route value): no NUL, no lone surrogate.</summary>
    public static string? TextProblem(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') return "must not contain NUL characters (U+0000).";
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return "must not contain a lone UTF-16 surrogate.";
        }
        return null;
    }

    private struct Frame
    {
        public bool IsArray;
        public int Index;
        public int NameStart;
        public int NameLength;
        public bool ItemsArray;
    }

    private static InputFault? Walk(ReadOnlySpan<byte> utf8, string? itemsProperty)
    {
        // The reader's own limit sits one above ours so that ours, which can name the path, is met first.
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth + 1, CommentHandling = JsonCommentHandling.Disallow });
        var frames = ArrayPool<Frame>.Shared.Rent(MaxDepth + 1);
        var keySets = new HashSet<ulong>?[MaxDepth + 1];
        var depth = 0; // frames in use
        var textSkipDepth = int.MaxValue; // inside the items of itemsProperty, text is the caller's to check
        int pendingNameStart = -1, pendingNameLength = 0;
        var pendingIsItems = false; // the key just read is the top-level itemsProperty
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        if (depth >= MaxDepth)
                            return new InputFault("too_deep", $"The body nests deeper than {MaxDepth} levels.", PathOf(utf8, frames, depth, pendingNameStart, pendingNameLength));
                        frames[depth] = new Frame { IsArray = reader.TokenType == JsonTokenType.StartArray, Index = -1, NameStart = pendingNameStart, NameLength = pendingNameLength };
                        if (depth > 0 && frames[depth - 1].IsArray) frames[depth - 1].Index++;
                        frames[depth].ItemsArray = pendingIsItems && frames[depth].IsArray;
                        if (frames[depth].ItemsArray) textSkipDepth = depth + 1;
                        if (!frames[depth].IsArray) (keySets[depth] ??= []).Clear();
                        depth++;
                        pendingNameStart = -1;
                        pendingIsItems = false;
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        depth--;
                        if (frames[depth].ItemsArray) textSkipDepth = int.MaxValue;
                        break;
                    case JsonTokenType.PropertyName:
                        {
                            var start = (int)reader.TokenStartIndex + 1;
                            var raw = reader.ValueSpan;
                            if (depth < textSkipDepth && reader.ValueIsEscaped && EscapeProblem(raw) is { } problem)
                                return new InputFault("invalid_text", "A key " + problem, PathOf(utf8, frames, depth, start, raw.Length));
                            if (!keySets[depth - 1]!.Add(KeyHash(raw, reader.ValueIsEscaped)))
                                return new InputFault("duplicate_key", "An object names the same key twice.", PathOf(utf8, frames, depth, start, raw.Length));
                            pendingNameStart = start;
                            pendingNameLength = raw.Length;
                            pendingIsItems = itemsProperty is not null && depth == 1 && reader.ValueTextEquals(itemsProperty);
                            break;
                        }
                    case JsonTokenType.String:
                        if (depth < textSkipDepth && reader.ValueIsEscaped && EscapeProblem(reader.ValueSpan) is { } text)
                            return new InputFault("invalid_text", "A string " + text, PathOf(utf8, frames, depth, pendingNameStart, pendingNameLength));
                        Value(frames, depth, ref pendingNameStart, ref pendingIsItems);
                        break;
                    case JsonTokenType.Number:
                        if (NumberProblem(reader.ValueSpan) is { } number)
                            return new InputFault("invalid_number", "A number " + number, PathOf(utf8, frames, depth, pendingNameStart, pendingNameLength));
                        Value(frames, depth, ref pendingNameStart, ref pendingIsItems);
                        break;
                    default:
                        Value(frames, depth, ref pendingNameStart, ref pendingIsItems);
                        break;
                }
            }
            return null;
        }
        catch (JsonException e)
        {
            return new InputFault("malformed_json", $"The body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1} of the line).",
                PathOf(utf8, frames, depth, pendingNameStart, pendingNameLength));
        }
        finally
        {
            ArrayPool<Frame>.Shared.Return(frames);
        }
    }

    /// <summary>A scalar value: counts as the next element of an enclosing array.</summary>
    private static void Value(Frame[] frames, int depth, ref int pendingNameStart, ref bool pendingIsItems)
    {
        if (depth > 0 && frames[depth - 1].IsArray) frames[depth - 1].Index++;
        pendingNameStart = -1;
        pendingIsItems = false;
    }

    /// <summary>
    /// The most digits after the decimal point a number may have as Postgres keeps it (the written fraction's digits
    /// minus the exponent). Postgres numeric refuses more than 16,383 (0e-20000 would be refused at the insert); far fewer
    /// are enough for any double (4.9e-324 has 324), and fewer keep 0e-16000 from being stored as 16,000 zeros.
    /// </summary>
    public const int MaxScale = 1000;

    /// <summary>
    /// The problem with a number, if any: more than <see cref="MaxScale"/> digits after the point as stored, beyond a
    /// double's range, or so small it would be zero as one (1e-400). A number of at most 15 characters without an
    /// exponent is always fine, and is not parsed.
    /// </summary>
    public static string? NumberProblem(ReadOnlySpan<byte> raw)
    {
        var exponentAt = raw.IndexOfAny((byte)'e', (byte)'E');
        if (exponentAt < 0 && raw.Length <= 15) return null;
        var mantissa = exponentAt < 0 ? raw : raw[..exponentAt];
        var point = mantissa.IndexOf((byte)'.');
        long exponent = 0;
        if (exponentAt >= 0 && !long.TryParse(raw[(exponentAt + 1)..], System.Globalization.NumberStyles.AllowLeadingSign,
                System.Globalization.CultureInfo.InvariantCulture, out exponent))
            return "is beyond the range of a double (about ±1.8e308).";
        if ((point < 0 ? 0 : mantissa.Length - point - 1) - exponent > MaxScale)
            return $"has more than {MaxScale} digits after the decimal point (as stored).";
        if (!double.TryParse(raw, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            return "is beyond the range of a double (about ±1.8e308).";
        return value == 0 && mantissa.IndexOfAnyInRange((byte)'1', (byte)'9') >= 0 ? "is too close to zero for a double (below about 4.9e-324)." : null;
    }

    /// <summary>
    /// The problem with an escaped string's raw text, if any: a \u0000 escape, or a \uD800-\uDFFF escape not paired as
    /// high then low. Walks escape by escape, so that "\\u0000" (an escaped backslash, then text) is not mistaken for one.
    /// </summary>
    public static string? EscapeProblem(ReadOnlySpan<byte> raw)
    {
        for (var i = 0; i < raw.Length; i++)
        {
            var next = raw[i..].IndexOf((byte)'\\'); // vectorized: most text has few escapes
            if (next < 0) return null;
            i += next;
            if (i + 1 >= raw.Length) return null; // the reader refuses this; not ours to report
            if (raw[i + 1] != (byte)'u') { i++; continue; }
            var code = Hex4(raw, i + 2);
            if (code < 0) return null;
            i += 5;
            if (code == 0) return "must not contain NUL characters (\\u0000).";
            if (code is >= 0xDC00 and <= 0xDFFF) return "must not contain a lone UTF-16 surrogate (\\u" + code.ToString("x4", System.Globalization.CultureInfo.InvariantCulture) + ").";
            if (code is >= 0xD800 and <= 0xDBFF)
            {
                var low = i + 2 < raw.Length && raw[i + 1] == (byte)'\\' && raw[i + 2] == (byte)'u' ? Hex4(raw, i + 3) : -1;
                if (low is < 0xDC00 or > 0xDFFF)
                    return "must not contain a lone UTF-16 surrogate (\\u" + code.ToString("x4", System.Globalization.CultureInfo.InvariantCulture) + ").";
                i += 6;
            }
        }
        return null;
    }

    private static int Hex4(ReadOnlySpan<byte> raw, int at)
    {
        if (at + 4 > raw.Length) return -1;
        var value = 0;
        for (var k = 0; k < 4; k++)
        {
            var digit = HexDigit(raw[at + k]);
            if (digit < 0) return -1;
            value = value * 16 + digit;
        }
        return value;
    }

    private static int HexDigit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    /// <summary>
    /// FNV-1a over the key's unescaped UTF-8, so that "a" and "\u0061" are the same key. 64 bits: two different keys of
    /// one object colliding is not a practical concern, and a crafted collision only gets its own sender's body refused.
    /// </summary>
    private static ulong KeyHash(ReadOnlySpan<byte> raw, bool escaped)
    {
        // Unescaping a key with a lone surrogate fails; its raw text is then hashed (the text rule refuses it anyway, or
        // the batch item it is in is refused on its own).
        if (!escaped) return Fnv1a(raw);
        Span<byte> buffer = raw.Length <= 256 ? stackalloc byte[256] : new byte[raw.Length];
        return TryUnescape(raw, buffer, out var written) ? Fnv1a(buffer[..written]) : Fnv1a(raw);
    }

    private static ulong Fnv1a(ReadOnlySpan<byte> bytes)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in bytes) hash = (hash ^ b) * 1099511628211UL;
        return hash;
    }

    private static bool TryUnescape(ReadOnlySpan<byte> raw, Span<byte> destination, out int written)
    {
        written = 0;
        if (EscapeProblem(raw) is not null) return false;
        var reader = new Utf8JsonReader(Concat(raw));
        if (!reader.Read()) return false;
        try { written = reader.CopyString(destination); return true; }
        catch (InvalidOperationException) { return false; }
    }

    private static byte[] Concat(ReadOnlySpan<byte> raw)
    {
        var quoted = new byte[raw.Length + 2];
        quoted[0] = quoted[^1] = (byte)'"';
        raw.CopyTo(quoted.AsSpan(1));
        return quoted;
    }

    /// <summary>
    /// The JSON path of the token being read (not yet counted in its array), built only when there is something to
    /// report. Frame i was entered under its parent's current index, or under its own name.
    /// </summary>
    private static string PathOf(ReadOnlySpan<byte> utf8, Frame[] frames, int depth, int nameStart, int nameLength)
    {
        var path = new StringBuilder("$");
        for (var i = 1; i < depth; i++)
        {
            if (frames[i - 1].IsArray) path.Append('[').Append(frames[i - 1].Index).Append(']');
            else AppendName(path, utf8, frames[i].NameStart, frames[i].NameLength);
        }
        if (depth > 0 && frames[depth - 1].IsArray) path.Append('[').Append(frames[depth - 1].Index + 1).Append(']');
        else if (depth > 0) AppendName(path, utf8, nameStart, nameLength);
        return path.ToString();
    }

    private static void AppendName(StringBuilder path, ReadOnlySpan<byte> utf8, int start, int length)
    {
        if (start < 0) return;
        // Raw (still escaped) text, cut: a path names a place, it need not reproduce a hostile key.
        var name = Encoding.UTF8.GetString(utf8.Slice(start, Math.Min(length, 64)));
        path.Append('.').Append(name);
    }
}
