using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentOps.Providers;

public enum OpenAiAuthentication
{
    /// <summary>Authorization: Bearer {secret} (OpenAI and most compatible servers).</summary>
    Bearer,
    /// <summary>api-key: {secret} (Azure OpenAI).</summary>
    ApiKeyHeader,
}

/// <summary>
/// Where and how <see cref="OpenAiChatAdapter"/> calls: OpenAI itself (<see cref="OpenAi"/>), any server that speaks
/// its chat completions (<see cref="Compatible"/>), or an Azure OpenAI deployment (<see cref="Azure"/>:
/// {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=…, the request's model as the deployment
/// when none is set).
/// </summary>
public sealed record OpenAiChatOptions
{
    public string ProviderName { get; init; } = "openai";

    public Uri BaseUrl { get; init; } = new("https://api.openai.com/v1/");

    /// <summary>The path below <see cref="BaseUrl"/>.</summary>
    public string Path { get; init; } = "chat/completions";

    public OpenAiAuthentication Authentication { get; init; } = OpenAiAuthentication.Bearer;

    /// <summary>Azure: the api-version query parameter, and the deployment (null: the request's model names it).</summary>
    public string? AzureApiVersion { get; init; }

    public string? AzureDeployment { get; init; }

    /// <summary>max_completion_tokens (OpenAI's current name) or the older max_tokens that compatible servers and older Azure API versions take.</summary>
    public bool UseMaxCompletionTokens { get; init; } = true;

    /// <summary>Whether the request's metadata is sent (OpenAI's metadata field; some compatible servers refuse unknown fields).</summary>
    public bool SendMetadata { get; init; }

    /// <summary>How long to wait for the answer (a stream: for its headers).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>How long a stream may stay silent.</summary>
    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>What a model can do; null: OpenAI's model families by name.</summary>
    public Func<string, ModelCapabilities>? Capabilities { get; init; }

    public static OpenAiChatOptions OpenAi() => new();

    public static OpenAiChatOptions Compatible(Uri baseUrl, string path = "chat/completions", string providerName = "openai-compatible") =>
        new() { ProviderName = providerName, BaseUrl = baseUrl, Path = path, UseMaxCompletionTokens = false, SendMetadata = false };

    public static OpenAiChatOptions Azure(Uri endpoint, string apiVersion, string? deployment = null) =>
        new() { ProviderName = "azure-openai", BaseUrl = endpoint, Authentication = OpenAiAuthentication.ApiKeyHeader, AzureApiVersion = apiVersion, AzureDeployment = deployment };

    internal Uri RequestUri(string model)
    {
        var baseText = BaseUrl.ToString().TrimEnd('/');
        return AzureApiVersion is null
            ? new Uri($"{baseText}/{Path.TrimStart('/')}")
            : new Uri($"{baseText}/openai/deployments/{Uri.EscapeDataString(AzureDeployment ?? model)}/chat/completions?api-version={Uri.EscapeDataString(AzureApiVersion)}");
    }
}

/// <summary>
/// OpenAI's chat completions API (and Azure's and compatible servers'): messages, function tools, tool_choice,
/// response_format, and streams of chat.completion.chunk events with stream_options.include_usage, ended by [DONE].
/// </summary>
public sealed class OpenAiChatAdapter(HttpClient http, OpenAiChatOptions? options = null, TimeProvider? time = null) : IModelProvider
{
    private readonly OpenAiChatOptions _options = options ?? new OpenAiChatOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public string Name => _options.ProviderName;

    public ModelCapabilities CapabilitiesOf(string model) => _options.Capabilities?.Invoke(model) ?? DefaultCapabilities(model);

    /// <summary>OpenAI's families: the 4o, 4.1, 5 and o-series models see images and fill JSON schemas; older ones do text and tools.</summary>
    public static ModelCapabilities DefaultCapabilities(string model)
    {
        string[] current = ["gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4"];
        if (current.Any(p => model.StartsWith(p, StringComparison.OrdinalIgnoreCase))) return ModelCapabilities.All;
        if (model.StartsWith("gpt-4-turbo", StringComparison.OrdinalIgnoreCase)) return ModelCapabilities.All & ~ModelCapabilities.JsonSchema;
        return ModelCapabilities.Text | ModelCapabilities.Tools | ModelCapabilities.Streaming;
    }

    public async Task<ModelResult> CompleteAsync(ModelRequest request, ProviderCredential credential, CancellationToken ct = default)
    {
        using var call = await SendAsync(request, credential, stream: false, ct);
        var raw = await call.ReadBodyAsync();
        return call.Shape(() => Result(raw, request, call, credential));
    }

    private ModelResult Result(string raw, ModelRequest request, ProviderCall call, ProviderCredential credential)
    {
        using var doc = call.Parse(raw);
        var root = doc.RootElement;
        // Some compatible servers answer an error with 200.
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            throw ProviderCall.StreamError(error, Name, credential, call.RequestId);
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            throw call.Invalid("no choices.");
        var choice = choices[0];
        if (!choice.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object) throw call.Invalid("a choice without a message.");
        var refusal = ProviderCall.Str(message, "refusal");
        var content = ProviderCall.Str(message, "content") ?? refusal ?? "";
        var calls = new List<ToolCall>();
        if (message.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array)
            foreach (var tc in toolCalls.EnumerateArray())
            {
                var function = tc.TryGetProperty("function", out var f) ? f : default;
                calls.Add(new ToolCall(ProviderCall.Str(tc, "id") ?? "", ProviderCall.Str(function, "name") ?? throw call.Invalid("a tool call without a name."),
                    ProviderCall.Str(function, "arguments") ?? ""));
            }
        var finish = ProviderCall.Str(choice, "finish_reason");
        return new ModelResult(content, calls, UsageOf(root), ProviderCall.Str(root, "model") ?? request.Model, Finish(finish, refusal is not null), finish,
            call.RequestId, raw);
    }

    public async IAsyncEnumerable<ModelDelta> StreamAsync(ModelRequest request, ProviderCredential credential, [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var call = await SendAsync(request, credential, stream: true, ct);
        var events = await call.OpenEventsAsync(_options.StreamIdleTimeout);
        var state = new StreamState { Model = request.Model };
        while (await events.NextAsync() is { } e)
        {
            if (e.Data == "[DONE]")
            {
                yield return new FinishDelta(Finish(state.FinishReason, state.Refused), state.FinishReason, state.Usage, state.Model, call.RequestId, events.Raw);
                yield break;
            }
            foreach (var delta in call.Shape(() => Chunk(e.Data, state, call, credential))) yield return delta;
        }
        throw events.Cut("[DONE]");
    }

    private sealed class StreamState
    {
        public required string Model { get; set; }
        public string? FinishReason { get; set; }
        public bool Refused { get; set; }
        public ModelUsage Usage { get; set; } = ModelUsage.Zero;
    }

    private static List<ModelDelta> Chunk(string data, StreamState state, ProviderCall call, ProviderCredential credential)
    {
        using var doc = call.Parse(data);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw call.Invalid("a stream chunk that is not an object.");
        if (root.TryGetProperty("error", out var error)) throw ProviderCall.StreamError(error, "OpenAI", credential, call.RequestId);
        state.Model = ProviderCall.Str(root, "model") ?? state.Model;
        if (root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object) state.Usage = UsageOf(root);
        var deltas = new List<ModelDelta>();
        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array) return deltas;
        foreach (var choice in choices.EnumerateArray().Where(c => !c.TryGetProperty("index", out var i) || i.GetInt32() == 0))
        {
            if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
            {
                if (ProviderCall.Str(delta, "content") is { Length: > 0 } text) deltas.Add(new TextDelta(text));
                if (ProviderCall.Str(delta, "refusal") is { Length: > 0 } refusal)
                {
                    state.Refused = true;
                    deltas.Add(new TextDelta(refusal));
                }
                if (delta.TryGetProperty("tool_calls", out var tcs) && tcs.ValueKind == JsonValueKind.Array)
                    foreach (var tc in tcs.EnumerateArray())
                    {
                        var function = tc.TryGetProperty("function", out var f) ? f : default;
                        deltas.Add(new ToolCallDelta(tc.TryGetProperty("index", out var i) ? i.GetInt32() : 0, ProviderCall.Str(tc, "id"),
                            ProviderCall.Str(function, "name"), ProviderCall.Str(function, "arguments") ?? ""));
                    }
            }
            state.FinishReason = ProviderCall.Str(choice, "finish_reason") ?? state.FinishReason;
        }
        return deltas;
    }

    private static ModelUsage UsageOf(JsonElement root)
    {
        if (!root.TryGetProperty("usage", out var u) || u.ValueKind != JsonValueKind.Object) return ModelUsage.Zero;
        var cached = u.TryGetProperty("prompt_tokens_details", out var details) ? ProviderCall.Int(details, "cached_tokens") : 0;
        return new ModelUsage(ProviderCall.Int(u, "prompt_tokens"), ProviderCall.Int(u, "completion_tokens"), cached);
    }

    private static FinishReason Finish(string? reason, bool refused) => reason switch
    {
        _ when refused => FinishReason.ContentFilter,
        "length" => FinishReason.Length,
        "tool_calls" or "function_call" => FinishReason.ToolCalls,
        "content_filter" => FinishReason.ContentFilter,
        _ => FinishReason.Stop,
    };

    private async Task<ProviderCall> SendAsync(ModelRequest request, ProviderCredential credential, bool stream, CancellationToken ct)
    {
        request.ThrowIfInvalid();
        using var message = new HttpRequestMessage(HttpMethod.Post, _options.RequestUri(request.Model))
        {
            Content = new StringContent(Body(request, stream).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (_options.Authentication == OpenAiAuthentication.Bearer) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential.Secret);
        else message.Headers.TryAddWithoutValidation("api-key", credential.Secret);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(stream ? "text/event-stream" : "application/json"));
        return await ProviderCall.SendAsync(http, message, Name, credential, _options.Timeout, _time, ct);
    }

    /// <summary>The chat completions request body for <paramref name="request"/>.</summary>
    internal JsonObject Body(ModelRequest request, bool stream)
    {
        var body = new JsonObject { ["model"] = request.Model, ["messages"] = new JsonArray([.. request.Messages.Select(Message)]) };
        if (request.Tools.Count > 0)
            body["tools"] = new JsonArray([.. request.Tools.Select(t =>
            {
                var function = new JsonObject { ["name"] = t.Name };
                if (t.Description is not null) function["description"] = t.Description;
                function["parameters"] = JsonNode.Parse(t.Parameters.GetRawText());
                return (JsonNode)new JsonObject { ["type"] = "function", ["function"] = function };
            })]);
        if (request.ToolChoice is { } choice)
            body["tool_choice"] = choice.Kind switch
            {
                ToolChoiceKind.None => "none",
                ToolChoiceKind.Required => "required",
                ToolChoiceKind.Named => new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = choice.Name } },
                _ => "auto",
            };
        if (request.ResponseFormat is { } format)
            body["response_format"] = format.Kind switch
            {
                ResponseFormatKind.JsonObject => new JsonObject { ["type"] = "json_object" },
                ResponseFormatKind.JsonSchema => new JsonObject
                {
                    ["type"] = "json_schema",
                    ["json_schema"] = new JsonObject { ["name"] = format.Name, ["schema"] = JsonNode.Parse(format.Schema!.Value.GetRawText()), ["strict"] = format.Strict },
                },
                _ => new JsonObject { ["type"] = "text" },
            };
        if (request.MaxTokens is { } max) body[_options.UseMaxCompletionTokens ? "max_completion_tokens" : "max_tokens"] = max;
        if (request.Temperature is { } temperature) body["temperature"] = temperature;
        if (request.Stop.Count > 0) body["stop"] = new JsonArray([.. request.Stop.Select(s => (JsonNode)s)]);
        if (_options.SendMetadata && request.Metadata.Count > 0)
            body["metadata"] = new JsonObject(request.Metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        if (stream)
        {
            body["stream"] = true;
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }
        return body;
    }

    private static JsonNode Message(ModelMessage m)
    {
        switch (m.Role)
        {
            case ChatRole.Tool:
                return new JsonObject { ["role"] = "tool", ["tool_call_id"] = m.ToolCallId, ["content"] = m.Text };
            case ChatRole.Assistant:
                var assistant = new JsonObject { ["role"] = "assistant", ["content"] = m.Text.Length == 0 && m.ToolCalls.Count > 0 ? null : m.Text };
                if (m.ToolCalls.Count > 0)
                    assistant["tool_calls"] = new JsonArray([.. m.ToolCalls.Select(c => (JsonNode)new JsonObject
                    {
                        ["id"] = c.Id,
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.ArgumentsJson.Length == 0 ? "{}" : c.ArgumentsJson },
                    })]);
                return assistant;
            default:
                var role = m.Role == ChatRole.System ? "system" : "user";
                if (m.Content.All(p => p is TextPart)) return new JsonObject { ["role"] = role, ["content"] = m.Text };
                return new JsonObject
                {
                    ["role"] = role,
                    ["content"] = new JsonArray([.. m.Content.Select(p => (JsonNode)(p switch
                    {
                        ImagePart i => new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = i.Url ?? $"data:{i.MediaType};base64,{i.Base64Data}" } },
                        TextPart t => new JsonObject { ["type"] = "text", ["text"] = t.Text },
                        _ => throw new NotSupportedException(p.GetType().Name),
                    }))]),
                };
        }
    }
}
