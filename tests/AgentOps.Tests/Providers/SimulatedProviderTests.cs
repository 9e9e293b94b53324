using System.Text.Json;
using AgentOps.Providers;
using static AgentOps.Tests.Providers.ProviderTestData;

namespace AgentOps.Tests.Providers;

public sealed class SimulatedProviderTests
{
    private static ModelRequest Ask(string question) => new("sim-1", [ModelMessage.OfUser(question)]);

    [Fact]
    public async Task The_same_request_and_seed_give_the_same_answer()
    {
        var a = await new SimulatedProvider(new SimulatedProviderOptions { Seed = 7 }).CompleteAsync(WithTools("sim-1"), Credential);
        var b = await new SimulatedProvider(new SimulatedProviderOptions { Seed = 7 }).CompleteAsync(WithTools("sim-1"), Credential);
        AssertSameResult(a, b);
        Assert.Equal(a.RawBody, b.RawBody);
        var texts = new HashSet<string>();
        for (var seed = 0; seed < 10; seed++)
            texts.Add((await new SimulatedProvider(new SimulatedProviderOptions { Seed = seed }).CompleteAsync(Simple("sim-1"), Credential)).Content);
        Assert.True(texts.Count >= 8, "other seeds give other answers");
        Assert.NotEqual((await new SimulatedProvider().CompleteAsync(Ask("a"), Credential)).Content, (await new SimulatedProvider().CompleteAsync(Ask("b"), Credential)).Content);
    }

    [Fact]
    public async Task Text_is_sentences_of_about_the_configured_length_with_usage_at_four_characters_a_token()
    {
        var request = Ask("Tell me about the quarter.");
        var result = await new SimulatedProvider(new SimulatedProviderOptions { Words = 60 }).CompleteAsync(request, Credential);
        var words = result.Content.Split(' ').Length;
        Assert.InRange(words, 45, 90);
        Assert.EndsWith(".", result.Content, StringComparison.Ordinal);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.Equal((result.Content.Length + 3) / 4, result.Usage.OutputTokens);
        Assert.Equal(SimulatedProvider.EstimateTokens(result.Content), result.Usage.OutputTokens);
        Assert.True(result.Usage.InputTokens >= SimulatedProvider.EstimateTokens(request.Messages[0].Text));
        Assert.StartsWith("sim_", result.RequestId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Max_tokens_cuts_the_answer_with_finish_length()
    {
        var result = await new SimulatedProvider(new SimulatedProviderOptions { Words = 200 }).CompleteAsync(Ask("Long, please.") with { MaxTokens = 10 }, Credential);
        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(40, result.Content.Length);
        Assert.Equal(10, result.Usage.OutputTokens);
    }

    [Theory]
    [InlineData(ToolChoiceKind.Required)]
    [InlineData(ToolChoiceKind.Named)]
    public async Task A_required_or_named_tool_choice_gets_a_tool_call_whose_arguments_fit_the_schema(ToolChoiceKind kind)
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var choice = new ToolChoice(kind, kind == ToolChoiceKind.Named ? "search_docs" : null);
            var result = await new SimulatedProvider(new SimulatedProviderOptions { Seed = seed }).CompleteAsync(WithTools("sim-1", choice), Credential);
            Assert.Equal(FinishReason.ToolCalls, result.FinishReason);
            var call = Assert.Single(result.ToolCalls);
            Assert.StartsWith("call_", call.Id, StringComparison.Ordinal);
            if (kind == ToolChoiceKind.Named) Assert.Equal("search_docs", call.Name);
            var args = call.Arguments!.Value;
            if (call.Name == "search_docs") Assert.True(args.GetProperty("query").GetString()!.Length >= 3);
            else Assert.Equal(("sample", "celsius"), (args.GetProperty("city").GetString(), args.GetProperty("unit").GetString()));
        }
    }

    [Fact]
    public async Task Tool_choice_none_and_a_tool_result_get_text()
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var sim = new SimulatedProvider(new SimulatedProviderOptions { Seed = seed, ToolCallRateOnAuto = 1 });
            Assert.Empty((await sim.CompleteAsync(WithTools("sim-1", ToolChoice.None), Credential)).ToolCalls);
            Assert.Empty((await sim.CompleteAsync(ToolRoundTrip("sim-1"), Credential)).ToolCalls);
            Assert.Single((await sim.CompleteAsync(WithTools("sim-1", ToolChoice.Auto), Credential)).ToolCalls);
        }
    }

    [Fact]
    public async Task A_json_schema_answer_parses_and_fits_the_schema()
    {
        var schema = Json("""
            {"type":"object","required":["title","count","score","ok","tags","owner","kind","when","maybe"],
             "properties":{
               "title":{"type":"string","minLength":10},"count":{"type":"integer","minimum":3},"score":{"type":"number","exclusiveMinimum":0.5},
               "ok":{"type":"boolean"},"tags":{"type":"array","minItems":2,"items":{"type":"string"}},
               "owner":{"type":"object","required":["email"],"properties":{"email":{"type":"string","format":"email"},"name":{"type":"string"}}},
               "kind":{"enum":["bug","feature"]},"when":{"type":"string","format":"date-time"},"maybe":{"type":["null","integer"]},
               "optional":{"type":"string"}}}
            """);
        var result = await new SimulatedProvider().CompleteAsync(Ask("Fill it.") with { ResponseFormat = ResponseFormat.JsonSchema("ticket", schema) }, Credential);
        var json = JsonDocument.Parse(result.Content).RootElement;
        Assert.True(json.GetProperty("title").GetString()!.Length >= 10);
        Assert.Equal(3, json.GetProperty("count").GetInt32());
        Assert.True(json.GetProperty("score").GetDouble() > 0.5);
        Assert.False(json.GetProperty("ok").GetBoolean());
        Assert.Equal(2, json.GetProperty("tags").GetArrayLength());
        Assert.Equal("user@example.com", json.GetProperty("owner").GetProperty("email").GetString());
        Assert.Equal("bug", json.GetProperty("kind").GetString());
        Assert.True(DateTimeOffset.TryParse(json.GetProperty("when").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.Equal(JsonValueKind.Number, json.GetProperty("maybe").ValueKind);
        Assert.False(json.TryGetProperty("optional", out _));

        var obj = await new SimulatedProvider().CompleteAsync(Ask("Any JSON.") with { ResponseFormat = ResponseFormat.JsonObject }, Credential);
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(obj.Content).RootElement.ValueKind);
    }

    [Fact]
    public async Task The_error_rate_is_honoured_and_each_failure_repeats_with_its_request()
    {
        var sim = new SimulatedProvider(new SimulatedProviderOptions { Seed = 3, ErrorRate = 0.2, RetryAfter = TimeSpan.FromSeconds(2) });
        var kinds = new List<ProviderErrorKind>();
        for (var i = 0; i < 1000; i++)
        {
            try
            {
                await sim.CompleteAsync(Ask($"question {i}"), Credential);
            }
            catch (ProviderException e)
            {
                kinds.Add(e.Kind);
                Assert.Equal(TimeSpan.FromSeconds(2), e.RetryAfter);
                Assert.Equal(e.Kind == ProviderErrorKind.RateLimited ? 429 : 500, e.StatusCode);
            }
        }
        Assert.InRange(kinds.Count, 150, 250);
        Assert.InRange(kinds.Count(k => k == ProviderErrorKind.RateLimited), kinds.Count / 4, kinds.Count * 3 / 4);
        Assert.All(kinds, k => Assert.True(k is ProviderErrorKind.RateLimited or ProviderErrorKind.Overloaded));

        var failing = Enumerable.Range(0, 1000).Select(i => Ask($"question {i}")).First(r => sim.CompleteAsync(r, Credential).Exception is not null);
        await Assert.ThrowsAsync<ProviderException>(() => new SimulatedProvider(new SimulatedProviderOptions { Seed = 3, ErrorRate = 0.2 }).CompleteAsync(failing, Credential));
        Assert.DoesNotContain(Enumerable.Range(0, 200), i => new SimulatedProvider().CompleteAsync(Ask($"q{i}"), Credential).Exception is not null);
    }

    [Fact]
    public async Task A_stream_assembles_to_the_same_answer()
    {
        var sim = new SimulatedProvider(new SimulatedProviderOptions { Seed = 11 });
        foreach (var request in new[] { Ask("Stream this."), WithTools("sim-1", ToolChoice.Required) })
        {
            var deltas = new List<ModelDelta>();
            await foreach (var d in sim.StreamAsync(request, Credential)) deltas.Add(d);
            Assert.True(deltas.Count > 2);
            var assembler = new ModelStreamAssembler();
            deltas.ForEach(assembler.Add);
            var streamed = assembler.ToResult();
            var whole = await sim.CompleteAsync(request, Credential);
            AssertSameResult(whole, streamed);
            Assert.Equal(whole.RawBody, streamed.RawBody);
        }
    }

    [Fact]
    public async Task Latency_is_waited_and_cancellable()
    {
        var sim = new SimulatedProvider(new SimulatedProviderOptions { Latency = TimeSpan.FromMilliseconds(150) });
        var started = System.Diagnostics.Stopwatch.StartNew();
        await sim.CompleteAsync(Ask("Wait."), Credential);
        Assert.True(started.ElapsedMilliseconds >= 140);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new SimulatedProvider(new SimulatedProviderOptions { Latency = TimeSpan.FromSeconds(10) }).CompleteAsync(Ask("Wait."), Credential, cts.Token));
    }
}
