using System.Text.Json;
using AgentOps.Guardrails.Pipeline;

namespace AgentOps.Tests.Guardrails.Pipeline;

public sealed class JsonSchemaGateTests
{
    [Theory]
    [InlineData("(a+)+")]
    [InlineData(@"^(\w*)*$")]
    [InlineData("((a+)b)+")]
    [InlineData("(a{1,3}){2,}")]
    [InlineData("(x+x+)*y")]
    public void A_repeated_group_that_itself_repeats_is_refused(string pattern) => Assert.NotNull(JsonSchemaGate.Refusal(pattern));

    [Theory]
    [InlineData("^[a-z]+$")]
    [InlineData("(ab)+")]
    [InlineData("(a|b)+c*")]
    [InlineData(@"\(a+\)+")]
    [InlineData("[(a+)+]x")]
    [InlineData(@"^\d{3}-\d{4}$")]
    public void Ordinary_patterns_pass(string pattern) => Assert.Null(JsonSchemaGate.Refusal(pattern));

    [Fact]
    public void A_schema_with_an_unsafe_pattern_anywhere_is_not_compiled()
    {
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"array","items":{"type":"string","pattern":"^(a+)+$"}}}}""").RootElement;
        var (compiled, error) = JsonSchemaGate.Compile(schema);
        Assert.Null(compiled);
        Assert.Contains("nested quantifiers", error, StringComparison.Ordinal);
        var keys = JsonDocument.Parse("""{"type":"object","patternProperties":{"^(x*)*$":{"type":"string"}}}""").RootElement;
        Assert.Null(JsonSchemaGate.Compile(keys).Schema);
        var fine = JsonDocument.Parse("""{"type":"object","properties":{"id":{"type":"string","pattern":"^[A-Z]{2}-\\d+$"}}}""").RootElement;
        var (ok, _) = JsonSchemaGate.Compile(fine);
        Assert.NotNull(ok);
        Assert.Empty(JsonSchemaGate.Check(ok!, JsonDocument.Parse("""{"id":"AB-12"}""").RootElement));
        Assert.NotEmpty(JsonSchemaGate.Check(ok!, JsonDocument.Parse("""{"id":"ab"}""").RootElement));
    }
}
