using System.Security.Cryptography;
using System.Text;

namespace AgentOps.Platform.Auth;

/// <summary>
/// Formats of the secrets AgentOps hands out. Each carries a recognizable prefix so secret scanners can find a leaked
/// one (regex in docs/api.md); only a SHA-256 hash is stored.
/// API key:        aok_XXXXXXXX_YYYY… (8-character look-up prefix, 40-character secret; base62)
/// Refresh token:  aor_ + 43 base64url characters (256 bits)
/// Invitation:     aoi_ + 43 base64url characters
/// </summary>
public static class Secrets
{
    public const string ApiKeyMarker = "aok_";
    public const int ApiKeyPrefixLength = 8;
    public const int ApiKeySecretLength = 40;
    public const string RefreshMarker = "aor_";
    public const string InvitationMarker = "aoi_";

    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public sealed record NewApiKey(string Key, string Prefix, byte[] Hash);

    public static NewApiKey CreateApiKey()
    {
        var prefix = ApiKeyMarker + RandomBase62(ApiKeyPrefixLength);
        var key = prefix + "_" + RandomBase62(ApiKeySecretLength);
        return new NewApiKey(key, prefix, Hash(key));
    }

    /// <summary>The look-up prefix of a well-formed key ("aok_XXXXXXXX"), else null. Shape only; no I/O.</summary>
    public static string? ApiKeyPrefix(string candidate)
    {
        const int prefixEnd = 4 + ApiKeyPrefixLength;
        if (candidate.Length != prefixEnd + 1 + ApiKeySecretLength || !candidate.StartsWith(ApiKeyMarker, StringComparison.Ordinal) || candidate[prefixEnd] != '_')
            return null;
        for (var i = 4; i < candidate.Length; i++)
            if (i != prefixEnd && !IsBase62(candidate[i])) return null;
        return candidate[..prefixEnd];
    }

    public static string CreateToken(string marker) => marker + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>Constant-time comparison of a presented secret with a stored hash.</summary>
    public static bool Matches(string presented, byte[] storedHash) => CryptographicOperations.FixedTimeEquals(Hash(presented), storedHash);

    private static bool IsBase62(char c) => c is >= '0' and <= '9' or >= 'A' and <= 'Z' or >= 'a' and <= 'z';

    private static string RandomBase62(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = Base62[RandomNumberGenerator.GetInt32(Base62.Length)];
        return new string(chars);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
