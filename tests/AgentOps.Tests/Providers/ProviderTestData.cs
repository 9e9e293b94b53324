using System.Text.Json;
using AgentOps.Providers;

namespace AgentOps.Tests.Providers;

internal static class ProviderTestData
{
    public const string Secret = "sk-test-0123456789abcdefSECRET";

    public static readonly ProviderCredential Credential = new(Secret);

    public static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public static readonly ToolDefinition Weather = new("get_weather", "The weather in a city.", Json("""
        {"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city","unit"]}
        """));

    public static readonly ToolDefinition Search = new("search_docs", null, Json("""{"type":"object","properties":{"query":{"type":"string","minLength":3}},"required":["query"]}"""));

    public static ModelRequest Simple(string model = "gpt-4o") => new(model, [ModelMessage.OfSystem("Be brief."), ModelMessage.OfUser("Say hello.")]);

    public static ModelRequest WithTools(string model = "gpt-4o", ToolChoice? choice = null) =>
        Simple(model) with { Tools = [Weather, Search], ToolChoice = choice };

    /// <summary>A conversation with a tool round trip: the assistant called a tool, the tool answered.</summary>
    public static ModelRequest ToolRoundTrip(string model) => new(model,
    [
        ModelMessage.OfSystem("You are a weather bot."),
        ModelMessage.OfSystem("Answer in one sentence."),
        ModelMessage.OfUser("Weather in Paris and Rome?"),
        ModelMessage.OfAssistant("Checking.", new ToolCall("call_1", "get_weather", """{"city":"Paris","unit":"celsius"}"""),
            new ToolCall("call_2", "get_weather", """{"city":"Rome","unit":"celsius"}""")),
        ModelMessage.OfToolResult("call_1", "18 degrees"),
        ModelMessage.OfToolResult("call_2", "city not found", isError: true),
    ])
    {
        Tools = [Weather],
    };

    /// <summary>Everything but the raw body (a stream's is its event text) must be the same.</summary>
    public static void AssertSameResult(ModelResult expected, ModelResult actual)
    {
        Assert.Equal(expected.Content, actual.Content);
        Assert.Equal(expected.ToolCalls, actual.ToolCalls);
        Assert.Equal(expected.Usage, actual.Usage);
        Assert.Equal(expected.Model, actual.Model);
        Assert.Equal(expected.FinishReason, actual.FinishReason);
        Assert.Equal(expected.ProviderFinishReason, actual.ProviderFinishReason);
        Assert.Equal(expected.RequestId, actual.RequestId);
    }

    /// <summary>Reads a stream to its end or failure, keeping the deltas that came before a failure.</summary>
    public static async Task<(List<ModelDelta> Deltas, Exception? Error)> DrainAsync(IAsyncEnumerable<ModelDelta> stream)
    {
        var deltas = new List<ModelDelta>();
        try
        {
            await foreach (var d in stream) deltas.Add(d);
            return (deltas, null);
        }
        catch (Exception e)
        {
            return (deltas, e);
        }
    }
}
