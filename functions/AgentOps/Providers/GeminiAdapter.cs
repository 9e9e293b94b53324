using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentOps.Providers;

/// <summary>How JSON Schemas (tool parameters, a JSON response's schema) are sent to Gemini.</summary>
public enum GeminiSchemaDialect
{
    /// <summary>As JSON Schema, unchanged: parametersJsonSchema and generationConfig.responseJsonSchema (Gemini 2.5 and later).</summary>
    JsonSchema,
    /// <summary>As Gemini's OpenAPI 3.0 subset: parameters and responseSchema, unsupported keywords dropped (older models).</summary>
    OpenApi,
}

/// <summary>Where and how <see cref="GeminiAdapter"/> calls the Gemini API (generativelanguage.googleapis.com).</summary>
public sealed record GeminiOptions
{
    public string ProviderName { get; init; } = "gemini";

    public Uri BaseUrl { get; init; } = new("https://generativelanguage.googleapis.com/");

    /// <summary>The API version path segment.</summary>
    public string ApiVersion { get; init; } = "v1beta";

    public GeminiSchemaDialect SchemaDialect { get; init; } = GeminiSchemaDialect.JsonSchema;

    /// <summary>The safetySettings sent with every request (a <see cref="GeminiSafety"/> preset); null sends none (the model's default).</summary>
    public IReadOnlyList<GeminiSafetySetting>? SafetySettings { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>What a model can do; null: Gemini's model families by name.</summary>
    public Func<string, ModelCapabilities>? Capabilities { get; init; }
}

/// <summary>
/// Google's Gemini API: POST {version}/models/{model}:generateContent (streamGenerateContent?alt=sse for streams, each
/// event a whole GenerateContentResponse chunk), the key in x-goog-api-key (never in the URL), system messages as
/// systemInstruction, assistant turns as role model, tools as functionDeclarations, tool choice as
/// toolConfig.functionCallingConfig (AUTO, NONE, ANY, ANY with allowedFunctionNames), limits, stop sequences and JSON
/// responses in generationConfig, and <see cref="GeminiOptions.SafetySettings"/>. The request's metadata is not sent (the
/// API has no such field).
/// <para>
/// Gemini's function calls carry no ids: a call is given its own id when the model sent one, else call_0, call_1, … by
/// its position in the answer (the same streamed or not); a tool message is sent back as a functionResponse part
/// {name, response: {output|error}} in a user turn, its name found from the earlier assistant message holding the call
/// it answers (ids are not sent back). Consecutive turns of the same role are merged.
/// </para>
/// <para>
/// A prompt Gemini blocks (promptFeedback.blockReason, no candidates) is a <see cref="ProviderException"/> of kind
/// <see cref="ProviderErrorKind.ContentBlocked"/> with the block reason as its <see cref="ProviderException.ProviderErrorType"/>,
/// as a content filter refusing a prompt is for the other providers; an answer stopped by a filter (finishReason
/// SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII, IMAGE_SAFETY) is a result with
/// <see cref="FinishReason.ContentFilter"/> and the provider's word, with whatever text came before it.
/// </para>
/// </summary>
public sealed class GeminiAdapter : IModelProvider
{
    private readonly GeminiOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpClient _client;

    public GeminiAdapter(HttpClient http, GeminiOptions? options = null, TimeProvider? time = null)
    {
        _options = options ?? new GeminiOptions();
        _time = time ?? TimeProvider.System;
        _client = http;
    }

    public string Name => _options.ProviderName;

    public ModelCapabilities CapabilitiesOf(string model)
    {
        if (_options.Capabilities?.Invoke(model) is { } known) return known;
        var name = model.StartsWith("models/", StringComparison.OrdinalIgnoreCase) ? model["models/".Length..] : model;
        bool Is(string prefix) => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);
        if (Is("gemini-1.0-pro-vision") || Is("gemini-pro-vision")) return ModelCapabilities.Text | ModelCapabilities.Vision | ModelCapabilities.Streaming;
        if (Is("gemini-1.0") || name.Equals("gemini-pro", StringComparison.OrdinalIgnoreCase)) return ModelCapabilities.Text | ModelCapabilities.Tools | ModelCapabilities.Streaming;
        if (name.Contains("embedding", StringComparison.OrdinalIgnoreCase) || Is("aqa") || Is("imagen") || Is("veo")) return ModelCapabilities.None;
        if (Is("gemma-3")) return ModelCapabilities.Text | ModelCapabilities.Vision | ModelCapabilities.Streaming;
        if (Is("gemma")) return ModelCapabilities.Text | ModelCapabilities.Streaming;
        return Is("gemini-") || Is("learnlm") ? ModelCapabilities.All : ModelCapabilities.Text | ModelCapabilities.Streaming;
    }

    public async Task<ModelResult> CompleteAsync(ModelRequest request, ProviderCredential credential, CancellationToken ct = default)
    {
        using var call = await SendAsync(request, credential, stream: false, ct);
        var raw = await call.ReadBodyAsync();
        return call.Shape(() => Result(raw, request, call));
    }

    private ModelResult Result(string raw, ModelRequest request, ProviderCall call)
    {
        using var doc = call.Parse(raw);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw call.Invalid("the body is not an object.");
        var state = new ChunkState { Model = request.Model };
        var deltas = Chunk(root, state, call);
        var text = string.Concat(deltas.OfType<TextDelta>().Select(d => d.Text));
        var calls = deltas.OfType<ToolCallDelta>().Select(d => new ToolCall(d.Id ?? "", d.Name ?? "", d.ArgumentsDelta)).ToList();
        if (state.FinishReason is null && calls.Count == 0 && text.Length == 0) throw call.Invalid("a candidate without content or finishReason.");
        return new ModelResult(text, calls, state.Usage, state.Model, Finish(state.FinishReason, calls.Count > 0), state.FinishReason,
            call.RequestId ?? state.ResponseId, raw);
    }

    public async IAsyncEnumerable<ModelDelta> StreamAsync(ModelRequest request, ProviderCredential credential, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var state = new ChunkState { Model = request.Model };
        using var call = await SendAsync(request, credential, stream: true, ct);
        var events = await call.OpenEventsAsync(_options.StreamIdleTimeout);
        while (await events.NextAsync() is { } e)
        {
            foreach (var delta in call.Shape(() => StreamChunk(e.Data, state, call, credential))) yield return delta;
        }
        // The API ends the body after the chunk that carries finishReason; a body that ends without one was cut.
        if (state.FinishReason is null) throw events.Cut("a finishReason");
        yield return new FinishDelta(Finish(state.FinishReason, state.ToolCalls > 0), state.FinishReason, state.Usage, state.Model,
            call.RequestId ?? state.ResponseId, events.Raw);
    }

    private sealed class ChunkState
    {
        public required string Model { get; set; }
        public string? ResponseId { get; set; }
        public string? FinishReason { get; set; }
        public int ToolCalls { get; set; }
        public ModelUsage Usage { get; set; } = ModelUsage.Zero;
    }

    private List<ModelDelta> StreamChunk(string data, ChunkState state, ProviderCall call, ProviderCredential credential)
    {
        using var doc = call.Parse(credential.Scrub(data)); // as the raw text is: a key the model repeats is not passed on.
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw call.Invalid("a stream chunk that is not an object.");
        if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            throw ErrorFor(error, error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : 0, null, null, null,
                credential, streamed: true, call.RequestId);
        return Chunk(root, state, call);
    }

    /// <summary>One GenerateContentResponse (a whole answer, or one chunk of a stream) as deltas; its metadata into <paramref name="state"/>.</summary>
    private List<ModelDelta> Chunk(JsonElement root, ChunkState state, ProviderCall call)
    {
        state.Model = ProviderCall.Str(root, "modelVersion") ?? state.Model;
        state.ResponseId = ProviderCall.Str(root, "responseId") ?? state.ResponseId;
        if (root.TryGetProperty("usageMetadata", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            var cached = ProviderCall.Int(usage, "cachedContentTokenCount");
            // promptTokenCount includes the cached content; thinking tokens are billed as output.
            state.Usage = new ModelUsage(ProviderCall.Int(usage, "promptTokenCount"),
                ProviderCall.Int(usage, "candidatesTokenCount") + ProviderCall.Int(usage, "thoughtsTokenCount"), cached);
        }
        var deltas = new List<ModelDelta>();
        if (!root.TryGetProperty("candidates", out var candidates) || candidates.ValueKind != JsonValueKind.Array || candidates.GetArrayLength() == 0)
        {
            if (root.TryGetProperty("promptFeedback", out var feedback) && ProviderCall.Str(feedback, "blockReason") is { } reason)
                throw new ProviderException(ProviderErrorKind.ContentBlocked,
                    $"{Name} blocked the prompt ({reason}){(ProviderCall.Str(feedback, "blockReasonMessage") is { } why ? ": " + why : "")}.",
                    (int)call.Response.StatusCode, requestId: call.RequestId ?? state.ResponseId, providerErrorType: reason);
            return deltas; // a stream's usage-only chunk
        }
        var candidate = candidates[0];
        if (candidate.TryGetProperty("content", out var content) && content.TryGetProperty("parts", out var parts) && parts.ValueKind == JsonValueKind.Array)
            foreach (var part in parts.EnumerateArray())
            {
                if (part.TryGetProperty("thought", out var thought) && thought.ValueKind == JsonValueKind.True) continue; // thought summaries are not the answer
                if (ProviderCall.Str(part, "text") is { Length: > 0 } text) deltas.Add(new TextDelta(text));
                else if (part.TryGetProperty("functionCall", out var fc) && fc.ValueKind == JsonValueKind.Object)
                {
                    var name = ProviderCall.Str(fc, "name") ?? throw call.Invalid("a functionCall without a name.");
                    var args = fc.TryGetProperty("args", out var a) && a.ValueKind == JsonValueKind.Object ? a.GetRawText() : "{}";
                    var index = state.ToolCalls++;
                    deltas.Add(new ToolCallDelta(index, ProviderCall.Str(fc, "id") is { Length: > 0 } id ? id : $"call_{index}", name, args));
                }
            }
        state.FinishReason = ProviderCall.Str(candidate, "finishReason") ?? state.FinishReason;
        return deltas;
    }

    /// <summary>Gemini's finish reasons: a filter's stop is a content filter, a failed tool call or unknown stop an error.</summary>
    internal static FinishReason Finish(string? reason, bool calledTools) => reason switch
    {
        "STOP" or null => calledTools ? FinishReason.ToolCalls : FinishReason.Stop,
        "MAX_TOKENS" => FinishReason.Length,
        "SAFETY" or "RECITATION" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII" or "IMAGE_SAFETY" or "IMAGE_PROHIBITED_CONTENT" => FinishReason.ContentFilter,
        _ => FinishReason.Error, // MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, TOO_MANY_TOOL_CALLS, LANGUAGE, OTHER, …
    };

    private async Task<ProviderCall> SendAsync(ModelRequest request, ProviderCredential credential, bool stream, CancellationToken ct)
    {
        request.ThrowIfInvalid();
        var body = Body(request);
        using var message = new HttpRequestMessage(HttpMethod.Post, RequestUri(request.Model, stream))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        message.Headers.TryAddWithoutValidation("x-goog-api-key", credential.Secret);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(stream ? "text/event-stream" : "application/json"));
        // Gemini's error bodies ({error: {code, message, status, details}}) carry the status and a 429's retryInfo.
        return await ProviderCall.SendAsync(_client, message, Name, credential, _options.Timeout, _time, ct,
            (response, text) => ErrorFor(response, text, credential));
    }

    internal Uri RequestUri(string model, bool stream)
    {
        // "gemini-2.5-flash" and "models/gemini-2.5-flash" name the same model; "tunedModels/x" is kept as it is.
        var resource = model.Contains('/', StringComparison.Ordinal) ? string.Join('/', model.Split('/').Select(Uri.EscapeDataString)) : "models/" + Uri.EscapeDataString(model);
        return new Uri($"{_options.BaseUrl.ToString().TrimEnd('/')}/{_options.ApiVersion.Trim('/')}/{resource}:{(stream ? "streamGenerateContent?alt=sse" : "generateContent")}");
    }

    /// <summary>The generateContent request body for <paramref name="request"/>.</summary>
    internal JsonObject Body(ModelRequest request)
    {
        var body = new JsonObject();
        var system = string.Join("\n\n", request.Messages.Where(m => m.Role == ChatRole.System).Select(m => m.Text).Where(t => t.Length > 0));
        if (system.Length > 0) body["systemInstruction"] = new JsonObject { ["parts"] = new JsonArray(new JsonObject { ["text"] = system }) };

        var contents = new JsonArray();
        string? lastRole = null;
        for (var i = 0; i < request.Messages.Count; i++)
        {
            var m = request.Messages[i];
            if (m.Role == ChatRole.System) continue;
            var role = m.Role == ChatRole.Assistant ? "model" : "user";
            var parts = Parts(m, i, request.Messages);
            if (parts.Count == 0) continue;
            if (role == lastRole && contents[^1]!["parts"] is JsonArray previous)
                foreach (var p in parts) previous.Add(p);
            else contents.Add(new JsonObject { ["role"] = role, ["parts"] = new JsonArray([.. parts]) });
            lastRole = role;
        }
        body["contents"] = contents;

        var openApi = _options.SchemaDialect == GeminiSchemaDialect.OpenApi;
        if (request.Tools.Count > 0)
            body["tools"] = new JsonArray(new JsonObject
            {
                ["functionDeclarations"] = new JsonArray([.. request.Tools.Select(t =>
                {
                    var declaration = new JsonObject { ["name"] = t.Name };
                    if (t.Description is not null) declaration["description"] = t.Description;
                    declaration[openApi ? "parameters" : "parametersJsonSchema"] = openApi ? GeminiSchema.ToOpenApi(t.Parameters) : JsonNode.Parse(t.Parameters.GetRawText());
                    return (JsonNode)declaration;
                })]),
            });
        if (request.ToolChoice is { } choice)
        {
            var config = new JsonObject
            {
                ["mode"] = choice.Kind switch { ToolChoiceKind.None => "NONE", ToolChoiceKind.Required or ToolChoiceKind.Named => "ANY", _ => "AUTO" },
            };
            if (choice.Kind == ToolChoiceKind.Named) config["allowedFunctionNames"] = new JsonArray(choice.Name);
            body["toolConfig"] = new JsonObject { ["functionCallingConfig"] = config };
        }

        var generation = new JsonObject();
        if (request.MaxTokens is { } max) generation["maxOutputTokens"] = max;
        if (request.Temperature is { } temperature) generation["temperature"] = temperature;
        if (request.Stop.Count > 0) generation["stopSequences"] = new JsonArray([.. request.Stop.Select(s => (JsonNode)s)]);
        if (request.ResponseFormat is { Kind: not ResponseFormatKind.Text } format)
        {
            generation["responseMimeType"] = "application/json";
            if (format is { Kind: ResponseFormatKind.JsonSchema, Schema: { } schema })
                generation[openApi ? "responseSchema" : "responseJsonSchema"] = openApi ? GeminiSchema.ToOpenApi(schema) : JsonNode.Parse(schema.GetRawText());
        }
        if (generation.Count > 0) body["generationConfig"] = generation;

        if (_options.SafetySettings is { Count: > 0 } safety)
            body["safetySettings"] = new JsonArray([.. safety.Select(s => (JsonNode)new JsonObject { ["category"] = s.WireCategory, ["threshold"] = s.WireThreshold })]);
        return body;
    }

    private static List<JsonNode> Parts(ModelMessage m, int index, IReadOnlyList<ModelMessage> messages)
    {
        if (m.Role == ChatRole.Tool)
        {
            var name = ToolNameFor(m.ToolCallId!, index, messages)
                ?? throw new ProviderException(ProviderErrorKind.BadRequest,
                    $"Invalid model request: messages[{index}] answers tool call '{m.ToolCallId}', which no earlier assistant message holds (Gemini needs the tool's name).");
            return [new JsonObject
            {
                ["functionResponse"] = new JsonObject { ["name"] = name, ["response"] = new JsonObject { [m.IsError ? "error" : "output"] = ToolOutput(m.Text) } },
            }];
        }
        var parts = new List<JsonNode>();
        foreach (var part in m.Content)
            switch (part)
            {
                case TextPart { Text.Length: > 0 } t: parts.Add(new JsonObject { ["text"] = t.Text }); break;
                case ImagePart { Url: { } url } i:
                    var file = new JsonObject { ["fileUri"] = url };
                    if (i.MediaType is not null) file["mimeType"] = i.MediaType;
                    parts.Add(new JsonObject { ["fileData"] = file });
                    break;
                case ImagePart i: parts.Add(new JsonObject { ["inlineData"] = new JsonObject { ["mimeType"] = i.MediaType, ["data"] = i.Base64Data } }); break;
            }
        foreach (var c in m.ToolCalls)
            parts.Add(new JsonObject
            {
                ["functionCall"] = new JsonObject
                {
                    ["name"] = c.Name,
                    ["args"] = c.Arguments is { ValueKind: JsonValueKind.Object } a ? JsonNode.Parse(a.GetRawText()) : new JsonObject(),
                },
            });
        return parts;
    }

    /// <summary>The name of the call <paramref name="id"/>, from the nearest earlier assistant message that holds it (ids like call_0 repeat across turns).</summary>
    private static string? ToolNameFor(string id, int index, IReadOnlyList<ModelMessage> messages)
    {
        for (var i = index - 1; i >= 0; i--)
            if (messages[i].Role == ChatRole.Assistant && messages[i].ToolCalls.FirstOrDefault(c => c.Id == id) is { } call) return call.Name;
        return null;
    }

    /// <summary>A tool's text as the response's value: JSON objects and arrays as themselves, anything else as a string.</summary>
    private static JsonNode? ToolOutput(string text)
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
            try { return JsonNode.Parse(text); }
            catch (JsonException) { }
        return JsonValue.Create(text);
    }

    /// <summary>A Gemini error ({error: {code, message, status, details}}) as the typed error its status and details say.</summary>
    private ProviderException ErrorFor(HttpResponseMessage response, string body, ProviderCredential credential)
    {
        JsonElement? error = null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object)
                error = e.Clone();
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's page): the status says enough.
        }
        return ErrorFor(error ?? default, (int)response.StatusCode, response, ProviderException.RetryAfterFrom(response.Headers, _time.GetUtcNow()),
            RateLimitInfo.FromHeaders(response.Headers, _time.GetUtcNow()), credential, streamed: false, ProviderCall.RequestIdOf(response));
    }

    private ProviderException ErrorFor(JsonElement error, int code, HttpResponseMessage? response, TimeSpan? retryAfter, RateLimitInfo? limits,
        ProviderCredential credential, bool streamed, string? requestId)
    {
        var status = ProviderCall.Str(error, "status");
        string? reason = null;
        if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array)
            foreach (var d in details.EnumerateArray())
            {
                switch (ProviderCall.Str(d, "@type"))
                {
                    case "type.googleapis.com/google.rpc.RetryInfo" when retryAfter is null && ProviderCall.Str(d, "retryDelay") is { } delay:
                        retryAfter = RateLimitInfo.ParseDuration(delay); break;
                    case "type.googleapis.com/google.rpc.ErrorInfo":
                        reason ??= ProviderCall.Str(d, "reason"); break;
                }
            }
        var kind = (code, status) switch
        {
            (429, _) or (_, "RESOURCE_EXHAUSTED") => ProviderErrorKind.RateLimited,
            (401 or 403, _) or (_, "UNAUTHENTICATED" or "PERMISSION_DENIED") => ProviderErrorKind.Unauthorized,
            _ when reason is "API_KEY_INVALID" or "API_KEY_SERVICE_BLOCKED" => ProviderErrorKind.Unauthorized,
            (408 or 504, _) or (_, "DEADLINE_EXCEEDED") => ProviderErrorKind.Timeout,
            ( >= 500, _) or (_, "UNAVAILABLE" or "INTERNAL") => ProviderErrorKind.Overloaded,
            ( >= 400, _) or (_, "INVALID_ARGUMENT" or "FAILED_PRECONDITION" or "NOT_FOUND") => ProviderErrorKind.BadRequest,
            _ when streamed => ProviderErrorKind.Overloaded,
            _ => ProviderErrorKind.InvalidResponse,
        };
        // A rejected key's message may quote (part of) the key: it is not repeated.
        var message = kind == ProviderErrorKind.Unauthorized || ProviderCall.Str(error, "message") is not { } m ? "" : ": " + ProviderCall.Shorten(credential.Scrub(m));
        var what = streamed ? $"{Name} reported an error in the stream" : $"{Name} answered {code}";
        return new ProviderException(kind, $"{what}{(status ?? reason) switch { null => "", var s => $" ({s})" }}{message}",
            response is null ? null : code, retryAfter, limits, requestId, status ?? reason);
    }

}

/// <summary>JSON Schema to Gemini's OpenAPI 3.0 schema subset (the responseSchema and parameters fields).</summary>
public static class GeminiSchema
{
    private static readonly HashSet<string> Kept =
    [
        "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties", "required", "minProperties",
        "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum",
    ];

    /// <summary>
    /// The schema in the subset: types upper-cased (OBJECT, STRING, …), a type list with "null" as nullable, const as a
    /// one-value enum, and keywords the subset lacks (additionalProperties, $schema, $defs, $ref, oneOf, …) dropped.
    /// </summary>
    public static JsonNode ToOpenApi(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object) return JsonNode.Parse(schema.GetRawText())!;
        var result = new JsonObject();
        foreach (var p in schema.EnumerateObject())
        {
            switch (p.Name)
            {
                case "type" when p.Value.ValueKind == JsonValueKind.String:
                    result["type"] = p.Value.GetString()!.ToUpperInvariant(); break;
                case "type" when p.Value.ValueKind == JsonValueKind.Array:
                    var types = p.Value.EnumerateArray().Select(t => t.GetString()).ToList();
                    if (types.Remove("null")) result["nullable"] = true;
                    if (types.Count > 0) result["type"] = types[0]!.ToUpperInvariant();
                    break;
                case "const": result["enum"] = new JsonArray(JsonNode.Parse(p.Value.GetRawText())); break;
                case "properties" when p.Value.ValueKind == JsonValueKind.Object:
                    result["properties"] = new JsonObject(p.Value.EnumerateObject().Select(q => KeyValuePair.Create(q.Name, (JsonNode?)ToOpenApi(q.Value))));
                    break;
                case "items": result["items"] = ToOpenApi(p.Value); break;
                case "anyOf" when p.Value.ValueKind == JsonValueKind.Array:
                    result["anyOf"] = new JsonArray([.. p.Value.EnumerateArray().Select(ToOpenApi)]); break;
                case var name when Kept.Contains(name) && !result.ContainsKey(name):
                    result[name] = JsonNode.Parse(p.Value.GetRawText()); break;
            }
        }
        return result;
    }
}
