using System.Text;
using AgentOps.Platform.Http;

namespace AgentOps.Tests.Platform;

public class JsonInputTests
{
    private static InputFault? Inspect(string json, string? items = null) => JsonInput.Inspect(Encoding.UTF8.GetBytes(json), items);

    private static string Nested(int levels) => new string('[', levels) + new string(']', levels);

    [Theory]
    [InlineData("""{"a":1,"b":[1,2,{"c":"d"}],"e":null}""")]
    [InlineData("""{"escaped backslash then text":"\\u0000"}""")]
    [InlineData("""{"pair":"\ud83d\ude00","upper":"\uD83D\uDE00","plain":"\u00e9"}""")]
    [InlineData("""["same key", {"a":1}, {"a":2}]""")]
    [InlineData("\uFEFF{}")]
    public void Well_formed_storable_json_passes(string json) => Assert.Null(Inspect(json));

    [Theory]
    [InlineData(new byte[] { 0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC0, 0xAF, 0x22, 0x7D })] // overlong '/'
    [InlineData(new byte[] { 0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xE2, 0x82, 0x22, 0x7D })] // truncated euro sign
    [InlineData(new byte[] { 0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D })] // an encoded surrogate
    [InlineData(new byte[] { 0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D })] // a byte UTF-8 never uses, in a key
    public void Invalid_utf8_anywhere_is_refused(byte[] body) =>
        Assert.Equal("invalid_encoding", JsonInput.Inspect(body)!.Code);

    [Theory]
    [InlineData("""{"a":{"b":"x\u0000y"}}""", "$.a.b")]
    [InlineData("""{"a":"\ud800"}""", "$.a")]
    [InlineData("""{"a":"\udc00"}""", "$.a")]
    [InlineData("""{"a":"\ud800\u0041"}""", "$.a")]
    [InlineData("""{"a":"\ud800\\udc00"}""", "$.a")]
    [InlineData("""{"a":[1,"ok","\u0000"]}""", "$.a[2]")]
    [InlineData("""[{"x":1},{"y":["\udfff"]}]""", "$[1].y[0]")]
    [InlineData("""{"k\u0000ey":1}""", "$.k\\u0000ey")]
    public void Text_postgres_cannot_store_is_refused_with_its_path(string json, string path)
    {
        var fault = Inspect(json);
        Assert.Equal(("invalid_text", path), (fault?.Code, fault?.Path));
    }

    [Fact]
    public void Nesting_is_counted_from_the_root_and_refused_past_the_limit()
    {
        Assert.Null(Inspect(Nested(JsonInput.MaxDepth)));
        Assert.Equal("too_deep", Inspect(Nested(JsonInput.MaxDepth + 1))!.Code);
        Assert.Equal("too_deep", Inspect(Nested(100_000))!.Code);
        var deepObject = """{"a":""" + string.Concat(Enumerable.Repeat("""{"b":""", 40)) + "1" + new string('}', 41);
        // Level 33 is the 31st "b" object (the root is level 1, "a" level 2).
        Assert.Equal(("too_deep", "$.a" + string.Concat(Enumerable.Repeat(".b", 31))), (Inspect(deepObject)!.Code, Inspect(deepObject)!.Path));
    }

    [Theory]
    [InlineData("""{"a":1,"a":2}""", "$.a")]
    [InlineData("""{"a":1,"\u0061":2}""", "$.\\u0061")]
    [InlineData("""{"x":{"a":1,"b":2,"a":1}}""", "$.x.a")]
    [InlineData("""{"resourceSpans":[],"resourceSpans":[]}""", "$.resourceSpans")]
    public void A_key_named_twice_in_one_object_is_refused(string json, string path)
    {
        var fault = Inspect(json);
        Assert.Equal(("duplicate_key", path), (fault?.Code, fault?.Path));
    }

    [Fact]
    public void Batch_items_text_is_left_to_the_endpoint_but_not_their_structure()
    {
        Assert.Null(Inspect("""{"batch":[{"a":"\u0000"},{"b":"\ud800"}]}""", "batch"));
        Assert.Equal("$.batch[1].b", Inspect("""{"batch":[{"a":"x"},{"b":"\ud800"}]}""")!.Path);
        Assert.Equal("duplicate_key", Inspect("""{"batch":[{"a":1,"a":2}]}""", "batch")!.Code);
        Assert.Equal("invalid_text", Inspect("""{"batch":[],"other":"\u0000"}""", "batch")!.Code);
        Assert.Equal("invalid_text", JsonInput.InspectText(Encoding.UTF8.GetBytes("""{"a":"\u0000"}"""))!.Code);
    }

    [Theory]
    [InlineData("""{"a":}""")]
    [InlineData("""{"a":1,}""")]
    [InlineData("""{"a":1} x""")]
    [InlineData("""{"a":1 /* no */}""")]
    public void Malformed_json_is_reported_as_such(string json) => Assert.Equal("malformed_json", Inspect(json)!.Code);

    [Fact]
    public void Query_and_route_text_follows_the_same_rule()
    {
        // Built from chars: attribute arguments cannot carry a lone surrogate.
        Assert.Null(JsonInput.TextProblem("plain"));
        Assert.Null(JsonInput.TextProblem("emoji " + '\ud83d' + '\ude00'));
        Assert.Equal("must not contain NUL characters (U+0000).", JsonInput.TextProblem("a\0b"));
        Assert.Equal("must not contain a lone UTF-16 surrogate.", JsonInput.TextProblem("lone " + '\ud800'));
        Assert.Equal("must not contain a lone UTF-16 surrogate.", JsonInput.TextProblem('\udc00' + " lone"));
        Assert.Equal("must not contain a lone UTF-16 surrogate.", JsonInput.TextProblem(new string(['\ud800', '\ud800', '\udc00'])));
    }
}

public class JsonInputNumberTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-0")]
    [InlineData("0e0")]
    [InlineData("0.000e-99")]
    [InlineData("123456789012345")]
    [InlineData("9223372036854775808")]
    [InlineData("1.7976931348623157e308")]
    [InlineData("5e-324")]
    [InlineData("-1.5E+10")]
    public void Numbers_a_double_holds_pass(string number) => Assert.Null(JsonInput.NumberProblem(System.Text.Encoding.UTF8.GetBytes(number)));

    [Theory]
    [InlineData("1e400", "beyond")]
    [InlineData("-1e400", "beyond")]
    [InlineData("0.1e999", "beyond")]
    [InlineData("1e131072", "beyond")]
    [InlineData("1e-400", "too close to zero")]
    public void Numbers_beyond_a_double_are_refused(string number, string why) =>
        Assert.Contains(why, JsonInput.NumberProblem(System.Text.Encoding.UTF8.GetBytes(number)));

    [Fact]
    public void The_gate_names_the_number_path() =>
        Assert.Equal(("invalid_number", "$.config.a[1]"), (JsonInput.Inspect("""{"config":{"a":[1,1e999]}}"""u8)?.Code, JsonInput.Inspect("""{"config":{"a":[1,1e999]}}"""u8)?.Path));
}

public class JsonInputScaleTests
{
    [Theory]
    [InlineData("0e-20000")]
    [InlineData("0e-1001")]
    [InlineData("1e-99999999999999999999")]
    [InlineData("1e99999999999999999999")]
    public void Numbers_postgres_would_keep_with_too_many_decimals_are_refused(string number) =>
        Assert.NotNull(JsonInput.NumberProblem(System.Text.Encoding.UTF8.GetBytes(number)));

    [Fact]
    public void A_long_fraction_is_refused_and_a_long_integer_is_not()
    {
        Assert.Contains("digits after the decimal point", JsonInput.NumberProblem(System.Text.Encoding.UTF8.GetBytes("1." + new string('0', 16_384))));
        Assert.Null(JsonInput.NumberProblem(System.Text.Encoding.UTF8.GetBytes("1." + new string('0', JsonInput.MaxScale))));
        Assert.Null(JsonInput.NumberProblem(System.Text.Encoding.UTF8.GetBytes("1" + new string('0', 300))));
        Assert.Null(JsonInput.NumberProblem(System.Text.Encoding.UTF8.GetBytes("0e-1000")));
    }

    [Fact]
    public void The_items_property_is_recognised_however_it_is_escaped() =>
        Assert.Null(JsonInput.Inspect("""{"b\u0061tch":[{"a":"\u0000"}]}"""u8, "batch"));
}
