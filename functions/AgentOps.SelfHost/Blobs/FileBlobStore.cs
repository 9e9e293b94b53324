using System.Text;
using AgentOps.Blobs;

namespace AgentOps.SelfHost.Blobs;

/// <summary>
/// The self-host runtime's blob store: files under AGENTOPS_BLOB_DIR/&lt;org id&gt;/&lt;yyyy-MM-dd&gt;/&lt;uuid&gt;.txt, written to a
/// temporary name, flushed to disk and renamed, so a reference never points at half a file.
/// </summary>
public sealed class FileBlobStore(string root, TimeProvider time) : IBlobStore
{
    public async Task<string> PutAsync(Guid orgId, string text, CancellationToken ct)
    {
        var reference = BlobReferences.New(time);
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
        if (!BlobReferences.IsValid(reference)) return null;
        var path = Path.Combine(root, orgId.ToString("N"), reference);
        return File.Exists(path) ? await File.ReadAllTextAsync(path, Encoding.UTF8, ct) : null;
    }
}
