using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AgentOps.Guardrails.Envelope;

/// <summary>One named part of a prompt's context (a file, a retrieved document, a tool result).</summary>
public sealed record ContextPart
{
    public ContextPart(string name, string content)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(content);
        PromptEnvelope.RequireWellFormed(name, nameof(name));
        PromptEnvelope.RequireWellFormed(content, nameof(content));
        Name = name;
        Content = content;
    }

    public string Name { get; }

    public string Content { get; }
}

/// <summary>
/// A prompt in labelled sections: SYSTEM, TASK, CONSTRAINTS, OUTPUT_SCHEMA and CONTEXT (named parts, in order).
/// Every text is well-formed UTF-16 (a lone surrogate is refused: it would encode like U+FFFD and two different
/// prompts would share a hash). Nothing is normalized: the hashes are of exactly what the model is sent.
/// <para>
/// <see cref="Canonical"/> (format <c>agentops-prompt-envelope/1</c>) is the header line, then each section in the
/// fixed order above as <c>LABEL &lt;byte length&gt;\n&lt;UTF-8 bytes&gt;\n</c>, then <c>CONTEXT &lt;part
/// count&gt;\n</c> and each part, in the given order, as <c>NAME &lt;n&gt;\n&lt;bytes&gt;\nCONTENT
/// &lt;n&gt;\n&lt;bytes&gt;\n</c>. Lengths are decimal without leading zeros. A reader takes exactly the stated
/// number of bytes, so no content (a TASK holding <c>"\n### SYSTEM\n"</c> or <c>"\nSYSTEM 4\n"</c>) can end its
/// section or start another: the serialization is injective, and two envelopes share a
/// <see cref="PromptHash"/> only if SHA-256 collides.
/// </para>
/// <para>
/// <see cref="PromptHash"/> = lower-case hex SHA-256 of <see cref="Canonical"/>: the context's order counts (the
/// model reads it in order). <see cref="ContextHash"/> = lower-case hex SHA-256 of <c>agentops-context/1</c> with the
/// parts sorted by name, then content (ordinal: UTF-16 code units), each written as in the envelope: the same set of
/// parts in any order has the same ContextHash, and any change to a name or a content, or a part added or dropped,
/// changes it. The two headers differ, so no envelope's bytes are ever a context's bytes.
/// </para>
/// </summary>
public sealed class PromptEnvelope
{
    public const string Format = "agentops-prompt-envelope/1";
    public const string ContextFormat = "agentops-context/1";

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Lazy<string> _promptHash;
    private readonly Lazy<string> _contextHash;

    public PromptEnvelope(string system, string task, string constraints, string outputSchema, IEnumerable<ContextPart> context)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(constraints);
        ArgumentNullException.ThrowIfNull(outputSchema);
        ArgumentNullException.ThrowIfNull(context);
        RequireWellFormed(system, nameof(system));
        RequireWellFormed(task, nameof(task));
        RequireWellFormed(constraints, nameof(constraints));
        RequireWellFormed(outputSchema, nameof(outputSchema));
        System = system;
        Task = task;
        Constraints = constraints;
        OutputSchema = outputSchema;
        Context = [.. context.Select(p => p ?? throw new ArgumentException("A context part is null.", nameof(context)))];
        _promptHash = new Lazy<string>(() => Hex(SHA256.HashData(Canonical())));
        _contextHash = new Lazy<string>(() => HashContext(Context));
    }

    public string System { get; }

    public string Task { get; }

    public string Constraints { get; }

    public string OutputSchema { get; }

    public IReadOnlyList<ContextPart> Context { get; }

    /// <summary>SHA-256 of <see cref="Canonical"/>, lower-case hex (64 characters).</summary>
    public string PromptHash => _promptHash.Value;

    /// <summary>SHA-256 of the context parts sorted by name then content, lower-case hex (64 characters).</summary>
    public string ContextHash => _contextHash.Value;

    /// <summary>The canonical bytes (see the class summary).</summary>
    public byte[] Canonical()
    {
        using var stream = new MemoryStream();
        Line(stream, Format);
        Section(stream, "SYSTEM", System);
        Section(stream, "TASK", Task);
        Section(stream, "CONSTRAINTS", Constraints);
        Section(stream, "OUTPUT_SCHEMA", OutputSchema);
        Line(stream, "CONTEXT " + Context.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var part in Context) Part(stream, part);
        return stream.ToArray();
    }

    /// <summary>The ContextHash of any list of parts: sorted by name, then content (ordinal), so their order does not count.</summary>
    public static string HashContext(IEnumerable<ContextPart> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var sorted = parts.ToList();
        sorted.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name) is var byName and not 0 ? byName : string.CompareOrdinal(a.Content, b.Content));
        using var stream = new MemoryStream();
        Line(stream, ContextFormat);
        Line(stream, "PARTS " + sorted.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var part in sorted) Part(stream, part);
        return Hex(SHA256.HashData(stream.ToArray()));
    }

    internal static void RequireWellFormed(string text, string parameter)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(text[i])) throw new ArgumentException($"Lone surrogate at index {i}: the text is not well-formed UTF-16.", parameter);
        }
    }

    private static void Part(Stream stream, ContextPart part)
    {
        Section(stream, "NAME", part.Name);
        Section(stream, "CONTENT", part.Content);
    }

    private static void Section(Stream stream, string label, string text)
    {
        var bytes = Strict.GetBytes(text);
        Line(stream, label + " " + bytes.Length.ToString(CultureInfo.InvariantCulture));
        stream.Write(bytes);
        stream.WriteByte((byte)'\n');
    }

    private static void Line(Stream stream, string ascii)
    {
        stream.Write(Encoding.ASCII.GetBytes(ascii));
        stream.WriteByte((byte)'\n');
    }

    private static string Hex(byte[] hash) => Convert.ToHexStringLower(hash);
}
