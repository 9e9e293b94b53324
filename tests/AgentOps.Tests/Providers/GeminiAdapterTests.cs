using System.Text.Json;
using AgentOps.Providers;
using static AgentOps.Tests.Providers.ProviderTestData;

namespace AgentOps.Tests.Providers;

public sealed class GeminiAdapterTests : IAsyncLifetime
{
    private const string Gemini = "gemini-2.5-flash";

    private FakeGeminiServer _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _server = await FakeGeminiServer.StartAsync(Secret);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
    }

    private GeminiAdapter Adapter(GeminiOptions? options = null, TimeSpan? timeout = null) =>
        new(_http, (options ?? new GeminiOptions()) with { BaseUrl = _server.BaseUrl, Timeout = timeout ?? TimeSpan.FromSeconds(30) });

    private async Task<ProviderException> FailsAsync(GeminiScenario scenario, GeminiAdapter? adapter = null)
    {
        _server.Scenario = scenario;
        var e = await Assert.ThrowsAsync<ProviderException>(() => (adapter ?? Adapter()).CompleteAsync(Simple(Gemini), Credential));
        Assert.Single(_server.Requests); // no retries inside the adapter
        Assert.DoesNotContain(Secret, e.Message, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public async Task Maps_system_roles_tool_round_trip_images_and_generation_config()
    {
        var request = ToolRoundTrip(Gemini) with
        {
            Messages =
            [
                .. ToolRoundTrip(Gemini).Messages,
                new ModelMessage(ChatRole.User, [new TextPart("And this?"), new ImagePart(MediaType: "image/png", Base64Data: "iVBORw0KGgo="),
                    new ImagePart(Url: "https://generativelanguage.googleapis.com/v1beta/files/abc123", MediaType: "image/jpeg")]),
            ],
            MaxTokens = 300, Temperature = 1.5, Stop = ["END", "STOP!"], Metadata = new Dictionary<string, string> { ["run_id"] = "r1" },
        };
        await Adapter().CompleteAsync(request, Credential);
        Assert.Empty(_server.Violations);
        var r = _server.LastRequest;
        Assert.Equal("/v1beta/models/gemini-2.5-flash:generateContent", r.Path);
        Assert.Equal("", r.Query);
        Assert.Equal(Secret, r.Header("x-goog-api-key"));
        var body = r.Body;
        Assert.Equal("You are a weather bot.\n\nAnswer in one sentence.", body.GetProperty("systemInstruction").GetProperty("parts")[0].GetProperty("text").GetString());
        var contents = body.GetProperty("contents").EnumerateArray().ToList();
        Assert.Equal(["user", "model", "user"], contents.Select(c => c.GetProperty("role").GetString()));
        var model = contents[1].GetProperty("parts").EnumerateArray().ToList();
        Assert.Equal("Checking.", model[0].GetProperty("text").GetString());
        Assert.Equal("get_weather", model[1].GetProperty("functionCall").GetProperty("name").GetString());
        Assert.Equal("Rome", model[2].GetProperty("functionCall").GetProperty("args").GetProperty("city").GetString());
        Assert.False(model[1].GetProperty("functionCall").TryGetProperty("id", out _)); // Gemini's calls have no ids: results go back by name
        var user = contents[2].GetProperty("parts").EnumerateArray().ToList();
        Assert.Equal("""{"name":"get_weather","response":{"output":"18 degrees"}}""", user[0].GetProperty("functionResponse").GetRawText());
        Assert.Equal("""{"name":"get_weather","response":{"error":"city not found"}}""", user[1].GetProperty("functionResponse").GetRawText());
        Assert.Equal("And this?", user[2].GetProperty("text").GetString());
        Assert.Equal("""{"mimeType":"image/png","data":"iVBORw0KGgo="}""", user[3].GetProperty("inlineData").GetRawText());
        Assert.Equal("https://generativelanguage.googleapis.com/v1beta/files/abc123", user[4].GetProperty("fileData").GetProperty("fileUri").GetString());
        var declaration = body.GetProperty("tools")[0].GetProperty("functionDeclarations")[0];
        Assert.Equal(("get_weather", Weather.Description), (declaration.GetProperty("name").GetString(), declaration.GetProperty("description").GetString()));
        Assert.Equal(Weather.Parameters.GetRawText(), declaration.GetProperty("parametersJsonSchema").GetRawText());
        Assert.Equal("""{"maxOutputTokens":300,"temperature":1.5,"stopSequences":["END","STOP!"]}""", body.GetProperty("generationConfig").GetRawText());
        Assert.False(body.TryGetProperty("toolConfig", out _));
        Assert.False(body.TryGetProperty("safetySettings", out _));
    }

    [Fact]
    public async Task A_tool_result_whose_call_is_unknown_is_refused_before_sending()
    {
        var request = new ModelRequest(Gemini, [ModelMessage.OfUser("Hi"), ModelMessage.OfToolResult("call_9", "18 degrees")]) { Tools = [Weather] };
        var e = await Assert.ThrowsAsync<ProviderException>(() => Adapter().CompleteAsync(request, Credential));
        Assert.Equal((ProviderErrorKind.BadRequest, (int?)null), (e.Kind, e.StatusCode));
        Assert.Contains("call_9", e.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task Repeated_synthesized_ids_map_to_the_nearest_earlier_call()
    {
        var request = new ModelRequest(Gemini,
        [
            ModelMessage.OfUser("Weather, then docs?"),
            ModelMessage.OfAssistant("", new ToolCall("call_0", "get_weather", """{"city":"Paris","unit":"celsius"}""")),
            ModelMessage.OfToolResult("call_0", """{"degrees":18}"""),
            ModelMessage.OfAssistant("", new ToolCall("call_0", "search_docs", """{"query":"umbrella"}""")),
            ModelMessage.OfToolResult("call_0", "[1,2]"),
        ]) { Tools = [Weather, Search] };
        await Adapter().CompleteAsync(request, Credential);
        Assert.Empty(_server.Violations);
        var contents = _server.LastRequest.Body.GetProperty("contents");
        Assert.Equal("""{"name":"get_weather","response":{"output":{"degrees":18}}}""", contents[2].GetProperty("parts")[0].GetProperty("functionResponse").GetRawText());
        Assert.Equal("""{"name":"search_docs","response":{"output":[1,2]}}""", contents[4].GetProperty("parts")[0].GetProperty("functionResponse").GetRawText());
    }

    [Theory]
    [InlineData(ToolChoiceKind.Auto, """{"mode":"AUTO"}""")]
    [InlineData(ToolChoiceKind.None, """{"mode":"NONE"}""")]
    [InlineData(ToolChoiceKind.Required, """{"mode":"ANY"}""")]
    [InlineData(ToolChoiceKind.Named, """{"mode":"ANY","allowedFunctionNames":["search_docs"]}""")]
    public async Task Maps_each_tool_choice_to_a_function_calling_mode(ToolChoiceKind kind, string expected)
    {
        await Adapter().CompleteAsync(WithTools(Gemini, new ToolChoice(kind, kind == ToolChoiceKind.Named ? "search_docs" : null)), Credential);
        Assert.Empty(_server.Violations);
        Assert.Equal(expected, _server.LastRequest.Body.GetProperty("toolConfig").GetProperty("functionCallingConfig").GetRawText());
    }

    private static readonly JsonElement VerdictSchema = Json("""
        {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,
         "properties":{"answer":{"type":"string","enum":["yes","no"]},"confidence":{"type":["number","null"]},"tags":{"type":"array","items":{"type":"string","const":"x"}}},
         "required":["answer","confidence"]}
        """);

    [Fact]
    public async Task A_json_schema_goes_as_response_json_schema_and_the_answer_as_text()
    {
        var request = Simple(Gemini) with { ResponseFormat = ResponseFormat.JsonSchema("verdict", VerdictSchema) };
        var result = await Adapter().CompleteAsync(request, Credential);
        Assert.Empty(_server.Violations);
        var generation = _server.LastRequest.Body.GetProperty("generationConfig");
        Assert.Equal("application/json", generation.GetProperty("responseMimeType").GetString());
        Assert.True(JsonElement.DeepEquals(VerdictSchema, generation.GetProperty("responseJsonSchema")));
        Assert.False(generation.TryGetProperty("responseSchema", out _));
        Assert.Equal(FakeGeminiServer.JsonAnswer, result.Content);
        Assert.Equal("yes", JsonDocument.Parse(result.Content).RootElement.GetProperty("answer").GetString());

        var streamed = await ModelStreamAssembler.CollectAsync(Adapter().StreamAsync(request, Credential));
        AssertSameResult(result, streamed);
    }

    [Fact]
    public async Task The_openapi_dialect_sends_response_schema_and_parameters_in_the_subset()
    {
        var adapter = Adapter(new GeminiOptions { SchemaDialect = GeminiSchemaDialect.OpenApi });
        await adapter.CompleteAsync(WithTools(Gemini) with { ResponseFormat = ResponseFormat.JsonSchema("verdict", VerdictSchema) }, Credential);
        Assert.Empty(_server.Violations);
        var body = _server.LastRequest.Body;
        Assert.Equal("""
            {"type":"OBJECT","properties":{"answer":{"type":"STRING","enum":["yes","no"]},"confidence":{"nullable":true,"type":"NUMBER"},"tags":{"type":"ARRAY","items":{"type":"STRING","enum":["x"]}}},"required":["answer","confidence"]}
            """.Trim(), body.GetProperty("generationConfig").GetProperty("responseSchema").GetRawText());
        var parameters = body.GetProperty("tools")[0].GetProperty("functionDeclarations")[1].GetProperty("parameters");
        Assert.Equal("""{"type":"OBJECT","properties":{"query":{"type":"STRING","minLength":3}},"required":["query"]}""", parameters.GetRawText());
    }

    [Fact]
    public async Task A_json_object_response_sets_only_the_mime_type()
    {
        await Adapter().CompleteAsync(Simple(Gemini) with { ResponseFormat = ResponseFormat.JsonObject }, Credential);
        Assert.Empty(_server.Violations);
        Assert.Equal("""{"responseMimeType":"application/json"}""", _server.LastRequest.Body.GetProperty("generationConfig").GetRawText());
    }

    [Theory]
    [InlineData("strict", "BLOCK_LOW_AND_ABOVE")]
    [InlineData("Default", "BLOCK_MEDIUM_AND_ABOVE")]
    [InlineData("permissive", "BLOCK_ONLY_HIGH")]
    [InlineData("unfiltered", "BLOCK_NONE")]
    public async Task Sends_a_safety_preset_for_all_four_categories(string preset, string threshold)
    {
        await Adapter(new GeminiOptions { SafetySettings = GeminiSafety.Preset(preset) }).CompleteAsync(Simple(Gemini), Credential);
        Assert.Empty(_server.Violations);
        var settings = _server.LastRequest.Body.GetProperty("safetySettings").EnumerateArray().ToList();
        Assert.Equal(["HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_SEXUALLY_EXPLICIT", "HARM_CATEGORY_DANGEROUS_CONTENT"],
            settings.Select(s => s.GetProperty("category").GetString()));
        Assert.All(settings, s => Assert.Equal(threshold, s.GetProperty("threshold").GetString()));
    }

    [Fact]
    public void Safety_presets_are_named_and_an_unknown_name_is_refused()
    {
        Assert.Same(GeminiSafety.Strict, GeminiSafety.Preset("STRICT"));
        Assert.All(GeminiSafety.Permissive, s => Assert.Equal(GeminiBlockThreshold.BlockOnlyHigh, s.Threshold));
        Assert.Equal(4, GeminiSafety.Default.Select(s => s.Category).Distinct().Count());
        Assert.Equal("OFF", GeminiSafety.All(GeminiBlockThreshold.Off)[0].WireThreshold);
        Assert.Throws<ArgumentException>(() => GeminiSafety.Preset("lenient"));
    }

    [Fact]
    public async Task Parses_text_usage_with_cached_and_thinking_tokens_model_version_and_response_id()
    {
        var result = await Adapter().CompleteAsync(Simple(Gemini), Credential);
        Assert.Empty(_server.Violations);
        Assert.Equal(FakeGeminiServer.Text, result.Content); // the thought summary is left out
        Assert.Empty(result.ToolCalls);
        Assert.Equal(new ModelUsage(1060, 6 + 40, 1024), result.Usage);
        Assert.Equal((FinishReason.Stop, "STOP"), (result.FinishReason, result.ProviderFinishReason));
        Assert.Equal(FakeGeminiServer.ModelVersion, result.Model);
        Assert.Equal(FakeGeminiServer.ResponseId, result.RequestId);
        Assert.Contains("usageMetadata", result.RawBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parses_function_calls_with_synthesized_ids_by_position()
    {
        _server.Scenario = GeminiScenario.ToolCall;
        var result = await Adapter().CompleteAsync(WithTools(Gemini), Credential);
        Assert.Equal((FinishReason.ToolCalls, "STOP"), (result.FinishReason, result.ProviderFinishReason));
        Assert.Equal("Let me check.", result.Content);
        Assert.Equal([("call_0", "get_weather"), ("call_1", "search_docs")], result.ToolCalls.Select(c => (c.Id, c.Name)));
        Assert.Equal("Paris", result.ToolCalls[0].Arguments!.Value.GetProperty("city").GetString());
        Assert.Equal("""{"query":"umbrella"}""", result.ToolCalls[1].ArgumentsJson);
    }

    [Theory]
    [InlineData("STOP", FinishReason.Stop)]
    [InlineData("MAX_TOKENS", FinishReason.Length)]
    [InlineData("SAFETY", FinishReason.ContentFilter)]
    [InlineData("RECITATION", FinishReason.ContentFilter)]
    [InlineData("BLOCKLIST", FinishReason.ContentFilter)]
    [InlineData("PROHIBITED_CONTENT", FinishReason.ContentFilter)]
    [InlineData("SPII", FinishReason.ContentFilter)]
    [InlineData("MALFORMED_FUNCTION_CALL", FinishReason.Error)]
    [InlineData("OTHER", FinishReason.Error)]
    public async Task Maps_finish_reasons_streamed_or_not(string reason, FinishReason expected)
    {
        _server.Scenario = GeminiScenario.Finish;
        _server.FinishReason = reason;
        var whole = await Adapter().CompleteAsync(Simple(Gemini), Credential);
        Assert.Equal((expected, reason), (whole.FinishReason, whole.ProviderFinishReason));
        Assert.StartsWith(FakeGeminiServer.Text[..5], whole.Content, StringComparison.Ordinal);
        var streamed = await ModelStreamAssembler.CollectAsync(Adapter().StreamAsync(Simple(Gemini), Credential));
        AssertSameResult(whole, streamed);
    }

    [Fact]
    public async Task A_blocked_prompt_is_content_blocked_with_the_reason_streamed_or_not()
    {
        var e = await FailsAsync(GeminiScenario.BlockedPrompt);
        Assert.Equal((ProviderErrorKind.ContentBlocked, "SAFETY", 200), (e.Kind, e.ProviderErrorType, e.StatusCode));
        Assert.Equal(FakeGeminiServer.ResponseId, e.RequestId);
        Assert.False(e.IsTransient);

        var (deltas, error) = await DrainAsync(Adapter().StreamAsync(Simple(Gemini), Credential));
        Assert.Empty(deltas);
        Assert.Equal((ProviderErrorKind.ContentBlocked, "SAFETY"), (Assert.IsType<ProviderException>(error).Kind, ((ProviderException)error!).ProviderErrorType));
    }

    [Theory]
    [InlineData(GeminiScenario.Text)]
    [InlineData(GeminiScenario.ToolCall)]
    public async Task A_stream_over_alt_sse_assembles_to_the_non_streamed_result(GeminiScenario scenario)
    {
        _server.Scenario = scenario;
        var request = WithTools(Gemini);
        var whole = await Adapter().CompleteAsync(request, Credential);
        var deltas = new List<ModelDelta>();
        await foreach (var d in Adapter().StreamAsync(request, Credential)) deltas.Add(d);
        Assert.Empty(_server.Violations);
        Assert.Equal("/v1beta/models/gemini-2.5-flash:streamGenerateContent", _server.LastRequest.Path);
        Assert.Equal("?alt=sse", _server.LastRequest.Query);
        Assert.IsType<FinishDelta>(deltas[^1]);
        Assert.True(deltas.OfType<TextDelta>().Count() > (scenario == GeminiScenario.Text ? 1 : 0));
        var assembler = new ModelStreamAssembler();
        deltas.ForEach(assembler.Add);
        var streamed = assembler.ToResult();
        AssertSameResult(whole, streamed);
        Assert.Contains("data: {", streamed.RawBody, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(GeminiScenario.StreamCut, ProviderErrorKind.StreamCut)]
    [InlineData(GeminiScenario.StreamEndsEarly, ProviderErrorKind.StreamCut)]
    [InlineData(GeminiScenario.StreamError, ProviderErrorKind.Overloaded)]
    public async Task A_stream_that_breaks_off_ends_with_a_typed_error_after_what_came(GeminiScenario scenario, ProviderErrorKind kind)
    {
        _server.Scenario = scenario;
        var (deltas, error) = await DrainAsync(Adapter().StreamAsync(Simple(Gemini), Credential));
        var e = Assert.IsType<ProviderException>(error);
        Assert.Equal(kind, e.Kind);
        Assert.True(e.IsTransient);
        Assert.Equal(FakeGeminiServer.Text[..12], string.Concat(deltas.OfType<TextDelta>().Select(d => d.Text)));
        Assert.DoesNotContain(deltas, d => d is FinishDelta);
        if (scenario == GeminiScenario.StreamError) Assert.Equal("UNAVAILABLE", e.ProviderErrorType);
        var assembler = new ModelStreamAssembler();
        deltas.ForEach(assembler.Add);
        Assert.Equal(ProviderErrorKind.StreamCut, Assert.Throws<ProviderException>(assembler.ToResult).Kind);
    }

    [Fact]
    public async Task A_429_is_rate_limited_with_the_retry_delay_of_its_retry_info()
    {
        var e = await FailsAsync(GeminiScenario.RateLimited);
        Assert.Equal((ProviderErrorKind.RateLimited, 429, "RESOURCE_EXHAUSTED"), (e.Kind, e.StatusCode, e.ProviderErrorType));
        Assert.Equal(TimeSpan.FromSeconds(7), e.RetryAfter);
        Assert.Contains("exceeded your current quota", e.Message, StringComparison.Ordinal);
        Assert.True(e.IsTransient);
    }

    [Theory]
    [InlineData(GeminiScenario.Unavailable, 503, "UNAVAILABLE")]
    [InlineData(GeminiScenario.ServerError, 500, "INTERNAL")]
    public async Task Server_errors_are_overloaded(GeminiScenario scenario, int status, string type)
    {
        var e = await FailsAsync(scenario);
        Assert.Equal((ProviderErrorKind.Overloaded, status, type), (e.Kind, e.StatusCode, e.ProviderErrorType));
        Assert.Null(e.RetryAfter);
        Assert.True(e.IsTransient);
    }

    [Fact]
    public async Task An_invalid_key_is_unauthorized_without_repeating_the_key()
    {
        var e = await FailsAsync(GeminiScenario.KeyInvalid);
        Assert.Equal((ProviderErrorKind.Unauthorized, 400, "INVALID_ARGUMENT"), (e.Kind, e.StatusCode, e.ProviderErrorType));
    }

    [Fact]
    public async Task A_request_the_api_refuses_is_a_bad_request_with_its_message()
    {
        // Six stop sequences: Gemini takes at most five.
        var e = await Assert.ThrowsAsync<ProviderException>(() => Adapter().CompleteAsync(Simple(Gemini) with { Stop = ["a", "b", "c", "d", "e", "f"] }, Credential));
        Assert.Equal((ProviderErrorKind.BadRequest, 400, "INVALID_ARGUMENT"), (e.Kind, e.StatusCode, e.ProviderErrorType));
        Assert.Contains("stopSequences", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_key_never_reaches_the_url_the_raw_body_or_the_content()
    {
        _server.Scenario = GeminiScenario.EchoKey;
        var whole = await Adapter().CompleteAsync(Simple(Gemini), Credential);
        var streamed = await ModelStreamAssembler.CollectAsync(Adapter().StreamAsync(Simple(Gemini), Credential));
        Assert.Empty(_server.Violations); // the server refuses a key in the query
        foreach (var text in new[] { whole.RawBody, whole.Content, streamed.RawBody, streamed.Content })
        {
            Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
            Assert.Contains("[redacted]", text, StringComparison.Ordinal);
        }
        Assert.All(_server.Requests, r => Assert.DoesNotContain(Secret, r.Path + r.Query + r.RawBody, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_slow_answer_is_a_timeout_and_a_proxy_page_an_invalid_response()
    {
        Assert.Equal(ProviderErrorKind.Timeout, (await FailsAsync(GeminiScenario.Slow, Adapter(timeout: TimeSpan.FromMilliseconds(300)))).Kind);
        _server.Scenario = GeminiScenario.InvalidJson;
        var invalid = await Assert.ThrowsAsync<ProviderException>(() => Adapter().CompleteAsync(Simple(Gemini), Credential));
        Assert.Equal(ProviderErrorKind.InvalidResponse, invalid.Kind);
    }

    [Fact]
    public async Task A_caller_cancellation_stays_a_cancellation()
    {
        _server.Scenario = GeminiScenario.Slow;
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Adapter().CompleteAsync(Simple(Gemini), Credential, cts.Token));
    }

    [Fact]
    public async Task A_models_prefix_and_another_api_version_shape_the_url()
    {
        await Adapter().CompleteAsync(Simple("models/" + Gemini), Credential);
        Assert.Equal("/v1beta/models/gemini-2.5-flash:generateContent", _server.LastRequest.Path);
        Assert.Equal(new Uri("https://example.test/v1/models/gemini-2.0-flash:streamGenerateContent?alt=sse"),
            new GeminiAdapter(_http, new GeminiOptions { BaseUrl = new Uri("https://example.test"), ApiVersion = "v1" }).RequestUri("gemini-2.0-flash", stream: true));
    }

    [Fact]
    public void Knows_what_gemini_models_can_do()
    {
        var adapter = Adapter();
        Assert.Equal("gemini", adapter.Name);
        Assert.Equal(ModelCapabilities.All, adapter.CapabilitiesOf("gemini-2.5-pro"));
        Assert.Equal(ModelCapabilities.All, adapter.CapabilitiesOf("models/gemini-1.5-flash"));
        Assert.False(adapter.CapabilitiesOf("gemini-1.0-pro").HasFlag(ModelCapabilities.Vision));
        Assert.False(adapter.CapabilitiesOf("gemma-3-27b-it").HasFlag(ModelCapabilities.Tools));
        Assert.Equal(ModelCapabilities.None, adapter.CapabilitiesOf("text-embedding-004"));
        Assert.Equal(ModelCapabilities.Text, Adapter(new GeminiOptions { Capabilities = _ => ModelCapabilities.Text }).CapabilitiesOf("gemini-2.5-pro"));
    }
}
