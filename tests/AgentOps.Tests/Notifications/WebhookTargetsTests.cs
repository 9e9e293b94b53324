using System.Net;
using AgentOps.Notifications;
using AgentOps.Platform;
using AgentOps.Platform.Http;

namespace AgentOps.Tests.Notifications;

public class WebhookTargetsTests
{
    [Theory]
    [InlineData("127.0.0.1", "a loopback address")]
    [InlineData("127.9.9.9", "a loopback address")]
    [InlineData("10.1.2.3", "a private address")]
    [InlineData("172.16.0.1", "a private address")]
    [InlineData("172.31.255.255", "a private address")]
    [InlineData("192.168.1.1", "a private address")]
    [InlineData("169.254.169.254", "a link-local address")]
    [InlineData("100.64.0.1", "a shared (carrier-grade NAT) address")]
    [InlineData("0.0.0.0", "a \"this network\" address")]
    [InlineData("224.0.0.1", "a multicast address")]
    [InlineData("255.255.255.255", "a reserved or broadcast address")]
    [InlineData("::1", "a loopback address")]
    [InlineData("::", "an unspecified address")]
    [InlineData("fe80::1", "a link-local address")]
    [InlineData("fd00::1", "a private (unique local) address")]
    [InlineData("ff02::1", "a multicast address")]
    [InlineData("::ffff:127.0.0.1", "a loopback address")]
    [InlineData("64:ff9b::a9fe:a9fe", "a link-local address")]
    [InlineData("2002:0a00:0001::", "a private address")]
    public void Non_public_addresses_are_refused_with_what_they_are(string address, string kind) =>
        Assert.StartsWith(kind, WebhookTargets.Refusal(IPAddress.Parse(address)));

    [Theory]
    [InlineData("1.1.1.1")]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    public void Public_addresses_are_allowed(string address) => Assert.Null(WebhookTargets.Refusal(IPAddress.Parse(address)));

    [Theory]
    [InlineData("https://hooks.example.com/agentops", true)]
    [InlineData("https://hooks.example.com:8443/a?b=c", true)]
    [InlineData("http://hooks.example.com/agentops", false)]
    [InlineData("https://user:pass@hooks.example.com/", false)]
    [InlineData("https://127.0.0.1/hook", false)]
    [InlineData("https://[::1]/hook", false)]
    [InlineData("https://169.254.169.254/latest/meta-data", false)]
    [InlineData("https://localhost/hook", false)]
    [InlineData("https://api.localhost/hook", false)]
    [InlineData("ftp://hooks.example.com/", false)]
    [InlineData("/relative/path", false)]
    [InlineData("https://hooks.example.com/#frag", false)]
    public void Urls_must_be_absolute_https_without_userinfo_and_not_point_inside(string url, bool valid)
    {
        var v = new Validation();
        var uri = WebhookTargets.Check(v, "$.url", url, allowPrivate: false);
        Assert.Equal(valid, v.IsValid);
        Assert.Equal(valid, uri is not null);
    }

    [Fact]
    public void Allowing_private_targets_allows_http_and_loopback_but_never_userinfo_or_overlong_urls()
    {
        foreach (var ok in new[] { "http://127.0.0.1:8080/hook", "https://localhost/hook", "http://10.0.0.5/x" })
        {
            var v = new Validation();
            Assert.NotNull(WebhookTargets.Check(v, "$.url", ok, allowPrivate: true));
        }
        foreach (var bad in new[] { "http://u:p@127.0.0.1/", "https://example.com/" + new string('a', WebhookTargets.MaxUrlLength) })
        {
            var v = new Validation();
            Assert.Null(WebhookTargets.Check(v, "$.url", bad, allowPrivate: true));
            Assert.False(v.IsValid);
        }
    }
}
