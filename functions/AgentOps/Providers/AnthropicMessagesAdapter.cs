using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentOps.Providers;

/// <summary>Where and how <see cref="AnthropicMessagesAdapter"/> calls Anthropic's Messages API.</summary>
public sealed record AnthropicMessagesOptions
{
    public string ProviderName { get; init; } = "anthropic";

    public Uri BaseUrl { get; init; } = new("https://api.anthropic.com/");

    public string Path { get; init; } = "v1/messages";

    /// <summary>The anthropic-version header.</summary>
    public string Version { get; init; } = "2023-06-01";

    /// <summary>max_tokens is required by the API: this when the request sets none.</summary>
    public int DefaultMaxTokens { get; init; } = 4096;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public Func<string, ModelCapabilities>? Capabilities { get; init; }
}

/// <summary>
/// Anthropic's Messages API: x-api-key and anthropic-version headers, system prompt at the top level, tool_use and
/// tool_result content blocks (a tool message becomes a user message's tool_result; consecutive ones share one
/// message), tools with input_schema, tool_choice {type: auto|any|tool|none}, and streams of message_start,
/// content_block_start/delta/stop, message_delta (usage), message_stop and error events.
/// <para>
/// The API has no response_format: a JSON response (json_object or json_schema) is asked for the documented way, as a
/// tool named after the format whose input_schema is the schema and that the model is made to call; its input comes
/// back as the result's text (not as a tool call) and its finish reason as stop.
/// </para>
/// </summary>
public sealed class AnthropicMessagesAdapter(HttpClient http, AnthropicMessagesOptions? options = null, TimeProvider? time = null) : IModelProvider
{
    private const string DefaultJsonToolName = "json_response";

    private readonly AnthropicMessagesOptions _options = options ?? new AnthropicMessagesOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Name => _options.ProviderName;

    public ModelCapabilities CapabilitiesOf(string model) =>
        _options.Capabilities?.Invoke(model)
        ?? (model.StartsWith("claude-", StringComparison.OrdinalIgnoreCase) && !model.StartsWith("claude-2", StringComparison.OrdinalIgnoreCase) && !model.StartsWith("claude-instant", StringComparison.OrdinalIgnoreCase)
            ? ModelCapabilities.All
            : ModelCapabilities.Text | ModelCapabilities.Streaming);

    public async Task<ModelResult> CompleteAsync(ModelRequest request, ProviderCredential credential, CancellationToken ct = default)
    {
        var jsonTool = JsonToolName(request);
        using var call = await SendAsync(request, credential, stream: false, ct);
        var raw = await call.ReadBodyAsync();
        return call.Shape(() => Result(raw, request, jsonTool, call));
    }

    private static ModelResult Result(string raw, ModelRequest request, string? jsonTool, ProviderCall call)
    {
        using var doc = call.Parse(raw);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
            throw call.Invalid("no content.");
        var text = new StringBuilder();
        var calls = new List<ToolCall>();
        foreach (var block in content.EnumerateArray())
            switch (ProviderCall.Str(block, "type"))
            {
                case "text": text.Append(ProviderCall.Str(block, "text")); break;
                case "tool_use":
                    var name = ProviderCall.Str(block, "name") ?? throw call.Invalid("a tool_use block without a name.");
                    var input = block.TryGetProperty("input", out var i) ? i.GetRawText() : "{}";
                    if (name == jsonTool) text.Append(input);
                    else calls.Add(new ToolCall(ProviderCall.Str(block, "id") ?? "", name, input));
                    break;
            }
        var stop = ProviderCall.Str(root, "stop_reason");
        var usage = root.TryGetProperty("usage", out var u) ? Usage(u, new UsageParts()) : new UsageParts();
        return new ModelResult(text.ToString(), calls, usage.ToUsage(), ProviderCall.Str(root, "model") ?? request.Model, Finish(stop, calls.Count > 0), stop,
            call.RequestId, raw);
    }

    public async IAsyncEnumerable<ModelDelta> StreamAsync(ModelRequest request, ProviderCredential credential, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var state = new StreamState { Model = request.Model, JsonTool = JsonToolName(request) };
        using var call = await SendAsync(request, credential, stream: true, ct);
        var events = await call.OpenEventsAsync(_options.StreamIdleTimeout);
        while (await events.NextAsync() is { } e)
        {
            if (call.Shape(() => Event(e.Data, state, call, credential)) is { } delta) yield return delta;
            if (state.Stopped)
            {
                yield return new FinishDelta(Finish(state.StopReason, state.ToolCalls > 0), state.StopReason, state.Usage.ToUsage(), state.Model, call.RequestId, events.Raw);
                yield break;
            }
        }
        throw events.Cut("message_stop");
    }

    private sealed class UsageParts
    {
        public int Input { get; set; }
        public int Output { get; set; }
        public int CacheRead { get; set; }
        public int CacheWrite { get; set; }
        public ModelUsage ToUsage() => new(Input + CacheRead + CacheWrite, Output, CacheRead, CacheWrite);
    }

    private sealed class StreamState
    {
        public required string Model { get; set; }
        public string? JsonTool { get; init; }
        public string? StopReason { get; set; }
        public bool Stopped { get; set; }
        public int ToolCalls { get; set; }
        public UsageParts Usage { get; } = new();

        /// <summary>What each content block is: a tool call's ordinal, -1 text (the JSON response tool too), null ignored (thinking).</summary>
        public Dictionary<int, int?> Blocks { get; } = [];
    }

    private static ModelDelta? Event(string data, StreamState state, ProviderCall call, ProviderCredential credential)
    {
        using var doc = call.Parse(data);
        var root = doc.RootElement;
        var index = root.TryGetProperty("index", out var ix) && ix.ValueKind == JsonValueKind.Number ? ix.GetInt32() : 0;
        switch (ProviderCall.Str(root, "type"))
        {
            case "message_start":
                var message = root.GetProperty("message");
                state.Model = ProviderCall.Str(message, "model") ?? state.Model;
                if (message.TryGetProperty("usage", out var startUsage)) Usage(startUsage, state.Usage);
                return null;
            case "content_block_start":
                var block = root.GetProperty("content_block");
                switch (ProviderCall.Str(block, "type"))
                {
                    case "text":
                        state.Blocks[index] = -1;
                        return ProviderCall.Str(block, "text") is { Length: > 0 } t ? new TextDelta(t) : null;
                    case "tool_use" when ProviderCall.Str(block, "name") == state.JsonTool:
                        state.Blocks[index] = -1;
                        return null;
                    case "tool_use":
                        var ordinal = state.ToolCalls++;
                        state.Blocks[index] = ordinal;
                        return new ToolCallDelta(ordinal, ProviderCall.Str(block, "id"), ProviderCall.Str(block, "name"), "");
                    default:
                        state.Blocks[index] = null;
                        return null;
                }
            case "content_block_delta":
                if (!state.Blocks.TryGetValue(index, out var kind)) throw call.Invalid($"a delta for content block {index}, which never started.");
                var delta = root.GetProperty("delta");
                var piece = ProviderCall.Str(delta, "type") switch
                {
                    "text_delta" => ProviderCall.Str(delta, "text"),
                    "input_json_delta" => ProviderCall.Str(delta, "partial_json"),
                    _ => null,
                };
                return piece is not { Length: > 0 } || kind is null ? null
                    : kind == -1 ? new TextDelta(piece) : new ToolCallDelta(kind.Value, null, null, piece);
            case "message_delta":
                if (root.TryGetProperty("delta", out var md)) state.StopReason = ProviderCall.Str(md, "stop_reason") ?? state.StopReason;
                if (root.TryGetProperty("usage", out var deltaUsage)) Usage(deltaUsage, state.Usage);
                return null;
            case "message_stop":
                state.Stopped = true;
                return null;
            case "error":
                throw ProviderCall.StreamError(root.TryGetProperty("error", out var error) ? error : root, "Anthropic", credential, call.RequestId);
            default:
                return null; // ping, content_block_stop, and event types added later
        }
    }

    /// <summary>Reads the usage fields present (a message_delta repeats only some of them) into <paramref name="parts"/>.</summary>
    private static UsageParts Usage(JsonElement u, UsageParts parts)
    {
        if (u.ValueKind != JsonValueKind.Object) return parts;
        if (u.TryGetProperty("input_tokens", out _)) parts.Input = ProviderCall.Int(u, "input_tokens");
        if (u.TryGetProperty("output_tokens", out _)) parts.Output = ProviderCall.Int(u, "output_tokens");
        if (u.TryGetProperty("cache_read_input_tokens", out _)) parts.CacheRead = ProviderCall.Int(u, "cache_read_input_tokens");
        if (u.TryGetProperty("cache_creation_input_tokens", out _)) parts.CacheWrite = ProviderCall.Int(u, "cache_creation_input_tokens");
        return parts;
    }

    private static FinishReason Finish(string? stop, bool calledTools) => stop switch
    {
        "max_tokens" or "model_context_window_exceeded" => FinishReason.Length,
        "tool_use" => calledTools ? FinishReason.ToolCalls : FinishReason.Stop,
        "refusal" => FinishReason.ContentFilter,
        _ => FinishReason.Stop,
    };

    private static string? JsonToolName(ModelRequest request) => request.ResponseFormat?.Kind switch
    {
        ResponseFormatKind.JsonSchema => request.ResponseFormat.Name,
        ResponseFormatKind.JsonObject => DefaultJsonToolName,
        _ => null,
    };

    private async Task<ProviderCall> SendAsync(ModelRequest request, ProviderCredential credential, bool stream, CancellationToken ct)
    {
        request.ThrowIfInvalid();
        if (JsonToolName(request) is { } jsonTool && request.Tools.Any(t => t.Name == jsonTool))
            throw new ProviderException(ProviderErrorKind.BadRequest, $"Invalid model request: the response format's name '{jsonTool}' is also a tool's name.");
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri($"{_options.BaseUrl.ToString().TrimEnd('/')}/{_options.Path.TrimStart('/')}"))
        {
            Content = new StringContent(Body(request, stream).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        message.Headers.TryAddWithoutValidation("x-api-key", credential.Secret);
        message.Headers.TryAddWithoutValidation("anthropic-version", _options.Version);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(stream ? "text/event-stream" : "application/json"));
        return await ProviderCall.SendAsync(http, message, Name, credential, _options.Timeout, _time, ct);
    }

    /// <summary>The Messages API request body for <paramref name="request"/>.</summary>
    internal JsonObject Body(ModelRequest request, bool stream)
    {
        var body = new JsonObject { ["model"] = request.Model, ["max_tokens"] = request.MaxTokens ?? _options.DefaultMaxTokens };
        var system = string.Join("\n\n", request.Messages.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
        if (system.Length > 0) body["system"] = system;
        var messages = new JsonArray();
        string? lastRole = null;
        foreach (var m in request.Messages.Where(m => m.Role != ChatRole.System))
        {
            var role = m.Role == ChatRole.Assistant ? "assistant" : "user";
            var blocks = Blocks(m);
            if (role == lastRole && messages[^1]!["content"] is JsonArray previous)
                foreach (var b in blocks) previous.Add(b);
            else messages.Add(new JsonObject { ["role"] = role, ["content"] = new JsonArray([.. blocks]) });
            lastRole = role;
        }
        body["messages"] = messages;

        var tools = request.Tools.Select(t =>
        {
            var tool = new JsonObject { ["name"] = t.Name };
            if (t.Description is not null) tool["description"] = t.Description;
            tool["input_schema"] = JsonNode.Parse(t.Parameters.GetRawText());
            return (JsonNode)tool;
        }).ToList();
        var choice = request.ToolChoice;
        if (JsonToolName(request) is { } jsonTool)
        {
            tools.Add(new JsonObject
            {
                ["name"] = jsonTool,
                ["description"] = "Answer by calling this tool: its input is the response, as JSON that fits the schema.",
                ["input_schema"] = request.ResponseFormat!.Schema is { } schema ? JsonNode.Parse(schema.GetRawText()) : new JsonObject { ["type"] = "object" },
            });
            // The model must answer through the JSON tool; with tools of its own, through one of them or it.
            choice = request.Tools.Count == 0 || choice?.Kind == ToolChoiceKind.None ? ToolChoice.Named(jsonTool)
                : choice?.Kind == ToolChoiceKind.Named ? choice : ToolChoice.Required;
        }
        if (tools.Count > 0) body["tools"] = new JsonArray([.. tools]);
        if (choice is not null)
            body["tool_choice"] = choice.Kind switch
            {
                ToolChoiceKind.None => new JsonObject { ["type"] = "none" },
                ToolChoiceKind.Required => new JsonObject { ["type"] = "any" },
                ToolChoiceKind.Named => new JsonObject { ["type"] = "tool", ["name"] = choice.Name },
                _ => new JsonObject { ["type"] = "auto" },
            };
        if (request.Temperature is { } temperature) body["temperature"] = Math.Min(temperature, 1.0); // Anthropic's range is 0–1
        if (request.Stop.Count > 0) body["stop_sequences"] = new JsonArray([.. request.Stop.Select(s => (JsonNode)s)]);
        if (request.Metadata.TryGetValue("user_id", out var user)) body["metadata"] = new JsonObject { ["user_id"] = user };
        if (stream) body["stream"] = true;
        return body;
    }

    private static List<JsonNode> Blocks(ModelMessage m)
    {
        if (m.Role == ChatRole.Tool)
        {
            var result = new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = m.ToolCallId, ["content"] = m.Text };
            if (m.IsError) result["is_error"] = true;
            return [result];
        }
        var blocks = new List<JsonNode>();
        foreach (var part in m.Content)
            switch (part)
            {
                case TextPart { Text.Length: > 0 } t: blocks.Add(new JsonObject { ["type"] = "text", ["text"] = t.Text }); break;
                case ImagePart { Url: { } url }:
                    blocks.Add(new JsonObject { ["type"] = "image", ["source"] = new JsonObject { ["type"] = "url", ["url"] = url } }); break;
                case ImagePart i:
                    blocks.Add(new JsonObject
                    {
                        ["type"] = "image",
                        ["source"] = new JsonObject { ["type"] = "base64", ["media_type"] = i.MediaType, ["data"] = i.Base64Data },
                    });
                    break;
            }
        foreach (var c in m.ToolCalls)
            blocks.Add(new JsonObject { ["type"] = "tool_use", ["id"] = c.Id, ["name"] = c.Name, ["input"] = c.Arguments is { ValueKind: JsonValueKind.Object } a ? JsonNode.Parse(a.GetRawText()) : new JsonObject() });
        return blocks;
    }
}
