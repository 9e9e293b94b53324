using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace AgentOps.Tests.Providers;

public enum OpenAiScenario { Text, ToolCall, BadArguments, Length, RateLimited, RateLimitedHttpDate, ServerError, Unauthorized, ContentFilter, Slow, InvalidJson, WrongShape, StreamCut, StreamEndsEarly, StreamError, StreamStalls }

/// <summary>
/// Speaks OpenAI's chat completions (and Azure's): checks the request the way the API does (path, auth header, body
/// fields, tools, tool_choice, response_format, stream_options) and answers as the API does, per <see cref="Scenario"/>.
/// </summary>
public sealed class FakeOpenAiServer : FakeHttpServer
{
    public const string RequestId = "req_8f2d1c";
    public const string Model = "gpt-4o-2024-08-06";
    public const string Text = "Hello there, friend.";
    public const string Arguments = """{"city":"Paris","unit":"celsius"}""";

    public static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private readonly string _secret;
    private readonly string _path;
    private readonly bool _azure;

    private FakeOpenAiServer(string secret, string path, bool azure)
    {
        _secret = secret;
        _path = path;
        _azure = azure;
    }

    public OpenAiScenario Scenario { get; set; }

    /// <summary>Texts to answer with, in order, instead of <see cref="Text"/> (streamed in 5-character pieces).</summary>
    public ConcurrentQueue<string> Answers { get; } = new();

    /// <summary>
    /// Scenarios for the next requests, one per request in order (a 429, then a 500, then an answer); once it is empty,
    /// <see cref="Scenario"/> stays the last one taken.
    /// </summary>
    public ConcurrentQueue<OpenAiScenario> Script { get; } = new();

    /// <summary>
    /// When set, 429s carry retry-after-ms (as OpenAI sends it, beside retry-after in whole seconds) and 5xx answers'
    /// retry-after-ms is this instead of 1500: tests of the retry loop wait milliseconds, not seconds.
    /// </summary>
    public int? RetryAfterMs { get; set; }

    /// <summary>Scripts the next requests' scenarios (see <see cref="Script"/>).</summary>
    public void Then(params OpenAiScenario[] scenarios)
    {
        foreach (var s in scenarios) Script.Enqueue(s);
    }

    /// <summary>A server for OpenAI (Bearer auth, /v1/chat/completions) or Azure (api-key, the deployment's path and api-version).</summary>
    public static async Task<FakeOpenAiServer> StartAsync(string secret, string path = "/v1/chat/completions", bool azure = false)
    {
        var server = new FakeOpenAiServer(secret, path, azure);
        await server.StartAsync();
        return server;
    }

    protected override void Validate(RecordedRequest r, List<string> problems)
    {
        Require(r.Method == "POST", "method must be POST", problems);
        Require(r.Path == _path, $"path {r.Path} is not {_path}", problems);
        if (_azure)
        {
            Require(r.Query.StartsWith("?api-version=", StringComparison.Ordinal), "api-version query parameter missing", problems);
            Require(r.Header("api-key") == _secret, "api-key header must hold the key", problems);
            Require(r.Header("Authorization") is null, "Azure takes api-key, not Authorization", problems);
        }
        else Require(r.Header("Authorization") == "Bearer " + _secret, "Authorization: Bearer <key> required", problems);
        Require(r.Header("Content-Type")?.StartsWith("application/json", StringComparison.Ordinal) == true, "Content-Type must be application/json", problems);
        var body = r.Body;
        Require(body.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String, "model is required", problems);
        Require(body.TryGetProperty("messages", out var messages) && messages.GetArrayLength() > 0, "messages must not be empty", problems);
        string[] roles = ["system", "developer", "user", "assistant", "tool"];
        foreach (var m in messages.EnumerateArray())
        {
            var role = m.GetProperty("role").GetString();
            Require(roles.Contains(role), $"unknown role {role}", problems);
            if (role == "tool") Require(m.TryGetProperty("tool_call_id", out _), "a tool message needs tool_call_id", problems);
            if (m.TryGetProperty("tool_calls", out var calls))
                foreach (var c in calls.EnumerateArray())
                    Require(c.GetProperty("type").GetString() == "function" && c.GetProperty("function").GetProperty("arguments").ValueKind == JsonValueKind.String,
                        "assistant tool_calls are functions with arguments as a string", problems);
        }
        var toolNames = new List<string>();
        if (body.TryGetProperty("tools", out var tools))
            foreach (var t in tools.EnumerateArray())
            {
                Require(t.GetProperty("type").GetString() == "function", "tools[].type must be function", problems);
                var f = t.GetProperty("function");
                toolNames.Add(f.GetProperty("name").GetString()!);
                Require(IsObjectSchema(f.GetProperty("parameters")), "tools[].function.parameters must be an object schema", problems);
            }
        if (body.TryGetProperty("tool_choice", out var choice))
        {
            if (choice.ValueKind == JsonValueKind.String) Require(choice.GetString() is "auto" or "none" or "required", "tool_choice string unknown", problems);
            else Require(choice.GetProperty("type").GetString() == "function" && toolNames.Contains(choice.GetProperty("function").GetProperty("name").GetString()!),
                "tool_choice must name a defined function", problems);
            Require(toolNames.Count > 0, "tool_choice is only allowed with tools", problems);
        }
        if (body.TryGetProperty("response_format", out var format))
        {
            var type = format.GetProperty("type").GetString();
            Require(type is "text" or "json_object" or "json_schema", "response_format.type unknown", problems);
            if (type == "json_schema")
            {
                var js = format.GetProperty("json_schema");
                Require(js.TryGetProperty("name", out _) && IsObjectSchema(js.GetProperty("schema")), "json_schema needs a name and an object schema", problems);
            }
        }
        if (body.TryGetProperty("stream", out var stream) && stream.GetBoolean())
            Require(body.TryGetProperty("stream_options", out var so) && so.GetProperty("include_usage").GetBoolean(), "streams must ask for usage", problems);
        else Require(!body.TryGetProperty("stream_options", out _), "stream_options is only allowed with stream", problems);
    }

    protected override string InvalidRequestBody(string message) =>
        new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = "invalid_request_error", ["param"] = null, ["code"] = null } }.ToJsonString();

    protected override async Task Respond(HttpContext ctx, RecordedRequest request)
    {
        if (Script.TryDequeue(out var scripted)) Scenario = scripted;
        ctx.Response.Headers["x-request-id"] = RequestId;
        ctx.Response.Headers["openai-processing-ms"] = "42";
        var streaming = request.Body.TryGetProperty("stream", out var s) && s.GetBoolean();
        switch (Scenario)
        {
            case OpenAiScenario.RateLimited or OpenAiScenario.RateLimitedHttpDate:
                ctx.Response.Headers["x-ratelimit-limit-requests"] = "500";
                ctx.Response.Headers["x-ratelimit-remaining-requests"] = "0";
                ctx.Response.Headers["x-ratelimit-reset-requests"] = "1s";
                ctx.Response.Headers["x-ratelimit-limit-tokens"] = "30000";
                ctx.Response.Headers["x-ratelimit-remaining-tokens"] = "12";
                ctx.Response.Headers["x-ratelimit-reset-tokens"] = "6m0s";
                ctx.Response.Headers["retry-after"] = Scenario == OpenAiScenario.RateLimited ? "2" : Now.AddMinutes(2).ToString("r");
                if (RetryAfterMs is { } ms)
                {
                    ctx.Response.Headers["retry-after-ms"] = ms.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    ctx.Response.Headers["retry-after"] = ((ms + 999) / 1000).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                await Json(ctx, 429, Error("Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Used 29988.", "tokens", "rate_limit_exceeded"));
                return;
            case OpenAiScenario.ServerError:
                ctx.Response.Headers["retry-after-ms"] = (RetryAfterMs ?? 1500).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Json(ctx, 500, Error("The server had an error while processing your request. Sorry about that!", "server_error", null));
                return;
            case OpenAiScenario.Unauthorized:
                // The worst case: a provider quoting the whole key back.
                await Json(ctx, 401, Error($"Incorrect API key provided: {_secret}. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key"));
                return;
            case OpenAiScenario.ContentFilter:
                await Json(ctx, 400, Error($"The response was filtered due to the prompt triggering content management policy (key {_secret}).", null, "content_filter"));
                return;
            case OpenAiScenario.Slow:
                await Slow(ctx);
                return;
            case OpenAiScenario.WrongShape when streaming:
                await Events(ctx, ["""data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":"first"}]}}]}""", "data: [DONE]"]);
                return;
            case OpenAiScenario.WrongShape:
                await Json(ctx, 200, """{"choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"id":"c","function":{"name":7}}]}}]}""");
                return;
            case OpenAiScenario.InvalidJson:
                await Json(ctx, 200, """{"id":"chatcmpl-1","choices":[{"message":""");
                return;
        }
        if (streaming) await Events(ctx, Chunks(), cut: Scenario == OpenAiScenario.StreamCut, stall: Scenario == OpenAiScenario.StreamStalls);
        else await Json(ctx, 200, Completion());
    }

    private static string Error(string message, string? type, string? code) =>
        new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = null, ["code"] = code } }.ToJsonString();

    private (string Finish, string Arguments) Shape() => Scenario switch
    {
        OpenAiScenario.ToolCall => ("tool_calls", Arguments),
        OpenAiScenario.BadArguments => ("tool_calls", """{"city": "Par"""),
        OpenAiScenario.Length => ("length", ""),
        _ => ("stop", ""),
    };

    private static JsonObject Usage() => new()
    {
        ["prompt_tokens"] = 1250,
        ["completion_tokens"] = 18,
        ["total_tokens"] = 1268,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = 1024, ["audio_tokens"] = 0 },
        ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
    };

    private string Completion()
    {
        var (finish, arguments) = Shape();
        var message = new JsonObject { ["role"] = "assistant", ["refusal"] = null };
        if (finish == "tool_calls")
        {
            message["content"] = null;
            message["tool_calls"] = new JsonArray(new JsonObject
            {
                ["id"] = "call_abc123", ["type"] = "function", ["function"] = new JsonObject { ["name"] = "get_weather", ["arguments"] = arguments },
            });
        }
        else message["content"] = Answers.TryDequeue(out var answer) ? answer : Text;
        return new JsonObject
        {
            ["id"] = "chatcmpl-123", ["object"] = "chat.completion", ["created"] = 1765000000, ["model"] = Model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["logprobs"] = null, ["finish_reason"] = finish }),
            ["usage"] = Usage(), ["system_fingerprint"] = "fp_50cad350e4",
        }.ToJsonString();
    }

    private IEnumerable<string> Chunks()
    {
        var (finish, arguments) = Shape();
        string Chunk(JsonObject? delta, string? finishReason, bool usage = false) => "data: " + new JsonObject
        {
            ["id"] = "chatcmpl-123", ["object"] = "chat.completion.chunk", ["created"] = 1765000000, ["model"] = Model, ["system_fingerprint"] = "fp_50cad350e4",
            ["choices"] = delta is null ? new JsonArray() : new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason }),
            ["usage"] = usage ? Usage() : null,
        }.ToJsonString();
        yield return Chunk(new JsonObject { ["role"] = "assistant", ["content"] = finish == "tool_calls" ? null : "", ["refusal"] = null }, null);
        if (finish == "tool_calls")
        {
            yield return Chunk(new JsonObject
            {
                ["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0, ["id"] = "call_abc123", ["type"] = "function", ["function"] = new JsonObject { ["name"] = "get_weather", ["arguments"] = "" },
                }),
            }, null);
            for (var i = 0; i < arguments.Length; i += 7)
                yield return Chunk(new JsonObject
                {
                    ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = 0, ["function"] = new JsonObject { ["arguments"] = arguments[i..Math.Min(i + 7, arguments.Length)] } }),
                }, null);
        }
        else
            foreach (var piece in Answers.TryDequeue(out var answer) ? answer.Chunk(5).Select(c => new string(c)).ToArray() : ["Hello", " there,", " friend."])
            {
                yield return Chunk(new JsonObject { ["content"] = piece }, null);
                if (Scenario is OpenAiScenario.StreamCut or OpenAiScenario.StreamEndsEarly or OpenAiScenario.StreamStalls && piece == " there,") yield break;
                if (Scenario is OpenAiScenario.StreamError && piece == " there,")
                {
                    yield return "data: " + Error("The server had an error while processing your request.", "server_error", null);
                    yield break;
                }
            }
        yield return Chunk(new JsonObject(), finish);
        yield return Chunk(null, null, usage: true);
        yield return "data: [DONE]";
    }
}
