using AgentOps.Blobs;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace AgentOps.Functions.Blobs;

/// <summary>
/// The Azure host's <see cref="IBlobStore"/> (the self-host runtime's is FileBlobStore): large event inputs and outputs as
/// blobs "&lt;org id&gt;/&lt;reference&gt;" of the container "payloads". References have the application's one shape
/// (<see cref="BlobReferences"/>: yyyy-MM-dd/&lt;uuid&gt;.txt) and are checked with <see cref="BlobReferences.IsValid"/> before use, so a
/// reference only ever resolves inside the caller's organization. One upload is one Put Blob, so a reference never
/// points at half a payload.
/// </summary>
public sealed class AzureBlobStore(BlobContainerClient container, TimeProvider time) : IBlobStore
{
    public const string ContainerName = "payloads";

    public async Task<string> PutAsync(Guid orgId, string text, CancellationToken ct)
    {
        var reference = BlobReferences.New(time);
        var upload = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "text/plain; charset=utf-8" } };
        await container.GetBlobClient(BlobName(orgId, reference)).UploadAsync(BinaryData.FromString(text), upload, ct);
        return reference;
    }

    public async Task<string?> GetAsync(Guid orgId, string reference, CancellationToken ct)
    {
        if (!BlobReferences.IsValid(reference)) return null;
        try { return (await container.GetBlobClient(BlobName(orgId, reference)).DownloadContentAsync(ct)).Value.Content.ToString(); }
        catch (RequestFailedException e) when (e.Status == 404) { return null; }
    }

    private static string BlobName(Guid orgId, string reference) => $"{orgId:N}/{reference}";
}
