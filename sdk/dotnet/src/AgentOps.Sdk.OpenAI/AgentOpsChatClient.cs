using System.ClientModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using AgentOps.Sdk;
using OpenAI.Chat;

namespace AgentOps.Sdk.OpenAI;

/// <summary>
/// Wraps the official OpenAI <see cref="ChatClient"/>: every completion and every stream is recorded as an
/// <c>llm.call</c> in the current span (model, provider, tokens with cached input, latency, time to first token for
/// streams). A stream is recorded when it ends, and also when the consumer stops early (disposing the enumerator).
/// Recording never changes what the caller gets or throws.
/// </summary>
public sealed class AgentOpsChatClient
{
    private readonly AgentOpsClient _ops;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The OpenAI chat client.</param>
    /// <param name="ops">The AgentOps client that records.</param>
    /// <param name="provider">The provider recorded (<c>openai</c>; e.g. <c>azure.ai.openai</c> or another OpenAI-compatible vendor).</param>
    /// <param name="captureContent">Whether prompts and completions are recorded as the call's input and output (off by default: they may hold personal data).</param>
    /// <param name="costUsd">Optional: the cost of a call from its model and usage (else the server prices it).</param>
    public AgentOpsChatClient(ChatClient inner, AgentOpsClient ops, string provider = "openai", bool captureContent = false,
        Func<string, ChatTokenUsage, double?>? costUsd = null)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _ops = ops ?? throw new ArgumentNullException(nameof(ops));
        Provider = provider;
        CaptureContent = captureContent;
        CostUsd = costUsd;
    }

    /// <summary>The wrapped client.</summary>
    public ChatClient Inner { get; }

    /// <summary>The provider recorded.</summary>
    public string Provider { get; }

    /// <summary>Whether prompts and completions are recorded.</summary>
    public bool CaptureContent { get; }

    private Func<string, ChatTokenUsage, double?>? CostUsd { get; }

    /// <summary><see cref="ChatClient.CompleteChatAsync(IEnumerable{ChatMessage}, ChatCompletionOptions, CancellationToken)"/>, recorded.</summary>
    public async Task<ClientResult<ChatCompletion>> CompleteChatAsync(IEnumerable<ChatMessage> messages, ChatCompletionOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var parent = Activity.Current;
        var started = Stopwatch.GetTimestamp();
        ClientResult<ChatCompletion> result;
        try
        {
            result = await Inner.CompleteChatAsync(list, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _ops.RecordError($"{Provider} chat completion failed: {ex.Message}", ex.GetType().Name, parent);
            throw;
        }
        var completion = result.Value;
        Record(completion.Model, completion.Usage, Stopwatch.GetElapsedTime(started), null,
            CaptureContent ? Text(list) : null, CaptureContent ? string.Concat(completion.Content.Select(c => c.Text)) : null, parent);
        return result;
    }

    /// <summary>Convenience overload.</summary>
    public Task<ClientResult<ChatCompletion>> CompleteChatAsync(params ChatMessage[] messages) => CompleteChatAsync((IEnumerable<ChatMessage>)messages);

    /// <summary>
    /// <see cref="ChatClient.CompleteChatStreamingAsync(IEnumerable{ChatMessage}, ChatCompletionOptions, CancellationToken)"/>,
    /// recorded when the stream ends or the consumer stops (the library asks the server for usage in the last chunk).
    /// </summary>
    public async IAsyncEnumerable<StreamingChatCompletionUpdate> CompleteChatStreamingAsync(IEnumerable<ChatMessage> messages,
        ChatCompletionOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        var parent = Activity.Current;
        var started = Stopwatch.GetTimestamp();
        TimeSpan? firstChunk = null;
        string? model = null;
        ChatTokenUsage? usage = null;
        var text = CaptureContent ? new System.Text.StringBuilder() : null;
        try
        {
            await foreach (var update in Inner.CompleteChatStreamingAsync(list, options, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                firstChunk ??= Stopwatch.GetElapsedTime(started);
                if (!string.IsNullOrEmpty(update.Model)) model ??= update.Model;
                if (update.Usage is not null) usage = update.Usage;
                if (text is not null) foreach (var part in update.ContentUpdate) text.Append(part.Text);
                yield return update;
            }
        }
        finally
        {
            Record(model, usage, Stopwatch.GetElapsedTime(started), firstChunk, CaptureContent ? Text(list) : null, text?.ToString(), parent);
        }
    }

    private void Record(string? responseModel, ChatTokenUsage? usage, TimeSpan latency, TimeSpan? firstChunk, object? input, object? output, Activity? parent)
    {
        var requestModel = RequestModel() ?? responseModel ?? "unknown";
        double? cost = null;
        try { if (usage is not null && CostUsd is not null) cost = CostUsd(responseModel ?? requestModel, usage); }
        catch (Exception) { /* a cost function's failure must not break the call */ }
        _ops.RecordLlmCall(requestModel, Provider,
            tokensIn: usage?.InputTokenCount ?? 0,
            tokensOut: usage?.OutputTokenCount ?? 0,
            tokensCached: usage?.InputTokenDetails?.CachedTokenCount ?? 0,
            latency: latency, timeToFirstToken: firstChunk, costUsd: cost, input: input, output: output,
            responseModel: responseModel, parent: parent);
    }

    private string? RequestModel()
    {
        // ChatClient.Model is marked experimental (OPENAI001) but is the only place the requested model is kept;
        // should it go, the response's model is recorded instead.
#pragma warning disable OPENAI001
        try { return Inner.Model; }
#pragma warning restore OPENAI001
        catch (Exception) { return null; }
    }

    private static string Text(IEnumerable<ChatMessage> messages) =>
        string.Join("\n", messages.Select(m => string.Concat(m.Content.Select(c => c.Text))));
}

/// <summary>Wrapping helpers.</summary>
public static class ChatClientExtensions
{
    /// <summary>Wraps the client so its calls are recorded by <paramref name="ops"/>.</summary>
    public static AgentOpsChatClient WithAgentOps(this ChatClient client, AgentOpsClient ops, string provider = "openai", bool captureContent = false) =>
        new(client, ops, provider, captureContent);
}
