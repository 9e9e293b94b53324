using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AgentOps.Guardrails.Redaction;

/// <summary>
/// Rewrites the strings of a JSON document in place: every property name, string value and number is offered to a
/// <see cref="Rewriter"/> (strings unescaped); what it changes is spliced in as a JSON string, everything else (layout,
/// escapes, other tokens) is copied byte for byte, so the document keeps its structure and stays valid. Numbers that
/// change become strings (a card number written as a JSON number is still a card number). Strict JSON: no comments or
/// trailing commas (a comment could hide a value from the rewriter), one value, <see cref="JsonException"/> otherwise.
/// </summary>
internal static class RedactionJson
{
    internal abstract class Rewriter
    {
        /// <summary>The new text of the string (unescaped), or null to keep it as it is.</summary>
        public abstract string? Rewrite(ReadOnlySpan<char> value, bool isNumber, Path path);
    }

    internal struct Frame
    {
        public bool IsArray;
        public int Index;
        public int NameStart;
        public int NameLength;
    }

    /// <summary>Where the rewriter is in the document; <see cref="ToString"/> spells it ($.args.to, $.items[2]).</summary>
    internal sealed class Path
    {
        internal Frame[] Frames = new Frame[8];
        internal int Depth;
        internal byte[] Utf8 = [];

        public override string ToString()
        {
            var path = new StringBuilder("$");
            for (var i = 0; i < Depth; i++)
            {
                ref var f = ref Frames[i];
                if (f.IsArray) { path.Append('[').Append(f.Index.ToString(CultureInfo.InvariantCulture)).Append(']'); continue; }
                if (f.NameLength < 0) continue;
                var reader = new Utf8JsonReader(Utf8.AsSpan(f.NameStart - 1, f.NameLength + 2));
                reader.Read();
                var name = reader.GetString()!;
                if (name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.AsSpan().IndexOfAnyExcept(SimpleName) < 0) path.Append('.').Append(name);
                else path.Append("['").Append(name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)).Append("']");
            }
            return path.ToString();
        }

        internal void Push(bool isArray)
        {
            if (Depth == Frames.Length) Array.Resize(ref Frames, Depth * 2);
            Frames[Depth++] = new Frame { IsArray = isArray, NameLength = -1 };
        }

        internal void AfterValue()
        {
            if (Depth > 0 && Frames[Depth - 1].IsArray) Frames[Depth - 1].Index++;
        }
    }

    private static readonly SearchValues<char> SimpleName = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

    /// <summary>The rewritten document, or <paramref name="json"/> itself when nothing changed.</summary>
    public static string Rewrite(string json, int maxDepth, Rewriter rewriter)
    {
        var utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        var chars = ArrayPool<char>.Shared.Rent(256);
        try
        {
            var length = Encoding.UTF8.GetBytes(json, utf8);
            var input = utf8.AsSpan(0, length);
            var path = new Path { Utf8 = utf8 };
            var reader = new Utf8JsonReader(input, new JsonReaderOptions { MaxDepth = maxDepth, CommentHandling = JsonCommentHandling.Disallow });
            ArrayBufferWriter<byte>? output = null;
            var copied = 0;
            var tokens = 0;
            while (reader.Read())
            {
                tokens++;
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        path.Push(reader.TokenType == JsonTokenType.StartArray);
                        continue;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.Depth--;
                        path.AfterValue();
                        continue;
                    case JsonTokenType.PropertyName:
                        ref var frame = ref path.Frames[path.Depth - 1];
                        frame.NameStart = (int)reader.TokenStartIndex + 1;
                        frame.NameLength = reader.ValueSpan.Length;
                        break;
                    case JsonTokenType.String or JsonTokenType.Number:
                        break;
                    default:
                        path.AfterValue();
                        continue;
                }
                var isNumber = reader.TokenType == JsonTokenType.Number;
                var raw = reader.ValueSpan;
                if (chars.Length < raw.Length)
                {
                    ArrayPool<char>.Shared.Return(chars);
                    chars = ArrayPool<char>.Shared.Rent(raw.Length);
                }
                var n = isNumber ? Encoding.ASCII.GetChars(raw, chars) : reader.CopyString(chars);
                var start = (int)reader.TokenStartIndex;
                var end = start + raw.Length + (isNumber ? 0 : 2);
                var replacement = rewriter.Rewrite(chars.AsSpan(0, n), isNumber, path);
                if (reader.TokenType != JsonTokenType.PropertyName) path.AfterValue();
                if (replacement is null) continue;
                output ??= new ArrayBufferWriter<byte>(length + 256);
                output.Write(input[copied..start]);
                WriteString(output, replacement);
                copied = end;
            }
            if (tokens == 0) throw new JsonException("The text holds no JSON value.");
            if (output is null) return json;
            output.Write(input[copied..]);
            return Encoding.UTF8.GetString(output.WrittenSpan);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>What a JSON string cannot hold as it is: control characters, quote, backslash; surrogates are checked in pairs.</summary>
    private static readonly SearchValues<char> Special = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(c => (char)c), '"', '\\', .. Enumerable.Range(0xD800, 0x800).Select(c => (char)c)]);

    /// <summary>A JSON string: quotes, backslashes and control characters escaped, lone surrogates as \uXXXX, the rest UTF-8.</summary>
    internal static void WriteString(IBufferWriter<byte> output, ReadOnlySpan<char> value)
    {
        var span = output.GetSpan(value.Length * 6 + 2);
        var w = 0;
        span[w++] = (byte)'"';
        var i = 0;
        while (i < value.Length)
        {
            // Runs of ordinary characters are encoded at once.
            var run = value[i..].IndexOfAny(Special);
            if (run < 0) run = value.Length - i;
            if (run > 0)
            {
                w += Encoding.UTF8.GetBytes(value.Slice(i, run), span[w..]);
                i += run;
                continue;
            }
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                w += Encoding.UTF8.GetBytes(value.Slice(i, 2), span[w..]);
                i += 2;
                continue;
            }
            span[w++] = (byte)'\\';
            switch (c)
            {
                case '"': span[w++] = (byte)'"'; break;
                case '\\': span[w++] = (byte)'\\'; break;
                case '\n': span[w++] = (byte)'n'; break;
                case '\r': span[w++] = (byte)'r'; break;
                case '\t': span[w++] = (byte)'t'; break;
                default:
                    span[w++] = (byte)'u';
                    ((int)c).TryFormat(span.Slice(w, 4), out _, "x4", CultureInfo.InvariantCulture);
                    w += 4;
                    break;
            }
            i++;
        }
        span[w++] = (byte)'"';
        output.Advance(w);
    }
}
