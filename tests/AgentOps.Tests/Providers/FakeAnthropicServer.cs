using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace AgentOps.Tests.Providers;

public enum AnthropicScenario { Text, ToolCall, RateLimited, Overloaded, ServerError, Unauthorized, Slow, InvalidJson, StreamCut, StreamEndsEarly, StreamError }

/// <summary>
/// Speaks Anthropic's Messages API: checks the request as the API does (x-api-key, anthropic-version, max_tokens,
/// system at the top level only, user/assistant turns, content blocks, tool_result answering an earlier tool_use,
/// tools with input_schema, tool_choice) and answers per <see cref="Scenario"/>. A forced tool_choice {type: tool}
/// is answered by a call of that tool (how a JSON response is asked for).
/// </summary>
public sealed class FakeAnthropicServer : FakeHttpServer
{
    public const string RequestId = "req_011CSHoEeqs5C35K2UUqR7Fy";
    public const string Model = "claude-sonnet-4-5-20250929";
    public const string Text = "Hello there, friend.";
    public const string Input = """{"city":"Paris","unit":"celsius"}""";
    public const string JsonAnswer = """{"answer":"yes","confidence":0.9}""";

    public static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private readonly string _secret;

    private FakeAnthropicServer(string secret) => _secret = secret;

    public AnthropicScenario Scenario { get; set; }

    /// <summary>
    /// Scenarios for the next requests, one per request in order (a 429, then a 500, then an answer); once it is empty,
    /// <see cref="Scenario"/> stays the last one taken.
    /// </summary>
    public System.Collections.Concurrent.ConcurrentQueue<AnthropicScenario> Script { get; } = new();

    /// <summary>Scripts the next requests' scenarios (see <see cref="Script"/>).</summary>
    public void Then(params AnthropicScenario[] scenarios)
    {
        foreach (var s in scenarios) Script.Enqueue(s);
    }

    public static async Task<FakeAnthropicServer> StartAsync(string secret)
    {
        var server = new FakeAnthropicServer(secret);
        await server.StartAsync();
        return server;
    }

    protected override void Validate(RecordedRequest r, List<string> problems)
    {
        Require(r.Method == "POST" && r.Path == "/v1/messages", $"{r.Method} {r.Path} is not POST /v1/messages", problems);
        Require(r.Header("x-api-key") == _secret, "x-api-key must hold the key", problems);
        Require(r.Header("anthropic-version") == "2023-06-01", "anthropic-version: 2023-06-01 required", problems);
        Require(r.Header("Authorization") is null, "Anthropic takes x-api-key, not Authorization", problems);
        var body = r.Body;
        Require(body.TryGetProperty("model", out _), "model: Field required", problems);
        Require(body.TryGetProperty("max_tokens", out var max) && max.GetInt32() > 0, "max_tokens: Field required", problems);
        if (body.TryGetProperty("system", out var system)) Require(system.ValueKind is JsonValueKind.String or JsonValueKind.Array, "system must be text or blocks", problems);
        var messages = body.GetProperty("messages");
        Require(messages.GetArrayLength() > 0, "messages: at least one message is required", problems);
        string? previous = null;
        var toolUses = new HashSet<string>();
        foreach (var m in messages.EnumerateArray())
        {
            var role = m.GetProperty("role").GetString();
            Require(role is "user" or "assistant", $"messages: Unexpected role \"{role}\" (the system prompt is the top-level system parameter)", problems);
            Require(previous is not null || role == "user", "messages: the first message must use the user role", problems);
            Require(role != previous, "messages: roles must alternate between user and assistant", problems);
            previous = role;
            var content = m.GetProperty("content");
            if (content.ValueKind == JsonValueKind.String) continue;
            foreach (var block in content.EnumerateArray())
                switch (block.GetProperty("type").GetString())
                {
                    case "text": Require(block.GetProperty("text").GetString()!.Length > 0, "text content blocks must be non-empty", problems); break;
                    case "image": Require(block.GetProperty("source").GetProperty("type").GetString() is "base64" or "url", "image source type", problems); break;
                    case "tool_use":
                        Require(role == "assistant" && block.GetProperty("input").ValueKind == JsonValueKind.Object, "tool_use: assistant only, input an object", problems);
                        toolUses.Add(block.GetProperty("id").GetString()!);
                        break;
                    case "tool_result":
                        Require(role == "user" && toolUses.Contains(block.GetProperty("tool_use_id").GetString()!), "tool_result must answer an earlier tool_use, in a user message", problems);
                        break;
                    default: problems.Add("unknown content block type"); break;
                }
        }
        var toolNames = new List<string>();
        if (body.TryGetProperty("tools", out var tools))
            foreach (var t in tools.EnumerateArray())
            {
                toolNames.Add(t.GetProperty("name").GetString()!);
                Require(IsObjectSchema(t.GetProperty("input_schema")), "tools.input_schema: must be an object schema", problems);
                Require(!t.TryGetProperty("parameters", out _) && !t.TryGetProperty("function", out _), "tools: Extra inputs are not permitted", problems);
            }
        if (body.TryGetProperty("tool_choice", out var choice))
        {
            var type = choice.GetProperty("type").GetString();
            Require(type is "auto" or "any" or "tool" or "none", "tool_choice.type unknown", problems);
            if (type == "tool") Require(toolNames.Contains(choice.GetProperty("name").GetString()!), "tool_choice names no tool", problems);
        }
        foreach (var unknown in new[] { "response_format", "tool_choice_required", "stop", "max_completion_tokens", "stream_options" })
            Require(!body.TryGetProperty(unknown, out _), $"{unknown}: Extra inputs are not permitted", problems);
        if (body.TryGetProperty("temperature", out var temperature)) Require(temperature.GetDouble() is >= 0 and <= 1, "temperature must be 0–1", problems);
    }

    protected override string InvalidRequestBody(string message) =>
        new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = "invalid_request_error", ["message"] = message } }.ToJsonString();

    private static string Error(string type, string message) =>
        new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = type, ["message"] = message } }.ToJsonString();

    protected override async Task Respond(HttpContext ctx, RecordedRequest request)
    {
        if (Script.TryDequeue(out var scripted)) Scenario = scripted;
        ctx.Response.Headers["request-id"] = RequestId;
        var body = request.Body;
        var streaming = body.TryGetProperty("stream", out var s) && s.GetBoolean();
        switch (Scenario)
        {
            case AnthropicScenario.RateLimited:
                ctx.Response.Headers["anthropic-ratelimit-requests-limit"] = "50";
                ctx.Response.Headers["anthropic-ratelimit-requests-remaining"] = "0";
                ctx.Response.Headers["anthropic-ratelimit-requests-reset"] = Now.AddSeconds(30).ToString("yyyy-MM-ddTHH:mm:ssZ");
                ctx.Response.Headers["anthropic-ratelimit-tokens-limit"] = "40000";
                ctx.Response.Headers["anthropic-ratelimit-tokens-remaining"] = "100";
                ctx.Response.Headers["anthropic-ratelimit-tokens-reset"] = Now.AddSeconds(90).ToString("yyyy-MM-ddTHH:mm:ssZ");
                ctx.Response.Headers["retry-after"] = "30";
                await Json(ctx, 429, Error("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"));
                return;
            case AnthropicScenario.Overloaded:
                await Json(ctx, 529, Error("overloaded_error", "Overloaded"));
                return;
            case AnthropicScenario.ServerError:
                await Json(ctx, 500, Error("api_error", "Internal server error"));
                return;
            case AnthropicScenario.Unauthorized:
                await Json(ctx, 401, Error("authentication_error", $"invalid x-api-key {_secret}"));
                return;
            case AnthropicScenario.Slow:
                await Slow(ctx);
                return;
            case AnthropicScenario.InvalidJson:
                await Json(ctx, 200, "<html>502 Bad Gateway</html>");
                return;
        }
        // A forced tool is answered by a call of it (a JSON response's tool: with the JSON answer).
        var forced = body.TryGetProperty("tool_choice", out var choice) && choice.GetProperty("type").GetString() == "tool" ? choice.GetProperty("name").GetString() : null;
        var (tool, input) = forced is not null ? (forced, forced == "get_weather" ? Input : JsonAnswer)
            : Scenario == AnthropicScenario.ToolCall ? ("get_weather", Input) : (null, null);
        var text = forced is not null ? null : Scenario == AnthropicScenario.ToolCall ? "Let me check the weather." : Text;
        if (streaming) await Events(ctx, StreamEvents(text, tool, input), cut: Scenario == AnthropicScenario.StreamCut);
        else
        {
            var content = new JsonArray();
            if (text is not null) content.Add(new JsonObject { ["type"] = "text", ["text"] = text });
            if (tool is not null) content.Add(new JsonObject { ["type"] = "tool_use", ["id"] = "toolu_01A09q90qw90lq917835lq9", ["name"] = tool, ["input"] = JsonNode.Parse(input!) });
            await Json(ctx, 200, new JsonObject
            {
                ["id"] = "msg_01XFDUDYJgAACzvnptvVoYEL", ["type"] = "message", ["role"] = "assistant", ["model"] = Model, ["content"] = content,
                ["stop_reason"] = tool is not null ? "tool_use" : "end_turn", ["stop_sequence"] = null,
                ["usage"] = new JsonObject { ["input_tokens"] = 20, ["cache_creation_input_tokens"] = 3, ["cache_read_input_tokens"] = 1024, ["output_tokens"] = 18 },
            }.ToJsonString());
        }
    }

    private IEnumerable<string> StreamEvents(string? text, string? tool, string? input)
    {
        static string Event(string type, JsonObject data)
        {
            data["type"] = type;
            return $"event: {type}\ndata: {data.ToJsonString()}";
        }
        yield return Event("message_start", new JsonObject
        {
            ["message"] = new JsonObject
            {
                ["id"] = "msg_01XFDUDYJgAACzvnptvVoYEL", ["type"] = "message", ["role"] = "assistant", ["model"] = Model, ["content"] = new JsonArray(),
                ["stop_reason"] = null, ["stop_sequence"] = null,
                ["usage"] = new JsonObject { ["input_tokens"] = 20, ["cache_creation_input_tokens"] = 3, ["cache_read_input_tokens"] = 1024, ["output_tokens"] = 1 },
            },
        });
        yield return Event("ping", []);
        var index = 0;
        if (text is not null)
        {
            yield return Event("content_block_start", new JsonObject { ["index"] = index, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" } });
            foreach (var piece in new[] { text[..5], text[5..12], text[12..] })
            {
                yield return Event("content_block_delta", new JsonObject { ["index"] = index, ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = piece } });
                if (Scenario is AnthropicScenario.StreamCut or AnthropicScenario.StreamEndsEarly) yield break;
                if (Scenario is AnthropicScenario.StreamError)
                {
                    yield return "event: error\ndata: " + Error("overloaded_error", "Overloaded");
                    yield break;
                }
            }
            yield return Event("content_block_stop", new JsonObject { ["index"] = index++ });
        }
        if (tool is not null)
        {
            yield return Event("content_block_start", new JsonObject
            {
                ["index"] = index,
                ["content_block"] = new JsonObject { ["type"] = "tool_use", ["id"] = "toolu_01A09q90qw90lq917835lq9", ["name"] = tool, ["input"] = new JsonObject() },
            });
            for (var i = 0; i < input!.Length; i += 9)
                yield return Event("content_block_delta", new JsonObject
                {
                    ["index"] = index, ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = input[i..Math.Min(i + 9, input.Length)] },
                });
            yield return Event("content_block_stop", new JsonObject { ["index"] = index });
        }
        yield return Event("message_delta", new JsonObject
        {
            ["delta"] = new JsonObject { ["stop_reason"] = tool is not null ? "tool_use" : "end_turn", ["stop_sequence"] = null },
            ["usage"] = new JsonObject { ["output_tokens"] = 18 },
        });
        yield return Event("message_stop", []);
    }
}
