using System.Text.RegularExpressions;
using AgentOps.Platform.Auth;
using FsCheck;
using FsCheck.Fluent;

namespace AgentOps.Tests.Platform;

public class SecretsTests
{
    /// <summary>The pattern docs/api.md gives secret scanners.</summary>
    private static readonly Regex ScannerPattern = new(@"\baok_[A-Za-z0-9]{8}_[A-Za-z0-9]{40}\b");

    [Fact]
    public void New_keys_match_the_published_pattern_and_their_own_hash()
    {
        for (var i = 0; i < 200; i++)
        {
            var key = Secrets.CreateApiKey();
            Assert.Matches(ScannerPattern, key.Key);
            Assert.Equal(key.Prefix, Secrets.ApiKeyPrefix(key.Key));
            Assert.True(Secrets.Matches(key.Key, key.Hash));
            Assert.False(Secrets.Matches(key.Key[..^1] + (key.Key[^1] == 'a' ? 'b' : 'a'), key.Hash));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("aok_")]
    [InlineData("aok_abcdefgh-0123456789012345678901234567890123456789")]
    [InlineData("aok_abcdefgh_012345678901234567890123456789012345678")]
    [InlineData("aok_abcdefgh_01234567890123456789012345678901234567890")]
    [InlineData("aok_abc!efgh_0123456789012345678901234567890123456789")]
    [InlineData("xok_abcdefgh_0123456789012345678901234567890123456789")]
    public void Malformed_keys_have_no_prefix(string candidate) => Assert.Null(Secrets.ApiKeyPrefix(candidate));

    [Fact]
    public void Any_string_is_either_rejected_or_yields_a_prefix_of_itself() =>
        Prop.ForAll((string s) => s is null || Secrets.ApiKeyPrefix(s) is not { } p || s.StartsWith(p, StringComparison.Ordinal))
            .QuickCheckThrowOnFailure();

    [Fact]
    public void Tokens_carry_their_marker_and_256_bits()
    {
        var token = Secrets.CreateToken(Secrets.RefreshMarker);
        Assert.StartsWith("aor_", token);
        Assert.Equal(4 + 43, token.Length);
        Assert.NotEqual(token, Secrets.CreateToken(Secrets.RefreshMarker));
    }
}
