using System.Text;

namespace AgentOps.Blobs;

/// <summary>
/// Where large event payloads live (Azure: Blob Storage; self-host: a folder). References are opaque, relative and
/// organization-scoped: a reference is only ever resolved inside the caller's organization.
/// </summary>
public interface IBlobStore
{
    Task<string> PutAsync(Guid orgId, string text, CancellationToken ct);
    Task<string?> GetAsync(Guid orgId, string reference, CancellationToken ct);
}

/// <summary>
/// The self-host's blob store: files under AGENTOPS_BLOB_DIR/&lt;org id&gt;/&lt;yyyy-MM-dd&gt;/&lt;uuid&gt;.txt, written to a
/// temporary name, flushed to disk and renamed, so a reference never points at half a file.
/// </summary>
public sealed class FileBlobStore(string root, TimeProvider time) : IBlobStore
{
    public async Task<string> PutAsync(Guid orgId, string text, CancellationToken ct)
    {
        var reference = $"{time.GetUtcNow():yyyy-MM-dd}/{Guid.CreateVersion7():N}.txt";
        var path = Path.Combine(root, orgId.ToString("N"), reference);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
        {
            await file.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path);
        return reference;
    }

    public async Task<string?> GetAsync(Guid orgId, string reference, CancellationToken ct)
    {
        if (!IsReference(reference)) return null;
        var path = Path.Combine(root, orgId.ToString("N"), reference);
        return File.Exists(path) ? await File.ReadAllTextAsync(path, Encoding.UTF8, ct) : null;
    }

    /// <summary>Only the shape this store hands out: no "..", no absolute paths, nothing outside the org's folder.</summary>
    public static bool IsReference(string reference) =>
        reference.Length == 10 + 1 + 32 + 4
        && DateOnly.TryParseExact(reference[..10], "yyyy-MM-dd", out _)
        && reference[10] == '/'
        && reference[11..43].All(Uri.IsHexDigit)
        && reference.EndsWith(".txt", StringComparison.Ordinal);
}
