using System.Security.Cryptography;
using AgentOps.Platform;
using AgentOps.Providers.Connections;

namespace AgentOps.Tests.Providers.Connections;

public class SecretBoxTests
{
    private static readonly byte[] KeyA = RandomNumberGenerator.GetBytes(SecretKeys.KeyBytes);
    private static readonly byte[] KeyB = RandomNumberGenerator.GetBytes(SecretKeys.KeyBytes);
    private static readonly Guid Org = Guid.CreateVersion7();
    private static readonly Guid Connection = Guid.CreateVersion7();
    private static readonly byte[] Data = SecretBox.ConnectionData(Org, Connection);
    private const string Secret = "sk-proj-0123456789abcdefghijklmnopqrstuvwxyz-ünï";

    private static SecretBox Box(string id = "k1", byte[]? key = null, Dictionary<string, byte[]>? retired = null) => new(new SecretKeys(id, key ?? KeyA, retired));

    [Fact]
    public void A_sealed_secret_opens_to_itself_and_does_not_contain_it()
    {
        var box = Box();
        var sealedSecret = box.Seal(Secret, Data);
        Assert.Equal("k1", sealedSecret.KeyId);
        Assert.Equal(Secret, box.Open(sealedSecret.Ciphertext, "k1", Data));
        Assert.DoesNotContain(System.Text.Encoding.UTF8.GetBytes("0123456789abcdef"), Windows(sealedSecret.Ciphertext, 16));
    }

    [Fact]
    public void Every_sealing_uses_a_fresh_nonce()
    {
        var box = Box();
        Assert.NotEqual(box.Seal(Secret, Data).Ciphertext, box.Seal(Secret, Data).Ciphertext);
    }

    [Fact]
    public void Any_altered_byte_fails_to_open()
    {
        var box = Box();
        var ciphertext = box.Seal(Secret, Data).Ciphertext;
        for (var i = 1; i < ciphertext.Length; i++)
        {
            var tampered = (byte[])ciphertext.Clone();
            tampered[i] ^= 0x01;
            Assert.Throws<SecretBoxException>(() => box.Open(tampered, "k1", Data));
        }
        Assert.Throws<SecretBoxException>(() => box.Open(ciphertext[..^1], "k1", Data));
        Assert.Throws<SecretBoxException>(() => box.Open(ciphertext[..10], "k1", Data));
    }

    [Fact]
    public void A_ciphertext_moved_to_another_connection_or_organization_fails_to_open()
    {
        var box = Box();
        var ciphertext = box.Seal(Secret, Data).Ciphertext;
        Assert.Throws<SecretBoxException>(() => box.Open(ciphertext, "k1", SecretBox.ConnectionData(Org, Guid.CreateVersion7())));
        var e = Assert.Throws<SecretBoxException>(() => box.Open(ciphertext, "k1", SecretBox.ConnectionData(Guid.CreateVersion7(), Connection)));
        Assert.DoesNotContain(Secret, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_id_says_which_and_a_wrong_key_under_the_id_fails()
    {
        var ciphertext = Box().Seal(Secret, Data).Ciphertext;
        var e = Assert.Throws<SecretBoxException>(() => Box().Open(ciphertext, "k0", Data));
        Assert.Contains("'k0'", e.Message);
        Assert.Contains("not configured", e.Message);
        Assert.Throws<SecretBoxException>(() => Box(key: KeyB).Open(ciphertext, "k1", Data));
    }

    [Fact]
    public void After_a_key_rotation_old_secrets_open_under_the_retired_key_and_new_ones_are_sealed_under_the_new()
    {
        var old = Box().Seal(Secret, Data);
        var rotated = Box("k2", KeyB, new() { ["k1"] = KeyA });
        Assert.Equal(Secret, rotated.Open(old.Ciphertext, old.KeyId, Data));
        var resealed = rotated.Seal(Secret, Data);
        Assert.Equal("k2", resealed.KeyId);
        Assert.Throws<SecretBoxException>(() => Box().Open(resealed.Ciphertext, "k2", Data));
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF", true)]
    [InlineData("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", true)]
    [InlineData("0123456789abcdef", false)]
    [InlineData("not a key at all, but long enough to be one if it were hex or b64", false)]
    [InlineData("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY0", false)]
    public void Keys_are_32_bytes_as_hex_or_base64(string text, bool valid) => Assert.Equal(valid, SecretKeys.ParseKey(text) is { Length: 32 });

    [Fact]
    public void Settings_read_the_current_key_its_id_and_the_retired_ones_and_name_every_error_without_values()
    {
        var hexA = Convert.ToHexString(KeyA);
        var keys = SecretKeys.Read(new Settings(n => n switch
        {
            "AGENTOPS_SECRETS_KEY" => hexA, "AGENTOPS_SECRETS_KEY_ID" => "2026-12", "AGENTOPS_SECRETS_OLD_KEYS" => $"k1:{Convert.ToBase64String(KeyB)}", _ => null,
        }))!;
        Assert.Equal("2026-12", keys.CurrentId);
        Assert.Equal(["2026-12", "k1"], keys.Ids.Order());

        var missing = new Settings(_ => null);
        Assert.Null(SecretKeys.Read(missing));
        Assert.Contains(missing.Errors, e => e.StartsWith("AGENTOPS_SECRETS_KEY is required", StringComparison.Ordinal));

        var bad = new Settings(n => n switch
        {
            "AGENTOPS_SECRETS_KEY" => "short-secret-value", "AGENTOPS_SECRETS_KEY_ID" => "bad id!", "AGENTOPS_SECRETS_OLD_KEYS" => "k1:nope", _ => null,
        });
        Assert.Null(SecretKeys.Read(bad));
        Assert.Equal(3, bad.Errors.Count);
        Assert.DoesNotContain(bad.Errors, e => e.Contains("short-secret-value", StringComparison.Ordinal) || e.Contains("nope", StringComparison.Ordinal));

        var reused = new Settings(n => n switch { "AGENTOPS_SECRETS_KEY" => hexA, "AGENTOPS_SECRETS_OLD_KEYS" => $"k1:{hexA}", _ => null });
        Assert.Null(SecretKeys.Read(reused));
        Assert.Contains(reused.Errors, e => e.Contains("not the current", StringComparison.Ordinal));
    }

    private static IEnumerable<byte[]> Windows(byte[] bytes, int size) => Enumerable.Range(0, Math.Max(0, bytes.Length - size + 1)).Select(i => bytes[i..(i + size)]);
}
