using AgentOps.Providers;
using static AgentOps.Tests.Providers.ProviderTestData;

namespace AgentOps.Tests.Providers;

public sealed class ProviderContractsTests
{
    [Theory]
    [InlineData("1s", 1000)]
    [InlineData("6m0s", 360_000)]
    [InlineData("20ms", 20)]
    [InlineData("1h2m3.5s", 3_723_500)]
    [InlineData("0.5", 500)]
    [InlineData("2m", 120_000)]
    public void Parses_openai_reset_durations(string text, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), RateLimitInfo.ParseDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("1s and more")]
    public void Refuses_what_is_no_duration(string text) => Assert.Null(RateLimitInfo.ParseDuration(text));

    [Fact]
    public void A_valid_request_has_no_errors()
    {
        Assert.Empty(ToolRoundTrip("m").Errors());
        Assert.Empty((WithTools(choice: ToolChoice.Named("get_weather")) with
        {
            ResponseFormat = ResponseFormat.JsonSchema("out-1", Json("""{"type":"object"}""")), MaxTokens = 1, Temperature = 2,
        }).Errors());
    }

    [Fact]
    public void Finds_every_error_of_a_request()
    {
        var request = new ModelRequest(" ", [new ModelMessage(ChatRole.Tool, [new TextPart("x")]), new ModelMessage(ChatRole.User, [new ImagePart()])])
        {
            Tools = [new ToolDefinition(new string('a', 65), null, Json("""{"type":"object"}""")), new ToolDefinition("t", null, Json("""["not an object"]""")),
                new ToolDefinition("t", null, Json("""{"type":"object"}"""))],
            ToolChoice = ToolChoice.Named("missing"),
            ResponseFormat = new ResponseFormat(ResponseFormatKind.JsonSchema, "bad name", Json("""{"type":"array"}""")),
            MaxTokens = 0, Temperature = 3, Stop = [""],
        };
        var errors = request.Errors();
        foreach (var field in new[] { "model", "messages[0]", "messages[1]", "tools[0].name", "tools[1].parameters", "tools[2].name", "tool_choice", "response_format.name", "response_format.schema", "max_tokens", "temperature", "stop" })
            Assert.Contains(errors, e => e.StartsWith(field + ":", StringComparison.Ordinal));
        Assert.Contains("tool_choice: requires tools.", (Simple() with { ToolChoice = ToolChoice.Required }).Errors());
    }

    [Fact]
    public void A_credential_never_prints_and_is_scrubbed_from_text()
    {
        Assert.Equal("***", Credential.ToString());
        Assert.Equal("key [redacted] here", Credential.Scrub($"key {Secret} here"));
        Assert.DoesNotContain(Secret, $"{Credential}", StringComparison.Ordinal);
    }

    [Fact]
    public void Tool_arguments_are_parsed_when_they_are_json_and_explained_when_not()
    {
        Assert.Equal(2, new ToolCall("1", "f", """{"a":2}""").Arguments!.Value.GetProperty("a").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Object, new ToolCall("1", "f", "").Arguments!.Value.ValueKind);
        var bad = new ToolCall("1", "f", "{\"a\":");
        Assert.Null(bad.Arguments);
        Assert.NotNull(bad.ArgumentsError);
        Assert.Equal(bad, new ToolCall("1", "f", "{\"a\":"));
    }
}
