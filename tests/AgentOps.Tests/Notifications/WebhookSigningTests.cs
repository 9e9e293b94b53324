using System.Security.Cryptography;
using System.Text;
using AgentOps.Notifications;

namespace AgentOps.Tests.Notifications;

public class WebhookSigningTests
{
    [Fact]
    public void Secrets_are_whsec_and_256_random_bits_and_listings_show_only_the_last_4_characters()
    {
        var secret = WebhookSigning.NewSecret();
        Assert.Matches("^whsec_[A-Za-z0-9_-]{43}$", secret);
        Assert.NotEqual(secret, WebhookSigning.NewSecret());
        Assert.Equal("…" + secret[^4..], WebhookSigning.Hint(secret));
    }

    [Fact]
    public void The_signature_is_the_hex_hmac_of_timestamp_dot_body_keyed_by_the_secret()
    {
        // A fixed vector, computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        const string body = "{\"a\":1}";
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("whsec_test"), Encoding.UTF8.GetBytes("1700000000." + body)));
        Assert.Equal($"t=1700000000,v1={expected}", WebhookSigning.Signature("whsec_test", 1_700_000_000, body));
        Assert.Equal("t=1700000000,v1=" + OpenSslVector, WebhookSigning.Signature("whsec_test", 1_700_000_000, body));
        Assert.NotEqual(WebhookSigning.Signature("whsec_test", 1_700_000_000, body), WebhookSigning.Signature("whsec_test", 1_700_000_001, body));
    }

    private const string OpenSslVector = "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789";
}
