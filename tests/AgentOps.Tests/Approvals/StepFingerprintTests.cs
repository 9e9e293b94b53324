using System.Text.Json;
using AgentOps.Approvals;

namespace AgentOps.Tests.Approvals;

public class StepFingerprintTests
{
    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void Key_order_and_whitespace_do_not_change_the_fingerprint()
    {
        var a = StepFingerprint.Of(Parse("""{"type":"apply_discount","discount_percent":5,"meta":{"b":[1,{"y":2,"x":1}],"a":null}}"""), Parse("""{"z":true,"a":"é"}"""));
        var b = StepFingerprint.Of(Parse("""{ "meta": {"a": null, "b": [1, {"x": 1, "y": 2}]}, "discount_percent": 5, "type": "apply_discount" }"""), Parse("""{"a":"\u00e9","z":true}"""));
        Assert.Equal(StepFingerprint.Length, a.Length);
        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData("""{"type":"apply_discount","discount_percent":90}""", null)]
    [InlineData("""{"type":"apply_discount","discount_percent":5.0}""", null)]
    [InlineData("""{"type":"apply_discount","discount_percent":"5"}""", null)]
    [InlineData("""{"type":"apply_discount","discount_percent":5}""", """{}""")]
    [InlineData("""{"type":"apply_discount","discount_percent":5}""", """{"region":"eu"}""")]
    [InlineData("""{"type":"apply_discount","discount_percent":5,"extra":null}""", null)]
    public void Any_other_action_or_context_is_another_fingerprint(string action, string? context)
    {
        var approved = StepFingerprint.Of(Parse("""{"type":"apply_discount","discount_percent":5}"""), null);
        Assert.NotEqual(approved, StepFingerprint.Of(Parse(action), context is null ? null : Parse(context)));
    }

    [Fact]
    public void Array_order_counts_and_the_action_and_context_are_not_interchangeable()
    {
        Assert.NotEqual(StepFingerprint.Of(Parse("[1,2]"), null), StepFingerprint.Of(Parse("[2,1]"), null));
        Assert.NotEqual(StepFingerprint.Of(Parse("""{"a":1}"""), Parse("{}")), StepFingerprint.Of(Parse("{}"), Parse("""{"a":1}""")));
        Assert.Equal("""{"a":{"b":1,"c":[true,null]},"b":"x"}""", StepFingerprint.Canonical(Parse("""{"b":"x","a":{"c":[true,null],"b":1}}""")));
    }
}
