using System.Text;
using System.Text.Json;

namespace AgentOps.Providers;

/// <summary>
/// A tool call the model made. <see cref="ArgumentsJson"/> is the text the model wrote; <see cref="Arguments"/> is it
/// parsed, or null with <see cref="ArgumentsError"/> saying why when the model wrote JSON that does not parse (kept,
/// not thrown away: the caller decides whether to ask the model again).
/// </summary>
public sealed record ToolCall(string Id, string Name, string ArgumentsJson)
{
    /// <summary>The arguments parsed (an empty text counts as {}), or null when they do not parse.</summary>
    public JsonElement? Arguments => Parse().Value;

    /// <summary>Why the arguments do not parse; null when they do.</summary>
    public string? ArgumentsError => Parse().Error;

    private (JsonElement? Value, string? Error) Parse()
    {
        try
        {
            using var doc = JsonDocument.Parse(ArgumentsJson.Length == 0 ? "{}" : ArgumentsJson);
            return (doc.RootElement.Clone(), null);
        }
        catch (JsonException e)
        {
            return (null, e.Message);
        }
    }
}

/// <summary>
/// Tokens of one call. <see cref="InputTokens"/> counts the whole prompt, cached parts included (OpenAI's
/// prompt_tokens; Anthropic's input_tokens + cache_read_input_tokens + cache_creation_input_tokens);
/// <see cref="CachedInputTokens"/> is the part read from the provider's prompt cache, <see cref="CacheWriteInputTokens"/>
/// the part written to it (Anthropic only).
/// </summary>
public sealed record ModelUsage(int InputTokens, int OutputTokens, int CachedInputTokens = 0, int CacheWriteInputTokens = 0)
{
    public static ModelUsage Zero { get; } = new(0, 0);
}

/// <summary>Why the model stopped, the same for every provider (the provider's own word is kept beside it).</summary>
public enum FinishReason { Stop, Length, ToolCalls, ContentFilter, Error }

/// <summary>
/// A finished call. <see cref="RawBody"/> is the provider's response as received (for streams, the event text), kept
/// for the audit; the credential never appears in it.
/// </summary>
public sealed record ModelResult(
    string Content,
    IReadOnlyList<ToolCall> ToolCalls,
    ModelUsage Usage,
    string Model,
    FinishReason FinishReason,
    string? ProviderFinishReason,
    string? RequestId,
    string RawBody);

/// <summary>A piece of a streamed answer: text, a tool call's arguments, then exactly one <see cref="FinishDelta"/> last.</summary>
public abstract record ModelDelta;

public sealed record TextDelta(string Text) : ModelDelta;

/// <summary>
/// A piece of the tool call at <see cref="Index"/> (0, 1, … in the order the model made them): the first piece of a call
/// carries its id and name, later ones only more argument text.
/// </summary>
public sealed record ToolCallDelta(int Index, string? Id, string? Name, string ArgumentsDelta) : ModelDelta;

/// <summary>The end of a stream that completed: why it stopped and what it used. A stream without it was cut.</summary>
public sealed record FinishDelta(FinishReason FinishReason, string? ProviderFinishReason, ModelUsage Usage, string Model, string? RequestId, string RawBody) : ModelDelta;

/// <summary>Folds a stream's deltas into the <see cref="ModelResult"/> the same call without streaming gives.</summary>
public sealed class ModelStreamAssembler
{
    private readonly StringBuilder _text = new();
    private readonly SortedDictionary<int, (string? Id, string? Name, StringBuilder Arguments)> _calls = [];
    private FinishDelta? _finish;

    public void Add(ModelDelta delta)
    {
        if (_finish is not null) throw new InvalidOperationException("The stream already finished.");
        switch (delta)
        {
            case TextDelta t: _text.Append(t.Text); break;
            case ToolCallDelta c:
                if (!_calls.TryGetValue(c.Index, out var call)) _calls[c.Index] = call = (null, null, new StringBuilder());
                _calls[c.Index] = (call.Id ?? c.Id, call.Name ?? c.Name, call.Arguments.Append(c.ArgumentsDelta));
                break;
            case FinishDelta f: _finish = f; break;
        }
    }

    public bool IsFinished => _finish is not null;

    /// <summary>The result; a stream that never finished is <see cref="ProviderErrorKind.StreamCut"/>.</summary>
    public ModelResult ToResult()
    {
        var f = _finish ?? throw new ProviderException(ProviderErrorKind.StreamCut, "The stream ended before the model finished.");
        return new ModelResult(_text.ToString(), [.. _calls.Values.Select(c => new ToolCall(c.Id ?? "", c.Name ?? "", c.Arguments.ToString()))],
            f.Usage, f.Model, f.FinishReason, f.ProviderFinishReason, f.RequestId, f.RawBody);
    }

    public static async Task<ModelResult> CollectAsync(IAsyncEnumerable<ModelDelta> deltas, CancellationToken ct = default)
    {
        var assembler = new ModelStreamAssembler();
        await foreach (var d in deltas.WithCancellation(ct)) assembler.Add(d);
        return assembler.ToResult();
    }
}
