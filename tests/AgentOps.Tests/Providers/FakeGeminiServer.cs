using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace AgentOps.Tests.Providers;

public enum GeminiScenario
{
    Text, ToolCall, Finish, BlockedPrompt, EchoKey, RateLimited, Unavailable, ServerError, KeyInvalid, Slow, InvalidJson, StreamCut, StreamEndsEarly, StreamError,
}

/// <summary>
/// Speaks the Gemini API: checks the request as the API does (POST /v1beta/models/{model}:generateContent, or
/// :streamGenerateContent with alt=sse; x-goog-api-key and no key in the URL; contents of user/model turns whose parts
/// are one of text, inlineData, fileData, functionCall, functionResponse; functionResponse naming an earlier
/// functionCall; systemInstruction; functionDeclarations; toolConfig; generationConfig; safetySettings; no unknown
/// fields) and answers per <see cref="Scenario"/>. A JSON response (responseMimeType application/json) is answered
/// with <see cref="JsonAnswer"/>.
/// </summary>
public sealed class FakeGeminiServer : FakeHttpServer
{
    public const string ModelVersion = "gemini-2.5-flash-001";
    public const string ResponseId = "Kp3LaKeJIYqNz7IP_aSQwQs";
    public const string Text = "Hello there, friend.";
    public const string JsonAnswer = """{"answer":"yes","confidence":0.9}""";

    private static readonly HashSet<string> TopLevel = ["contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "safetySettings", "cachedContent"];
    private static readonly HashSet<string> Generation =
        ["maxOutputTokens", "temperature", "stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema", "topP", "topK", "candidateCount", "seed", "thinkingConfig"];
    private static readonly HashSet<string> Categories =
        ["HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_SEXUALLY_EXPLICIT", "HARM_CATEGORY_DANGEROUS_CONTENT", "HARM_CATEGORY_CIVIC_INTEGRITY"];
    private static readonly HashSet<string> Thresholds = ["BLOCK_LOW_AND_ABOVE", "BLOCK_MEDIUM_AND_ABOVE", "BLOCK_ONLY_HIGH", "BLOCK_NONE", "OFF"];
    private static readonly HashSet<string> OpenApiKeys =
    [
        "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties", "required", "minProperties",
        "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum",
    ];

    private readonly string _secret;

    private FakeGeminiServer(string secret) => _secret = secret;

    public GeminiScenario Scenario { get; set; }

    /// <summary>
    /// Scenarios for the next requests, one per request in order (a 429, then a 500, then an answer); once it is empty,
    /// <see cref="Scenario"/> stays the last one taken.
    /// </summary>
    public System.Collections.Concurrent.ConcurrentQueue<GeminiScenario> Script { get; } = new();

    /// <summary>Scripts the next requests' scenarios (see <see cref="Script"/>).</summary>
    public void Then(params GeminiScenario[] scenarios)
    {
        foreach (var s in scenarios) Script.Enqueue(s);
    }

    /// <summary>The finishReason of <see cref="GeminiScenario.Finish"/>.</summary>
    public string FinishReason { get; set; } = "STOP";

    public static async Task<FakeGeminiServer> StartAsync(string secret)
    {
        var server = new FakeGeminiServer(secret);
        await server.StartAsync();
        return server;
    }

    protected override void Validate(RecordedRequest r, List<string> problems)
    {
        var streaming = r.Path.EndsWith(":streamGenerateContent", StringComparison.Ordinal);
        Require(r.Method == "POST" && r.Path.StartsWith("/v1beta/models/", StringComparison.Ordinal)
            && (streaming || r.Path.EndsWith(":generateContent", StringComparison.Ordinal)), $"{r.Method} {r.Path} is not a generateContent call", problems);
        Require(r.Query == (streaming ? "?alt=sse" : ""), $"query '{r.Query}': a stream takes alt=sse, the key never goes in the URL", problems);
        Require(r.Header("x-goog-api-key") == _secret, "x-goog-api-key must hold the key", problems);
        Require(r.Header("Authorization") is null, "the Gemini API takes x-goog-api-key, not Authorization", problems);
        var body = r.Body;
        foreach (var p in body.EnumerateObject()) Require(TopLevel.Contains(p.Name), $"Invalid JSON payload received. Unknown name \"{p.Name}\"", problems);
        if (body.TryGetProperty("systemInstruction", out var system))
            foreach (var part in system.GetProperty("parts").EnumerateArray())
                Require(part.TryGetProperty("text", out _) && part.EnumerateObject().Count() == 1, "systemInstruction parts must be text", problems);

        var contents = body.GetProperty("contents");
        Require(contents.GetArrayLength() > 0, "contents is not specified", problems);
        var called = new HashSet<string>();
        foreach (var c in contents.EnumerateArray())
        {
            var role = c.GetProperty("role").GetString();
            Require(role is "user" or "model", $"Please use a valid role: user, model (not \"{role}\")", problems);
            var parts = c.GetProperty("parts");
            Require(parts.GetArrayLength() > 0, "contents.parts must not be empty", problems);
            foreach (var part in parts.EnumerateArray())
            {
                var kinds = part.EnumerateObject().Select(p => p.Name).Where(n => n != "thoughtSignature").ToList();
                Require(kinds.Count == 1, $"a part holds exactly one of text, inlineData, fileData, functionCall, functionResponse (got {string.Join(",", kinds)})", problems);
                switch (kinds.FirstOrDefault())
                {
                    case "text": Require(part.GetProperty("text").GetString()!.Length > 0, "text parts must not be empty", problems); break;
                    case "inlineData":
                        var inline = part.GetProperty("inlineData");
                        Require(inline.GetProperty("mimeType").GetString()!.Length > 0 && inline.GetProperty("data").GetString()!.Length > 0, "inlineData needs mimeType and data", problems);
                        break;
                    case "fileData": Require(part.GetProperty("fileData").GetProperty("fileUri").GetString()!.Length > 0, "fileData needs fileUri", problems); break;
                    case "functionCall":
                        var fc = part.GetProperty("functionCall");
                        Require(role == "model" && fc.GetProperty("args").ValueKind == JsonValueKind.Object, "functionCall: model turns only, args an object", problems);
                        called.Add(fc.GetProperty("name").GetString()!);
                        break;
                    case "functionResponse":
                        var fr = part.GetProperty("functionResponse");
                        Require(role == "user", "functionResponse belongs in a user turn", problems);
                        Require(called.Contains(fr.GetProperty("name").GetString()!), "functionResponse must answer an earlier functionCall by name", problems);
                        Require(fr.GetProperty("response").ValueKind == JsonValueKind.Object, "functionResponse.response must be an object", problems);
                        break;
                    default: problems.Add($"unknown part {kinds.FirstOrDefault()}"); break;
                }
            }
        }

        var declared = new List<string>();
        if (body.TryGetProperty("tools", out var tools))
            foreach (var tool in tools.EnumerateArray())
                foreach (var d in tool.GetProperty("functionDeclarations").EnumerateArray())
                {
                    declared.Add(d.GetProperty("name").GetString()!);
                    var openApi = d.TryGetProperty("parameters", out var parameters);
                    var jsonSchema = d.TryGetProperty("parametersJsonSchema", out var parametersJson);
                    Require(openApi != jsonSchema, "a declaration has parameters or parametersJsonSchema, not both", problems);
                    if (openApi) CheckOpenApi(parameters, "parameters", problems);
                    if (jsonSchema) Require(IsObjectSchema(parametersJson), "parametersJsonSchema must be an object schema", problems);
                    foreach (var p in d.EnumerateObject())
                        Require(p.Name is "name" or "description" or "parameters" or "parametersJsonSchema", $"Unknown name \"{p.Name}\" at 'tools[0].function_declarations'", problems);
                }
        if (body.TryGetProperty("toolConfig", out var toolConfig))
        {
            var config = toolConfig.GetProperty("functionCallingConfig");
            var mode = config.GetProperty("mode").GetString();
            Require(mode is "AUTO" or "ANY" or "NONE" or "VALIDATED", $"functionCallingConfig.mode '{mode}'", problems);
            Require(declared.Count > 0, "toolConfig without tools", problems);
            if (config.TryGetProperty("allowedFunctionNames", out var allowed))
            {
                Require(mode == "ANY", "allowedFunctionNames is only allowed with mode ANY", problems);
                foreach (var name in allowed.EnumerateArray()) Require(declared.Contains(name.GetString()!), "allowedFunctionNames names no declared function", problems);
            }
        }
        if (body.TryGetProperty("generationConfig", out var generation))
        {
            foreach (var p in generation.EnumerateObject()) Require(Generation.Contains(p.Name), $"Unknown name \"{p.Name}\" at 'generation_config'", problems);
            if (generation.TryGetProperty("maxOutputTokens", out var max)) Require(max.GetInt32() > 0, "maxOutputTokens must be positive", problems);
            if (generation.TryGetProperty("temperature", out var t)) Require(t.GetDouble() is >= 0 and <= 2, "temperature must be 0–2", problems);
            if (generation.TryGetProperty("stopSequences", out var stop)) Require(stop.GetArrayLength() <= 5, "at most 5 stopSequences", problems);
            var mime = generation.TryGetProperty("responseMimeType", out var m) ? m.GetString() : null;
            Require(mime is null or "text/plain" or "application/json" or "text/x.enum", $"responseMimeType '{mime}' is not supported", problems);
            var hasSchema = generation.TryGetProperty("responseSchema", out var schema);
            var hasJsonSchema = generation.TryGetProperty("responseJsonSchema", out _);
            Require(!(hasSchema && hasJsonSchema), "responseSchema and responseJsonSchema are exclusive", problems);
            Require(!(hasSchema || hasJsonSchema) || mime == "application/json", "a response schema needs responseMimeType application/json", problems);
            if (hasSchema) CheckOpenApi(schema, "responseSchema", problems);
        }
        if (body.TryGetProperty("safetySettings", out var safety))
        {
            var seen = new HashSet<string>();
            foreach (var s in safety.EnumerateArray())
            {
                var category = s.GetProperty("category").GetString()!;
                Require(Categories.Contains(category) && seen.Add(category), $"safetySettings: category {category} unknown or repeated", problems);
                Require(Thresholds.Contains(s.GetProperty("threshold").GetString()!), "safetySettings: unknown threshold", problems);
            }
        }
    }

    /// <summary>The OpenAPI subset refuses unknown keywords (additionalProperties, $schema, …) and takes upper-case types.</summary>
    private static void CheckOpenApi(JsonElement schema, string at, List<string> problems)
    {
        foreach (var p in schema.EnumerateObject())
        {
            Require(OpenApiKeys.Contains(p.Name), $"Invalid JSON payload received. Unknown name \"{p.Name}\" at '{at}'", problems);
            if (p.Name == "type") Require(p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() == p.Value.GetString()!.ToUpperInvariant(), $"{at}.type must be an OpenAPI type", problems);
            if (p.Name == "properties") foreach (var q in p.Value.EnumerateObject()) CheckOpenApi(q.Value, $"{at}.properties.{q.Name}", problems);
            if (p.Name == "items") CheckOpenApi(p.Value, $"{at}.items", problems);
        }
    }

    protected override string InvalidRequestBody(string message) => Error(400, "INVALID_ARGUMENT", message);

    private static string Error(int code, string status, string message, JsonArray? details = null)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message, ["status"] = status };
        if (details is not null) error["details"] = details;
        return new JsonObject { ["error"] = error }.ToJsonString();
    }

    private static JsonObject Usage(int candidates) => new()
    {
        ["promptTokenCount"] = 1060, ["candidatesTokenCount"] = candidates, ["totalTokenCount"] = 1060 + candidates + 40,
        ["cachedContentTokenCount"] = 1024, ["thoughtsTokenCount"] = 40,
        ["promptTokensDetails"] = new JsonArray(new JsonObject { ["modality"] = "TEXT", ["tokenCount"] = 1060 }),
    };

    protected override async Task Respond(HttpContext ctx, RecordedRequest request)
    {
        if (Script.TryDequeue(out var scripted)) Scenario = scripted;
        var streaming = request.Path.EndsWith(":streamGenerateContent", StringComparison.Ordinal);
        switch (Scenario)
        {
            case GeminiScenario.RateLimited:
                await Json(ctx, 429, Error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details.", new JsonArray(
                    new JsonObject
                    {
                        ["@type"] = "type.googleapis.com/google.rpc.QuotaFailure",
                        ["violations"] = new JsonArray(new JsonObject { ["quotaMetric"] = "generativelanguage.googleapis.com/generate_content_free_tier_requests", ["quotaId"] = "GenerateRequestsPerMinutePerProjectPerModel-FreeTier" }),
                    },
                    new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.RetryInfo", ["retryDelay"] = "7s" })));
                return;
            case GeminiScenario.Unavailable:
                await Json(ctx, 503, Error(503, "UNAVAILABLE", "The model is overloaded. Please try again later."));
                return;
            case GeminiScenario.ServerError:
                await Json(ctx, 500, Error(500, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"));
                return;
            case GeminiScenario.KeyInvalid:
                await Json(ctx, 400, Error(400, "INVALID_ARGUMENT", $"API key not valid ({_secret}). Please pass a valid API key.", new JsonArray(new JsonObject
                {
                    ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo", ["reason"] = "API_KEY_INVALID", ["domain"] = "googleapis.com",
                    ["metadata"] = new JsonObject { ["service"] = "generativelanguage.googleapis.com" },
                })));
                return;
            case GeminiScenario.Slow:
                await Slow(ctx);
                return;
            case GeminiScenario.InvalidJson:
                await Json(ctx, 200, "<html>502 Bad Gateway</html>");
                return;
        }
        var chunks = Chunks(request.Body).ToList();
        if (streaming)
        {
            var cut = Scenario is GeminiScenario.StreamCut or GeminiScenario.StreamEndsEarly or GeminiScenario.StreamError;
            var events = (cut ? chunks.Take(chunks.Count - 1) : chunks).Select(c => "data: " + c.ToJsonString()).ToList();
            if (Scenario == GeminiScenario.StreamError) events.Add("data: " + Error(503, "UNAVAILABLE", "The model is overloaded."));
            await Events(ctx, events, cut: Scenario == GeminiScenario.StreamCut);
            return;
        }
        // The whole answer: the chunks' parts together, the last chunk's finishReason and usage.
        var parts = new JsonArray();
        foreach (var c in chunks)
            if (c["candidates"]?[0]?["content"]?["parts"] is JsonArray ps)
                foreach (var p in ps) parts.Add(p!.DeepClone());
        var last = chunks[^1];
        if (last["candidates"] is JsonArray { Count: > 0 } candidates)
        {
            var candidate = candidates[0]!.AsObject();
            if (parts.Count > 0) candidate["content"] = new JsonObject { ["role"] = "model", ["parts"] = parts };
        }
        await Json(ctx, 200, last.ToJsonString());
    }

    /// <summary>The answer as stream chunks (each a GenerateContentResponse); the non-streamed answer is their sum.</summary>
    private IEnumerable<JsonObject> Chunks(JsonElement body)
    {
        JsonObject Chunk(JsonArray? parts, string? finish, int candidatesTokens, JsonArray? ratings = null)
        {
            var candidate = new JsonObject { ["index"] = 0 };
            if (parts is not null) candidate["content"] = new JsonObject { ["role"] = "model", ["parts"] = parts };
            if (finish is not null) candidate["finishReason"] = finish;
            if (ratings is not null) candidate["safetyRatings"] = ratings;
            return new JsonObject
            {
                ["candidates"] = new JsonArray(candidate), ["usageMetadata"] = Usage(candidatesTokens), ["modelVersion"] = ModelVersion, ["responseId"] = ResponseId,
            };
        }
        static JsonArray Texts(params string[] texts) => [.. texts.Select(t => (JsonNode)new JsonObject { ["text"] = t })];

        if (Scenario == GeminiScenario.BlockedPrompt)
        {
            yield return new JsonObject
            {
                ["promptFeedback"] = new JsonObject
                {
                    ["blockReason"] = "SAFETY",
                    ["safetyRatings"] = new JsonArray(new JsonObject { ["category"] = "HARM_CATEGORY_DANGEROUS_CONTENT", ["probability"] = "HIGH", ["blocked"] = true }),
                },
                ["usageMetadata"] = new JsonObject { ["promptTokenCount"] = 12, ["totalTokenCount"] = 12 },
                ["modelVersion"] = ModelVersion, ["responseId"] = ResponseId,
            };
            yield break;
        }
        var json = body.TryGetProperty("generationConfig", out var g) && g.TryGetProperty("responseMimeType", out var mime) && mime.GetString() == "application/json";
        if (json)
        {
            yield return Chunk(Texts(JsonAnswer[..12]), null, 4);
            yield return Chunk(Texts(JsonAnswer[12..]), "STOP", 12);
            yield break;
        }
        switch (Scenario)
        {
            case GeminiScenario.ToolCall:
                yield return Chunk(Texts("Let me check."), null, 3);
                yield return Chunk([
                    new JsonObject { ["functionCall"] = new JsonObject { ["name"] = "get_weather", ["args"] = new JsonObject { ["city"] = "Paris", ["unit"] = "celsius" } } },
                ], null, 10);
                yield return Chunk([
                    new JsonObject { ["functionCall"] = new JsonObject { ["name"] = "search_docs", ["args"] = new JsonObject { ["query"] = "umbrella" } } },
                ], "STOP", 18);
                yield break;
            case GeminiScenario.Finish when FinishReason is "SAFETY" or "PROHIBITED_CONTENT" or "SPII" or "BLOCKLIST":
                yield return Chunk(Texts(Text[..5]), null, 2);
                yield return Chunk(null, FinishReason, 2, new JsonArray(new JsonObject { ["category"] = "HARM_CATEGORY_HARASSMENT", ["probability"] = "HIGH", ["blocked"] = true }));
                yield break;
            case GeminiScenario.Finish:
                yield return Chunk(Texts(Text[..5]), null, 2);
                yield return Chunk(Texts(Text[5..12]), FinishReason, 5);
                yield break;
            case GeminiScenario.EchoKey:
                yield return Chunk(Texts("Your key is ", _secret), "STOP", 8);
                yield break;
            default:
                // A thought summary first (not part of the answer), then the text in pieces.
                yield return Chunk([new JsonObject { ["text"] = "Thinking about greetings.", ["thought"] = true }], null, 0);
                yield return Chunk(Texts(Text[..5]), null, 2);
                yield return Chunk(Texts(Text[5..12]), null, 4);
                yield return Chunk(Texts(Text[12..]), "STOP", 6);
                yield break;
        }
    }
}
