using System.Text;
using AgentOps.Sdk.OpenAI;

namespace AgentOps.Sdk.Tests;

/// <summary>Usage as each wire format reports it (AgentOps counts every input token, cached ones included).</summary>
public sealed class UsageReaderTests
{
    private static UsageReader Read(string provider, params string[] json)
    {
        var reader = new UsageReader(provider);
        foreach (var j in json) reader.ReadJson(Encoding.UTF8.GetBytes(j));
        return reader;
    }

    [Fact]
    public void Chat_completions()
    {
        var u = Read("openai", """{"model":"gpt-4o","usage":{"prompt_tokens":100,"completion_tokens":20,"prompt_tokens_details":{"cached_tokens":64}}}""");
        Assert.Equal(("gpt-4o", 100L, 20L, 64L), (u.Model, u.TokensIn, u.TokensOut, u.TokensCached));
    }

    [Fact]
    public void Responses_api_answer_and_its_completed_event()
    {
        var answer = Read("openai", """{"object":"response","model":"gpt-4.1","usage":{"input_tokens":300,"output_tokens":40,"input_tokens_details":{"cached_tokens":128}}}""");
        Assert.Equal(("gpt-4.1", 300L, 40L, 128L), (answer.Model, answer.TokensIn, answer.TokensOut, answer.TokensCached));
        var stream = Read("openai",
            """{"type":"response.created","response":{"model":"gpt-4.1","usage":null}}""",
            """{"type":"response.output_text.delta","delta":"Hi"}""",
            """{"type":"response.completed","response":{"model":"gpt-4.1","usage":{"input_tokens":300,"output_tokens":40,"input_tokens_details":{"cached_tokens":128}}}}""");
        Assert.Equal(("gpt-4.1", 300L, 40L, 128L), (stream.Model, stream.TokensIn, stream.TokensOut, stream.TokensCached));
    }

    [Fact]
    public void Anthropic_message_counts_cache_reads_and_writes_as_input()
    {
        var u = Read("anthropic", """{"type":"message","model":"claude-sonnet-4","usage":{"input_tokens":10,"cache_read_input_tokens":200,"cache_creation_input_tokens":50,"output_tokens":30}}""");
        Assert.Equal(("claude-sonnet-4", 260L, 30L, 200L), (u.Model, u.TokensIn, u.TokensOut, u.TokensCached));
    }

    [Fact]
    public void Garbage_is_ignored()
    {
        var u = Read("openai", "not json", "[1,2]", """{"usage":"none"}""");
        Assert.Equal((null, 0L, 0L, 0L), (u.Model, u.TokensIn, u.TokensOut, u.TokensCached));
    }

    [Theory]
    [InlineData("https://api.anthropic.com/v1/messages", "anthropic")]
    [InlineData("http://localhost:8080/v1/messages", "anthropic")]
    [InlineData("https://api.openai.com/v1/chat/completions", "openai")]
    [InlineData("https://example.openai.azure.com/openai/deployments/x/chat/completions", "openai")]
    public void Provider_from_the_url(string url, string provider) => Assert.Equal(provider, AgentOpsLlmHandler.GuessProvider(new Uri(url)));
}
