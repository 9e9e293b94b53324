using System.Text.Json;
using AgentOps.Providers;
using static AgentOps.Tests.Providers.ProviderTestData;

namespace AgentOps.Tests.Providers;

public sealed class AnthropicMessagesAdapterTests : IAsyncLifetime
{
    private const string Claude = "claude-sonnet-4-5";

    private FakeAnthropicServer _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _server = await FakeAnthropicServer.StartAsync(Secret);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
    }

    private AnthropicMessagesAdapter Adapter(TimeSpan? timeout = null, TimeProvider? time = null) =>
        new(_http, new AnthropicMessagesOptions { BaseUrl = _server.BaseUrl, Timeout = timeout ?? TimeSpan.FromSeconds(30) }, time);

    private async Task<ProviderException> FailsAsync(AnthropicScenario scenario, AnthropicMessagesAdapter? adapter = null)
    {
        _server.Scenario = scenario;
        var e = await Assert.ThrowsAsync<ProviderException>(() => (adapter ?? Adapter()).CompleteAsync(Simple(Claude), Credential));
        Assert.Single(_server.Requests); // no retries inside the adapter
        Assert.DoesNotContain(Secret, e.Message, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public async Task Puts_the_system_prompt_on_top_and_tool_results_in_one_user_message()
    {
        var request = ToolRoundTrip(Claude) with
        {
            Messages = [.. ToolRoundTrip(Claude).Messages, ModelMessage.OfUser("Thanks.")],
            Stop = ["END"], Temperature = 1.5, Metadata = new Dictionary<string, string> { ["user_id"] = "u-42", ["run_id"] = "r1" },
        };
        await Adapter().CompleteAsync(request, Credential);
        Assert.Empty(_server.Violations);
        var body = _server.LastRequest.Body;
        Assert.Equal("You are a weather bot.\n\nAnswer in one sentence.", body.GetProperty("system").GetString());
        var messages = body.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "user"], messages.Select(m => m.GetProperty("role").GetString()));
        var assistant = messages[1].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(["text", "tool_use", "tool_use"], assistant.Select(b => b.GetProperty("type").GetString()));
        Assert.Equal("Rome", assistant[2].GetProperty("input").GetProperty("city").GetString());
        var results = messages[2].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(["tool_result", "tool_result", "text"], results.Select(b => b.GetProperty("type").GetString()));
        Assert.Equal("call_2", results[1].GetProperty("tool_use_id").GetString());
        Assert.True(results[1].GetProperty("is_error").GetBoolean());
        Assert.False(results[0].TryGetProperty("is_error", out _));
        var tool = body.GetProperty("tools")[0];
        Assert.Equal(Weather.Parameters.GetRawText(), tool.GetProperty("input_schema").GetRawText());
        Assert.Equal(Weather.Description, tool.GetProperty("description").GetString());
        Assert.Equal(4096, body.GetProperty("max_tokens").GetInt32());
        Assert.Equal(1.0, body.GetProperty("temperature").GetDouble());
        Assert.Equal("END", body.GetProperty("stop_sequences")[0].GetString());
        Assert.Equal("""{"user_id":"u-42"}""", body.GetProperty("metadata").GetRawText());
    }

    [Theory]
    [InlineData(ToolChoiceKind.Auto, """{"type":"auto"}""")]
    [InlineData(ToolChoiceKind.None, """{"type":"none"}""")]
    [InlineData(ToolChoiceKind.Required, """{"type":"any"}""")]
    [InlineData(ToolChoiceKind.Named, """{"type":"tool","name":"get_weather"}""")]
    public async Task Maps_each_tool_choice(ToolChoiceKind kind, string expected)
    {
        await Adapter().CompleteAsync(WithTools(Claude, new ToolChoice(kind, kind == ToolChoiceKind.Named ? "get_weather" : null)), Credential);
        Assert.Empty(_server.Violations);
        Assert.Equal(expected, _server.LastRequest.Body.GetProperty("tool_choice").GetRawText());
    }

    [Fact]
    public async Task Parses_text_usage_with_cache_reads_and_the_request_id()
    {
        var result = await Adapter().CompleteAsync(Simple(Claude) with { MaxTokens = 100 }, Credential);
        Assert.Empty(_server.Violations);
        Assert.Equal(100, _server.LastRequest.Body.GetProperty("max_tokens").GetInt32());
        Assert.Equal(FakeAnthropicServer.Text, result.Content);
        Assert.Equal(new ModelUsage(20 + 3 + 1024, 18, 1024, 3), result.Usage);
        Assert.Equal((FinishReason.Stop, "end_turn"), (result.FinishReason, result.ProviderFinishReason));
        Assert.Equal(FakeAnthropicServer.Model, result.Model);
        Assert.Equal(FakeAnthropicServer.RequestId, result.RequestId);
        Assert.Contains("msg_01XFDUDYJgAACzvnptvVoYEL", result.RawBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parses_tool_use_blocks_as_tool_calls()
    {
        _server.Scenario = AnthropicScenario.ToolCall;
        var result = await Adapter().CompleteAsync(WithTools(Claude), Credential);
        Assert.Equal((FinishReason.ToolCalls, "tool_use"), (result.FinishReason, result.ProviderFinishReason));
        Assert.Equal("Let me check the weather.", result.Content);
        var call = Assert.Single(result.ToolCalls);
        Assert.Equal(("toolu_01A09q90qw90lq917835lq9", "get_weather", FakeAnthropicServer.Input), (call.Id, call.Name, call.ArgumentsJson));
        Assert.Equal("celsius", call.Arguments!.Value.GetProperty("unit").GetString());
    }

    [Fact]
    public async Task A_json_schema_response_is_asked_for_as_a_forced_tool_and_comes_back_as_text()
    {
        var schema = Json("""{"type":"object","properties":{"answer":{"type":"string"},"confidence":{"type":"number"}},"required":["answer","confidence"]}""");
        var request = Simple(Claude) with { ResponseFormat = ResponseFormat.JsonSchema("verdict", schema) };
        var result = await Adapter().CompleteAsync(request, Credential);
        Assert.Empty(_server.Violations);
        var body = _server.LastRequest.Body;
        Assert.Equal("""{"type":"tool","name":"verdict"}""", body.GetProperty("tool_choice").GetRawText());
        Assert.Equal(schema.GetRawText(), body.GetProperty("tools")[0].GetProperty("input_schema").GetRawText());
        Assert.Equal(FakeAnthropicServer.JsonAnswer, result.Content);
        Assert.Empty(result.ToolCalls);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.Equal("yes", JsonDocument.Parse(result.Content).RootElement.GetProperty("answer").GetString());

        var streamed = await ModelStreamAssembler.CollectAsync(Adapter().StreamAsync(request, Credential));
        AssertSameResult(result, streamed);
    }

    [Theory]
    [InlineData(AnthropicScenario.Text)]
    [InlineData(AnthropicScenario.ToolCall)]
    public async Task A_stream_assembles_to_the_non_streamed_result(AnthropicScenario scenario)
    {
        _server.Scenario = scenario;
        var request = WithTools(Claude);
        var whole = await Adapter().CompleteAsync(request, Credential);
        var streamed = await ModelStreamAssembler.CollectAsync(Adapter().StreamAsync(request, Credential));
        Assert.Empty(_server.Violations);
        Assert.True(_server.LastRequest.Body.GetProperty("stream").GetBoolean());
        AssertSameResult(whole, streamed);
        Assert.Contains("event: message_stop", streamed.RawBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_429_is_rate_limited_with_anthropics_rate_limit_headers()
    {
        var e = await FailsAsync(AnthropicScenario.RateLimited, Adapter(time: new FixedTime(FakeAnthropicServer.Now)));
        Assert.Equal((ProviderErrorKind.RateLimited, 429, "rate_limit_error"), (e.Kind, e.StatusCode, e.ProviderErrorType));
        Assert.Equal(TimeSpan.FromSeconds(30), e.RetryAfter);
        Assert.Equal(new RateLimitInfo(50, 0, TimeSpan.FromSeconds(30), 40000, 100, TimeSpan.FromSeconds(90)), e.RateLimits);
        Assert.Equal(FakeAnthropicServer.RequestId, e.RequestId);
    }

    [Theory]
    [InlineData(AnthropicScenario.Overloaded, 529, "overloaded_error")]
    [InlineData(AnthropicScenario.ServerError, 500, "api_error")]
    public async Task Server_errors_are_overloaded(AnthropicScenario scenario, int status, string type)
    {
        var e = await FailsAsync(scenario);
        Assert.Equal((ProviderErrorKind.Overloaded, status, type), (e.Kind, e.StatusCode, e.ProviderErrorType));
        Assert.True(e.IsTransient);
    }

    [Fact]
    public async Task A_401_is_unauthorized_without_the_key()
    {
        var e = await FailsAsync(AnthropicScenario.Unauthorized);
        Assert.Equal((ProviderErrorKind.Unauthorized, "authentication_error"), (e.Kind, e.ProviderErrorType));
    }

    [Fact]
    public async Task A_slow_answer_is_a_timeout_and_a_proxy_page_an_invalid_response()
    {
        Assert.Equal(ProviderErrorKind.Timeout, (await FailsAsync(AnthropicScenario.Slow, Adapter(TimeSpan.FromMilliseconds(300)))).Kind);
        var invalid = await Assert.ThrowsAsync<ProviderException>(() => { _server.Scenario = AnthropicScenario.InvalidJson; return Adapter().CompleteAsync(Simple(Claude), Credential); });
        Assert.Equal(ProviderErrorKind.InvalidResponse, invalid.Kind);
    }

    [Theory]
    [InlineData(AnthropicScenario.StreamCut, ProviderErrorKind.StreamCut)]
    [InlineData(AnthropicScenario.StreamEndsEarly, ProviderErrorKind.StreamCut)]
    [InlineData(AnthropicScenario.StreamError, ProviderErrorKind.Overloaded)]
    public async Task A_stream_that_breaks_off_ends_with_a_typed_error_after_what_came(AnthropicScenario scenario, ProviderErrorKind kind)
    {
        _server.Scenario = scenario;
        var (deltas, error) = await DrainAsync(Adapter().StreamAsync(Simple(Claude), Credential));
        var e = Assert.IsType<ProviderException>(error);
        Assert.Equal(kind, e.Kind);
        Assert.Equal(FakeAnthropicServer.Text[..5], string.Concat(deltas.OfType<TextDelta>().Select(d => d.Text)));
        Assert.DoesNotContain(deltas, d => d is FinishDelta);
        if (scenario == AnthropicScenario.StreamError) Assert.Equal("overloaded_error", e.ProviderErrorType);
        var assembler = new ModelStreamAssembler();
        deltas.ForEach(assembler.Add);
        Assert.Equal(ProviderErrorKind.StreamCut, Assert.Throws<ProviderException>(assembler.ToResult).Kind);
    }

    [Fact]
    public void Knows_what_claude_models_can_do()
    {
        Assert.Equal(ModelCapabilities.All, Adapter().CapabilitiesOf("claude-opus-4-1"));
        Assert.False(Adapter().CapabilitiesOf("claude-2.1").HasFlag(ModelCapabilities.Tools));
    }
}
