using AgentOps.Platform.Http;
using Microsoft.AspNetCore.Http;

namespace AgentOps.Tests.Platform;

public class RequestHeadTests
{
    private static HeaderDictionary Headers(int count, int valueLength) =>
        new(Enumerable.Range(0, count).ToDictionary(i => $"X-{i}", _ => new Microsoft.Extensions.Primitives.StringValues(new string('a', valueLength))));

    [Fact]
    public void Targets_up_to_8_KiB_pass_and_longer_ones_are_414()
    {
        Assert.Null(RequestHead.Check(RequestHead.MaxTargetBytes, Headers(1, 1)));
        var p = RequestHead.Check(RequestHead.MaxTargetBytes + 1, Headers(1, 1))!;
        Assert.Equal((414, "uri_too_long"), (p.Status, p.Code));
    }

    [Fact]
    public void More_than_100_headers_or_32_K_characters_are_431()
    {
        Assert.Null(RequestHead.Check(10, Headers(RequestHead.MaxHeaderCount, 10)));
        Assert.Equal("headers_too_large", RequestHead.Check(10, Headers(RequestHead.MaxHeaderCount + 1, 1))!.Code);
        Assert.Null(RequestHead.Check(10, Headers(1, RequestHead.MaxHeaderChars - 3))); // "X-0" + value
        Assert.Equal(431, RequestHead.Check(10, Headers(1, RequestHead.MaxHeaderChars - 2))!.Status);
    }

    [Fact]
    public void Header_bytes_that_are_not_utf8_decode_to_the_replacement_character() =>
        Assert.Equal("Bearer \uFFFD\uFFFDé", RequestHead.HeaderEncoding.GetString([.. "Bearer "u8, 0xFF, 0xFE, 0xC3, 0xA9]));
}
