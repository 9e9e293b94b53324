using System.ClientModel;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AgentOps.Sdk.OpenAI;
using Microsoft.AspNetCore.Http;
using OpenAI;
using OpenAI.Chat;

namespace AgentOps.Sdk.Tests;

/// <summary>The OpenAI wrappers against an in-process fake speaking the OpenAI (and Anthropic) wire format.</summary>
public sealed class OpenAiTests
{
    private const string Model = "gpt-4o-mini-2024-07-18";

    private static readonly string[] OpenAiChunks =
    [
        """{"id":"c1","object":"chat.completion.chunk","created":1,"model":"MODEL","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}""".Replace("MODEL", Model, StringComparison.Ordinal),
        """{"id":"c1","object":"chat.completion.chunk","created":1,"model":"MODEL","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}""".Replace("MODEL", Model, StringComparison.Ordinal),
        """{"id":"c1","object":"chat.completion.chunk","created":1,"model":"MODEL","choices":[],"usage":{"prompt_tokens":50,"completion_tokens":7,"total_tokens":57,"prompt_tokens_details":{"cached_tokens":20}}}""".Replace("MODEL", Model, StringComparison.Ordinal),
    ];

    private static readonly string[] AnthropicEvents =
    [
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-3-5-haiku-20241022\",\"content\":[],\"usage\":{\"input_tokens\":30,\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":0,\"output_tokens\":1}}}",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":12}}",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}",
    ];

    /// <summary>A fake LLM API: chat completions (JSON, or SSE with a usage chunk when stream_options.include_usage) and Anthropic messages (SSE).</summary>
    private static Task<FakeServer> StartFakeLlmAsync(List<JsonElement>? requests = null) => FakeServer.StartAsync(async (r, ctx) =>
    {
        var body = r.Json;
        lock (requests ?? []) requests?.Add(body);
        var stream = body.TryGetProperty("stream", out var s) && s.GetBoolean();
        if (r.Path.EndsWith("/messages", StringComparison.Ordinal))
        {
            ctx.Response.ContentType = "text/event-stream";
            foreach (var e in AnthropicEvents)
            {
                await ctx.Response.WriteAsync(e + "\n\n");
                await ctx.Response.Body.FlushAsync();
                await Task.Delay(20);
            }
            return;
        }
        if (!stream)
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("""{"id":"c1","object":"chat.completion","created":1,"model":"MODEL","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":50,"completion_tokens":7,"total_tokens":57,"prompt_tokens_details":{"cached_tokens":20}}}""".Replace("MODEL", Model, StringComparison.Ordinal));
            return;
        }
        var includeUsage = body.TryGetProperty("stream_options", out var so) && so.TryGetProperty("include_usage", out var iu) && iu.GetBoolean();
        ctx.Response.ContentType = "text/event-stream";
        await Task.Delay(30); // time to first chunk
        for (var i = 0; i < OpenAiChunks.Length; i++)
        {
            if (i == 2 && !includeUsage) break;
            await ctx.Response.WriteAsync("data: " + OpenAiChunks[i] + "\n\n");
            await ctx.Response.Body.FlushAsync();
            await Task.Delay(10);
        }
        await ctx.Response.WriteAsync("data: [DONE]\n\n");
    });

    private static async Task<JsonElement[]> LlmCalls(AgentOpsClient ops, FakeServer ingest)
    {
        await ops.FlushAsync(TimeSpan.FromSeconds(5));
        return ingest.Requests.SelectMany(r => r.Json.GetProperty("batch").EnumerateArray())
            .Where(e => e.GetProperty("type").GetString() == "llm.call").ToArray();
    }

    private static ChatClient Chat(FakeServer llm) =>
        new("gpt-4o-mini", new ApiKeyCredential("sk-test"), new OpenAIClientOptions { Endpoint = new Uri(llm.Url, "/v1") });

    [Fact]
    public async Task A_completion_is_recorded_with_model_usage_and_cached_tokens()
    {
        await using var llm = await StartFakeLlmAsync();
        await using var ingest = await FakeServer.StartAsync();
        await using var ops = TestClient.Create(ingest.Url);
        var chat = Chat(llm).WithAgentOps(ops);
        using (ops.StartRun("openai"))
        {
            var result = await chat.CompleteChatAsync(new UserChatMessage("hi"));
            Assert.Equal("Hello", result.Value.Content[0].Text);
        }
        var call = Assert.Single(await LlmCalls(ops, ingest));
        Assert.Equal(Model, call.GetProperty("model").GetString());
        Assert.Equal("openai", call.GetProperty("provider").GetString());
        Assert.Equal(50, call.GetProperty("tokens_in").GetInt64());
        Assert.Equal(7, call.GetProperty("tokens_out").GetInt64());
        Assert.Equal(20, call.GetProperty("tokens_cached").GetInt64());
        Assert.Equal("gpt-4o-mini", call.GetProperty("metadata").GetProperty("gen_ai.request.model").GetString());
        Assert.Equal(Model, call.GetProperty("metadata").GetProperty("gen_ai.response.model").GetString());
    }

    [Fact]
    public async Task A_stream_is_recorded_at_its_end_with_usage_and_time_to_first_token()
    {
        var requests = new List<JsonElement>();
        await using var llm = await StartFakeLlmAsync(requests);
        await using var ingest = await FakeServer.StartAsync();
        await using var ops = TestClient.Create(ingest.Url);
        var chat = Chat(llm).WithAgentOps(ops, captureContent: true);
        var text = new StringBuilder();
        using (ops.StartRun("stream"))
            await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("hi")]))
                foreach (var part in update.ContentUpdate) text.Append(part.Text);
        Assert.Equal("Hello", text.ToString());
        Assert.True(requests[0].GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        var call = Assert.Single(await LlmCalls(ops, ingest));
        Assert.Equal(50, call.GetProperty("tokens_in").GetInt64());
        Assert.Equal(20, call.GetProperty("tokens_cached").GetInt64());
        Assert.Equal("Hello", call.GetProperty("output").GetString());
        Assert.Equal("hi", call.GetProperty("input").GetString());
        var ttft = call.GetProperty("metadata").GetProperty("gen_ai.response.time_to_first_chunk").GetDouble();
        Assert.InRange(ttft, 0.02, 5);
        Assert.True(call.GetProperty("latency_ms").GetInt64() >= (long)(ttft * 1000));
    }

    [Fact]
    public async Task A_stream_the_consumer_leaves_early_is_still_recorded()
    {
        await using var llm = await StartFakeLlmAsync();
        await using var ingest = await FakeServer.StartAsync();
        await using var ops = TestClient.Create(ingest.Url);
        var chat = Chat(llm).WithAgentOps(ops);
        using (ops.StartRun("early"))
            await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("hi")]))
                break;
        var call = Assert.Single(await LlmCalls(ops, ingest));
        Assert.Equal(Model, call.GetProperty("model").GetString());
        Assert.Equal(0, call.GetProperty("tokens_in").GetInt64());
    }

    [Fact]
    public async Task The_handler_reads_usage_from_json_and_sse_without_changing_the_stream()
    {
        await using var llm = await StartFakeLlmAsync();
        await using var ingest = await FakeServer.StartAsync();
        await using var ops = TestClient.Create(ingest.Url);
        using var http = new HttpClient(new AgentOpsLlmHandler(ops, new SocketsHttpHandler())) { BaseAddress = llm.Url };
        string streamed;
        using (ops.StartRun("handler"))
        {
            var json = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "gpt-4o-mini", messages = new[] { new { role = "user", content = "hi" } } });
            Assert.Contains("\"Hello\"", await json.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = JsonContent.Create(new { model = "gpt-4o-mini", stream = true, stream_options = new { include_usage = true }, messages = Array.Empty<object>() }),
            };
            using var sse = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal("text/event-stream", sse.Content.Headers.ContentType!.MediaType);
            using var reader = new StreamReader(await sse.Content.ReadAsStreamAsync());
            streamed = await reader.ReadToEndAsync();

            using var anthropic = await http.PostAsJsonAsync("/v1/messages", new { model = "claude-3-5-haiku-latest", stream = true, max_tokens = 10, messages = Array.Empty<object>() });
            await anthropic.Content.ReadAsStringAsync();
        }
        Assert.Equal(string.Concat(OpenAiChunks.Select(c => "data: " + c + "\n\n")) + "data: [DONE]\n\n", streamed);
        var calls = await LlmCalls(ops, ingest);
        Assert.Equal(3, calls.Length);
        Assert.All(calls.Take(2), c =>
        {
            Assert.Equal(Model, c.GetProperty("model").GetString());
            Assert.Equal(50, c.GetProperty("tokens_in").GetInt64());
            Assert.Equal(7, c.GetProperty("tokens_out").GetInt64());
            Assert.Equal(20, c.GetProperty("tokens_cached").GetInt64());
        });
        Assert.True(calls[1].GetProperty("metadata").TryGetProperty("gen_ai.response.time_to_first_chunk", out _));
        var claude = calls[2];
        Assert.Equal("anthropic", claude.GetProperty("provider").GetString());
        Assert.Equal("claude-3-5-haiku-20241022", claude.GetProperty("model").GetString());
        Assert.Equal(130, claude.GetProperty("tokens_in").GetInt64()); // 30 uncached + 100 read from the cache
        Assert.Equal(100, claude.GetProperty("tokens_cached").GetInt64());
        Assert.Equal(12, claude.GetProperty("tokens_out").GetInt64());
    }

    [Fact]
    public async Task The_handler_under_the_OpenAI_client_records_streams()
    {
        await using var llm = await StartFakeLlmAsync();
        await using var ingest = await FakeServer.StartAsync();
        await using var ops = TestClient.Create(ingest.Url);
        using var http = new HttpClient(new AgentOpsLlmHandler(ops, new SocketsHttpHandler()));
        var chat = new ChatClient("gpt-4o-mini", new ApiKeyCredential("sk-test"), new OpenAIClientOptions
        {
            Endpoint = new Uri(llm.Url, "/v1"),
            Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(http),
        });
        var text = new StringBuilder();
        using (ops.StartRun("pipeline"))
            await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("hi")]))
                foreach (var part in update.ContentUpdate) text.Append(part.Text);
        Assert.Equal("Hello", text.ToString());
        var call = Assert.Single(await LlmCalls(ops, ingest));
        Assert.Equal(20, call.GetProperty("tokens_cached").GetInt64());
    }

    [Fact]
    public async Task A_failed_completion_is_recorded_as_an_error_and_rethrown()
    {
        await using var llm = await FakeServer.StartAsync(async (_, ctx) =>
        {
            ctx.Response.StatusCode = 400;
            await ctx.Response.WriteAsJsonAsync(new { error = new { message = "bad request", type = "invalid_request_error" } });
        });
        await using var ingest = await FakeServer.StartAsync();
        await using var ops = TestClient.Create(ingest.Url);
        var chat = Chat(llm).WithAgentOps(ops);
        using (ops.StartRun("failing"))
            await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync(new UserChatMessage("hi")));
        await ops.FlushAsync(TimeSpan.FromSeconds(5));
        var error = Assert.Single(ingest.Requests.SelectMany(r => r.Json.GetProperty("batch").EnumerateArray()), e => e.GetProperty("type").GetString() == "error");
        Assert.Equal("ClientResultException", error.GetProperty("name").GetString());
    }
}
