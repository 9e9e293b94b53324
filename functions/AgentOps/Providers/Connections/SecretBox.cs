using System.Security.Cryptography;
using System.Text;

namespace AgentOps.Providers.Connections;

/// <summary>A secret that could not be opened: an unknown key id, a wrong key, tampering, or another row's ciphertext. Never carries the secret.</summary>
public sealed class SecretBoxException(string message) : Exception(message);

/// <summary>
/// The master keys that seal secrets at rest: the current one (new and rotated secrets are sealed under it) and the
/// retired ones still accepted for opening, each by id. Read from AGENTOPS_SECRETS_KEY (32 bytes as 64 hex digits or
/// base64), AGENTOPS_SECRETS_KEY_ID (its id, default <see cref="DefaultKeyId"/>) and AGENTOPS_SECRETS_OLD_KEYS
/// (<c>id:key,id:key</c>, the retired ones). docs/guardrails.md has the rotation procedure.
/// </summary>
public sealed class SecretKeys
{
    /// <summary>AES-256: a key is exactly this many bytes.</summary>
    public const int KeyBytes = 32;

    /// <summary>A key id: letters, digits, '-' and '_', at most this long (it is stored next to every ciphertext).</summary>
    public const int MaxKeyIdLength = 32;

    public const string DefaultKeyId = "k1";

    private readonly Dictionary<string, byte[]> _keys;

    public SecretKeys(string currentId, byte[] current, IReadOnlyDictionary<string, byte[]>? retired = null)
    {
        if (!IsKeyId(currentId)) throw new ArgumentException("A key id is 1 to 32 letters, digits, '-' or '_'.", nameof(currentId));
        if (current.Length != KeyBytes) throw new ArgumentException($"A key is {KeyBytes} bytes.", nameof(current));
        CurrentId = currentId;
        _keys = new Dictionary<string, byte[]>(StringComparer.Ordinal) { [currentId] = current };
        foreach (var (id, key) in retired ?? new Dictionary<string, byte[]>())
        {
            if (!IsKeyId(id) || key.Length != KeyBytes || !_keys.TryAdd(id, key))
                throw new ArgumentException($"The retired key '{id}' is not a distinct id with a {KeyBytes}-byte key.", nameof(retired));
        }
    }

    public string CurrentId { get; }

    internal byte[] Current => _keys[CurrentId];

    internal byte[]? Find(string id) => _keys.GetValueOrDefault(id);

    public IReadOnlyCollection<string> Ids => _keys.Keys;

    public static bool IsKeyId(string id) =>
        id.Length is >= 1 and <= MaxKeyIdLength && id.All(c => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_');

    /// <summary>A key as configured: 64 hex digits or base64 of 32 bytes; null when it is neither.</summary>
    public static byte[]? ParseKey(string text)
    {
        text = text.Trim();
        if (text.Length == KeyBytes * 2 && text.All(Uri.IsHexDigit)) return Convert.FromHexString(text);
        var buffer = new byte[KeyBytes + 3];
        return Convert.TryFromBase64String(text, buffer, out var n) && n == KeyBytes ? buffer[..n] : null;
    }

    /// <summary>The keys from the settings; a missing or malformed one is a start-up error that names the variable, never the value.</summary>
    public static SecretKeys? Read(Settings settings)
    {
        var start = settings.Errors.Count;
        var text = settings.Text("AGENTOPS_SECRETS_KEY");
        byte[]? current = null;
        if (text is null)
            settings.Errors.Add("AGENTOPS_SECRETS_KEY is required: the master key that encrypts provider credentials (32 bytes as hex or base64, e.g. `openssl rand -hex 32`; see docs/guardrails.md).");
        else if ((current = ParseKey(text)) is null)
            settings.Errors.Add("AGENTOPS_SECRETS_KEY must be 32 bytes as 64 hex digits or base64 (e.g. `openssl rand -hex 32`).");
        var currentId = settings.Text("AGENTOPS_SECRETS_KEY_ID")?.Trim() ?? DefaultKeyId;
        if (!IsKeyId(currentId)) settings.Errors.Add("AGENTOPS_SECRETS_KEY_ID must be 1 to 32 letters, digits, '-' or '_'.");
        var retired = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var entry in (settings.Text("AGENTOPS_SECRETS_OLD_KEYS") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split(':', 2, StringSplitOptions.TrimEntries);
            var key = parts.Length == 2 ? ParseKey(parts[1]) : null;
            if (parts.Length != 2 || !IsKeyId(parts[0]) || key is null)
                settings.Errors.Add("AGENTOPS_SECRETS_OLD_KEYS must be id:key pairs separated by commas (each key 32 bytes as hex or base64).");
            else if (parts[0] == currentId || !retired.TryAdd(parts[0], key))
                settings.Errors.Add("AGENTOPS_SECRETS_OLD_KEYS must name each retired key once, and not the current AGENTOPS_SECRETS_KEY_ID.");
        }
        return settings.Errors.Count > start || current is null ? null : new SecretKeys(currentId, current, retired);
    }
}

/// <summary>
/// Seals secrets for storage (pure): AES-256-GCM with a random 12-byte nonce per sealing and associated data that binds
/// the ciphertext to where it is stored (for a provider connection: the organization and the connection's id), so a
/// ciphertext copied to another row or organization does not open. Layout: version (1 byte) ‖ nonce (12) ‖ tag (16) ‖
/// ciphertext. The key id is stored beside it, so the master key can be rotated (<see cref="SecretKeys"/>).
/// </summary>
public sealed class SecretBox(SecretKeys keys)
{
    private const byte Version = 1;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int HeaderBytes = 1 + NonceBytes + TagBytes;

    public SecretKeys Keys => keys;

    public sealed record Sealed(byte[] Ciphertext, string KeyId);

    /// <summary><paramref name="secret"/> sealed under the current key.</summary>
    public Sealed Seal(string secret, ReadOnlySpan<byte> associatedData)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        var output = new byte[HeaderBytes + plain.Length];
        output[0] = Version;
        var nonce = output.AsSpan(1, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(keys.Current, TagBytes))
            aes.Encrypt(nonce, plain, output.AsSpan(HeaderBytes), output.AsSpan(1 + NonceBytes, TagBytes), associatedData);
        CryptographicOperations.ZeroMemory(plain);
        return new Sealed(output, keys.CurrentId);
    }

    /// <summary>The secret, or <see cref="SecretBoxException"/> saying why not (without any of it).</summary>
    public string Open(byte[] ciphertext, string keyId, ReadOnlySpan<byte> associatedData)
    {
        var key = keys.Find(keyId)
            ?? throw new SecretBoxException($"The secret is sealed under the key '{keyId}', which is not configured (AGENTOPS_SECRETS_KEY_ID / AGENTOPS_SECRETS_OLD_KEYS).");
        if (ciphertext.Length < HeaderBytes || ciphertext[0] != Version) throw new SecretBoxException("The sealed secret is malformed.");
        var plain = new byte[ciphertext.Length - HeaderBytes];
        try
        {
            using var aes = new AesGcm(key, TagBytes);
            aes.Decrypt(ciphertext.AsSpan(1, NonceBytes), ciphertext.AsSpan(HeaderBytes), ciphertext.AsSpan(1 + NonceBytes, TagBytes), plain, associatedData);
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new SecretBoxException($"The sealed secret does not open under the key '{keyId}': a different key under that id, altered data, or a ciphertext moved from another record.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>The associated data of a provider connection's secret: a purpose label, the organization, the connection.</summary>
    public static byte[] ConnectionData(Guid orgId, Guid connectionId)
    {
        var label = "agentops/provider-connection/v1"u8;
        var data = new byte[label.Length + 32];
        label.CopyTo(data);
        orgId.TryWriteBytes(data.AsSpan(label.Length, 16), bigEndian: true, out _);
        connectionId.TryWriteBytes(data.AsSpan(label.Length + 16, 16), bigEndian: true, out _);
        return data;
    }
}
