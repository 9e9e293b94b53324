using AgentOps.Providers;
using static AgentOps.Tests.Providers.ProviderTestData;

namespace AgentOps.Tests.Providers;

public sealed class OpenAiChatAdapterTests : IAsyncLifetime
{
    private FakeOpenAiServer _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync(Secret);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
    }

    private OpenAiChatAdapter Adapter(TimeSpan? timeout = null, TimeProvider? time = null) =>
        new(_http, new OpenAiChatOptions { BaseUrl = new Uri(_server.BaseUrl, "v1/"), Timeout = timeout ?? TimeSpan.FromSeconds(30) }, time);

    private async Task<ProviderException> FailsAsync(OpenAiScenario scenario, ModelRequest? request = null, OpenAiChatAdapter? adapter = null)
    {
        _server.Scenario = scenario;
        var e = await Assert.ThrowsAsync<ProviderException>(() => (adapter ?? Adapter()).CompleteAsync(request ?? Simple(), Credential));
        Assert.Single(_server.Requests); // no retries inside the adapter
        Assert.DoesNotContain(Secret, e.Message, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public async Task Maps_messages_tools_tool_choice_response_format_and_limits_to_the_wire()
    {
        var schema = Json("""{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false}""");
        var request = ToolRoundTrip("gpt-4o") with
        {
            Messages = [.. ToolRoundTrip("gpt-4o").Messages, new ModelMessage(ChatRole.User, [new TextPart("And this?"), new ImagePart(MediaType: "image/png", Base64Data: "iVBORw0KGgo=")])],
            ToolChoice = ToolChoice.Named("get_weather"),
            ResponseFormat = ResponseFormat.JsonSchema("weather_answer", schema),
            MaxTokens = 300, Temperature = 0.2, Stop = ["END"], Metadata = new Dictionary<string, string> { ["run_id"] = "r1" },
        };
        await Adapter().CompleteAsync(request, Credential);
        Assert.Empty(_server.Violations);
        var body = _server.LastRequest.Body;
        var messages = body.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["system", "system", "user", "assistant", "tool", "tool", "user"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("""{"city":"Paris","unit":"celsius"}""", messages[3].GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal("call_2", messages[5].GetProperty("tool_call_id").GetString());
        Assert.Equal("data:image/png;base64,iVBORw0KGgo=", messages[6].GetProperty("content")[1].GetProperty("image_url").GetProperty("url").GetString());
        var tool = body.GetProperty("tools")[0];
        Assert.Equal("function", tool.GetProperty("type").GetString());
        Assert.Equal(Weather.Parameters.GetRawText(), tool.GetProperty("function").GetProperty("parameters").GetRawText());
        Assert.Equal("""{"type":"function","function":{"name":"get_weather"}}""", body.GetProperty("tool_choice").GetRawText());
        var format = body.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal("weather_answer", format.GetProperty("json_schema").GetProperty("name").GetString());
        Assert.True(format.GetProperty("json_schema").GetProperty("strict").GetBoolean());
        Assert.Equal(schema.GetRawText(), format.GetProperty("json_schema").GetProperty("schema").GetRawText());
        Assert.Equal(300, body.GetProperty("max_completion_tokens").GetInt32());
        Assert.Equal(0.2, body.GetProperty("temperature").GetDouble());
        Assert.Equal("END", body.GetProperty("stop")[0].GetString());
        // OpenAI refuses metadata unless the request is stored (store: true, which keeps the prompt): not sent unless asked.
        Assert.False(body.TryGetProperty("metadata", out _));
        Assert.False(body.TryGetProperty("stream", out _));
    }

    [Theory]
    [InlineData(ToolChoiceKind.Auto, "\"auto\"")]
    [InlineData(ToolChoiceKind.None, "\"none\"")]
    [InlineData(ToolChoiceKind.Required, "\"required\"")]
    [InlineData(ToolChoiceKind.Named, """{"type":"function","function":{"name":"search_docs"}}""")]
    public async Task Maps_each_tool_choice(ToolChoiceKind kind, string expected)
    {
        await Adapter().CompleteAsync(WithTools(choice: new ToolChoice(kind, kind == ToolChoiceKind.Named ? "search_docs" : null)), Credential);
        Assert.Empty(_server.Violations);
        Assert.Equal(expected, _server.LastRequest.Body.GetProperty("tool_choice").GetRawText());
    }

    [Fact]
    public async Task Maps_json_object_and_leaves_out_what_is_not_set()
    {
        await Adapter().CompleteAsync(Simple() with { ResponseFormat = ResponseFormat.JsonObject }, Credential);
        var body = _server.LastRequest.Body;
        Assert.Equal("""{"type":"json_object"}""", body.GetProperty("response_format").GetRawText());
        foreach (var absent in new[] { "tools", "tool_choice", "max_completion_tokens", "temperature", "stop", "metadata" }) Assert.False(body.TryGetProperty(absent, out _), absent);
    }

    [Fact]
    public async Task Parses_text_usage_with_cached_tokens_finish_reason_and_request_id()
    {
        var result = await Adapter().CompleteAsync(Simple(), Credential);
        Assert.Equal(FakeOpenAiServer.Text, result.Content);
        Assert.Empty(result.ToolCalls);
        Assert.Equal(new ModelUsage(1250, 18, 1024), result.Usage);
        Assert.Equal(FakeOpenAiServer.Model, result.Model);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.Equal("stop", result.ProviderFinishReason);
        Assert.Equal(FakeOpenAiServer.RequestId, result.RequestId);
        Assert.Contains("\"chat.completion\"", result.RawBody, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, result.RawBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parses_tool_calls_with_their_arguments()
    {
        _server.Scenario = OpenAiScenario.ToolCall;
        var result = await Adapter().CompleteAsync(WithTools(choice: ToolChoice.Required), Credential);
        Assert.Equal(FinishReason.ToolCalls, result.FinishReason);
        Assert.Equal("", result.Content);
        var call = Assert.Single(result.ToolCalls);
        Assert.Equal(("call_abc123", "get_weather"), (call.Id, call.Name));
        Assert.Null(call.ArgumentsError);
        Assert.Equal("Paris", call.Arguments!.Value.GetProperty("city").GetString());
    }

    [Fact]
    public async Task Keeps_tool_arguments_that_are_not_json_and_says_why()
    {
        _server.Scenario = OpenAiScenario.BadArguments;
        var call = Assert.Single((await Adapter().CompleteAsync(WithTools(), Credential)).ToolCalls);
        Assert.Equal("""{"city": "Par""", call.ArgumentsJson);
        Assert.Null(call.Arguments);
        Assert.NotNull(call.ArgumentsError);
    }

    [Fact]
    public async Task Reports_a_cut_off_answer_as_length()
    {
        _server.Scenario = OpenAiScenario.Length;
        Assert.Equal(FinishReason.Length, (await Adapter().CompleteAsync(Simple() with { MaxTokens = 5 }, Credential)).FinishReason);
    }

    [Theory]
    [InlineData(OpenAiScenario.Text)]
    [InlineData(OpenAiScenario.ToolCall)]
    [InlineData(OpenAiScenario.Length)]
    public async Task A_stream_assembles_to_the_non_streamed_result(OpenAiScenario scenario)
    {
        _server.Scenario = scenario;
        var request = WithTools();
        var whole = await Adapter().CompleteAsync(request, Credential);
        var deltas = new List<ModelDelta>();
        await foreach (var d in Adapter().StreamAsync(request, Credential)) deltas.Add(d);
        Assert.Empty(_server.Violations);
        var streamed = _server.LastRequest;
        Assert.True(streamed.Body.GetProperty("stream").GetBoolean());
        Assert.True(streamed.Body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.Equal("text/event-stream", streamed.Header("Accept"));
        Assert.IsType<FinishDelta>(deltas[^1]);
        Assert.True(deltas.Count > 2);
        var assembler = new ModelStreamAssembler();
        deltas.ForEach(assembler.Add);
        var result = assembler.ToResult();
        AssertSameResult(whole, result);
        Assert.Contains("data: [DONE]", result.RawBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_429_is_rate_limited_with_retry_after_and_the_rate_limit_headers()
    {
        var e = await FailsAsync(OpenAiScenario.RateLimited);
        Assert.Equal(ProviderErrorKind.RateLimited, e.Kind);
        Assert.Equal(429, e.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), e.RetryAfter);
        Assert.Equal(new RateLimitInfo(500, 0, TimeSpan.FromSeconds(1), 30000, 12, TimeSpan.FromMinutes(6)), e.RateLimits);
        Assert.Equal(FakeOpenAiServer.RequestId, e.RequestId);
        Assert.Equal("rate_limit_exceeded", e.ProviderErrorType);
        Assert.True(e.IsTransient);
    }

    [Fact]
    public async Task Retry_after_as_an_http_date_is_the_time_left()
    {
        var e = await FailsAsync(OpenAiScenario.RateLimitedHttpDate, adapter: Adapter(time: new FixedTime(FakeOpenAiServer.Now)));
        Assert.Equal(TimeSpan.FromMinutes(2), e.RetryAfter);
    }

    [Fact]
    public async Task A_500_is_overloaded_with_retry_after_ms()
    {
        var e = await FailsAsync(OpenAiScenario.ServerError);
        Assert.Equal((ProviderErrorKind.Overloaded, 500), (e.Kind, e.StatusCode));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), e.RetryAfter);
    }

    [Fact]
    public async Task A_401_is_unauthorized_and_never_repeats_the_key()
    {
        var e = await FailsAsync(OpenAiScenario.Unauthorized);
        Assert.Equal((ProviderErrorKind.Unauthorized, 401), (e.Kind, e.StatusCode));
        Assert.False(e.IsTransient);
    }

    [Fact]
    public async Task A_content_filter_refusal_is_content_blocked_with_the_key_scrubbed()
    {
        var e = await FailsAsync(OpenAiScenario.ContentFilter);
        Assert.Equal((ProviderErrorKind.ContentBlocked, 400, "content_filter"), (e.Kind, e.StatusCode, e.ProviderErrorType));
        Assert.Contains("[redacted]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_answer_is_a_timeout()
    {
        var e = await FailsAsync(OpenAiScenario.Slow, adapter: Adapter(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(ProviderErrorKind.Timeout, e.Kind);
        var (_, streamError) = await DrainAsync(Adapter(TimeSpan.FromMilliseconds(300)).StreamAsync(Simple(), Credential));
        Assert.Equal(ProviderErrorKind.Timeout, Assert.IsType<ProviderException>(streamError).Kind);
    }

    [Fact]
    public async Task The_callers_cancellation_stays_a_cancellation()
    {
        _server.Scenario = OpenAiScenario.Slow;
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Adapter().CompleteAsync(Simple(), Credential, cts.Token));
    }

    [Theory]
    [InlineData(OpenAiScenario.InvalidJson)]
    [InlineData(OpenAiScenario.WrongShape)]
    public async Task A_body_that_is_not_json_or_not_the_wire_format_is_an_invalid_response(OpenAiScenario scenario)
    {
        var e = await FailsAsync(scenario);
        Assert.Equal(ProviderErrorKind.InvalidResponse, e.Kind);
        Assert.Equal(FakeOpenAiServer.RequestId, e.RequestId);
        var (_, streamError) = await DrainAsync(Adapter().StreamAsync(Simple(), Credential));
        Assert.Equal(ProviderErrorKind.InvalidResponse, Assert.IsType<ProviderException>(streamError).Kind);
    }

    [Theory]
    [InlineData(OpenAiScenario.StreamCut, ProviderErrorKind.StreamCut)]
    [InlineData(OpenAiScenario.StreamEndsEarly, ProviderErrorKind.StreamCut)]
    [InlineData(OpenAiScenario.StreamError, ProviderErrorKind.Overloaded)]
    public async Task A_stream_that_breaks_off_ends_with_a_typed_error_after_what_came(OpenAiScenario scenario, ProviderErrorKind kind)
    {
        _server.Scenario = scenario;
        var (deltas, error) = await DrainAsync(Adapter().StreamAsync(Simple(), Credential));
        Assert.Equal(kind, Assert.IsType<ProviderException>(error).Kind);
        Assert.Equal("Hello there,", string.Concat(deltas.OfType<TextDelta>().Select(d => d.Text)));
        Assert.DoesNotContain(deltas, d => d is FinishDelta);
    }

    [Fact]
    public async Task A_stream_that_goes_silent_after_its_first_deltas_is_cut_not_timed_out()
    {
        _server.Scenario = OpenAiScenario.StreamStalls;
        var adapter = new OpenAiChatAdapter(_http, new OpenAiChatOptions { BaseUrl = new Uri(_server.BaseUrl, "v1/"), StreamIdleTimeout = TimeSpan.FromMilliseconds(300) });
        var (deltas, error) = await DrainAsync(adapter.StreamAsync(Simple(), Credential));
        // What was delivered must not be retried as if nothing had been: StreamCut, not a transient Timeout before the first byte.
        Assert.Equal(ProviderErrorKind.StreamCut, Assert.IsType<ProviderException>(error).Kind);
        Assert.Equal("Hello there,", string.Concat(deltas.OfType<TextDelta>().Select(d => d.Text)));
    }

    [Fact]
    public async Task An_invalid_request_is_refused_before_anything_is_sent()
    {
        var request = Simple() with { Tools = [new ToolDefinition("bad name!", null, Json("""{"type":"string"}"""))], ToolChoice = ToolChoice.Named("other") };
        var e = await Assert.ThrowsAsync<ProviderException>(() => Adapter().CompleteAsync(request, Credential));
        Assert.Equal(ProviderErrorKind.BadRequest, e.Kind);
        Assert.Null(e.StatusCode);
        Assert.Contains("tools[0].name", e.Message, StringComparison.Ordinal);
        Assert.Contains("tools[0].parameters", e.Message, StringComparison.Ordinal);
        Assert.Contains("tool_choice", e.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Azure_calls_the_deployment_with_the_api_key_header()
    {
        await using var azure = await FakeOpenAiServer.StartAsync(Secret, "/openai/deployments/prod-gpt4o/chat/completions", azure: true);
        var adapter = new OpenAiChatAdapter(_http, OpenAiChatOptions.Azure(azure.BaseUrl, "2024-10-21"));
        var result = await adapter.CompleteAsync(Simple("prod-gpt4o"), Credential);
        Assert.Empty(azure.Violations);
        Assert.Equal("?api-version=2024-10-21", azure.LastRequest.Query);
        Assert.Equal(FakeOpenAiServer.Text, result.Content);
        Assert.Equal("azure-openai", adapter.Name);
    }

    [Fact]
    public async Task A_compatible_server_is_called_at_its_own_url_with_max_tokens()
    {
        await using var local = await FakeOpenAiServer.StartAsync(Secret, "/api/chat/completions");
        var adapter = new OpenAiChatAdapter(_http, OpenAiChatOptions.Compatible(local.BaseUrl, "api/chat/completions"));
        await adapter.CompleteAsync(Simple("llama-3.1-8b") with { MaxTokens = 50, Metadata = new Dictionary<string, string> { ["a"] = "b" } }, Credential);
        Assert.Empty(local.Violations);
        Assert.Equal(50, local.LastRequest.Body.GetProperty("max_tokens").GetInt32());
        Assert.False(local.LastRequest.Body.TryGetProperty("metadata", out _));
    }

    [Fact]
    public void Knows_what_openai_models_can_do()
    {
        var adapter = Adapter();
        Assert.Equal(ModelCapabilities.All, adapter.CapabilitiesOf("gpt-4o-mini"));
        Assert.False(adapter.CapabilitiesOf("gpt-3.5-turbo").HasFlag(ModelCapabilities.Vision));
        Assert.True(adapter.CapabilitiesOf("gpt-3.5-turbo").HasFlag(ModelCapabilities.Tools));
        var custom = new OpenAiChatAdapter(_http, OpenAiChatOptions.Compatible(new Uri("http://localhost/")) with { Capabilities = _ => ModelCapabilities.Text });
        Assert.Equal(ModelCapabilities.Text, custom.CapabilitiesOf("anything"));
    }
}
