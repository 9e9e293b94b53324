using Azure;
using Azure.Storage.Blobs;

namespace AgentOps.Functions.Ingest;

/// <summary>
/// The claim-check payloads of ingest batches too large for a queue message (<see cref="IngestBatchMessage"/>),
/// in the container "ingest-batches". Written before the message is sent, deleted after the batch is processed;
/// a lifecycle rule (infra/resources.bicep) removes what a failed send or delete leaves behind.
/// </summary>
public sealed class IngestBatchBlobs(BlobContainerClient container)
{
    public const string ContainerName = "ingest-batches";

    public Task PutAsync(string name, byte[] payload, CancellationToken ct) =>
        container.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(payload), overwrite: true, ct);

    /// <summary>The payload; null when the blob does not exist.</summary>
    public async Task<byte[]?> GetAsync(string name, CancellationToken ct)
    {
        try { return (await container.GetBlobClient(name).DownloadContentAsync(ct)).Value.Content.ToArray(); }
        catch (RequestFailedException e) when (e.Status == 404) { return null; }
    }

    public Task DeleteAsync(string name, CancellationToken ct) => container.GetBlobClient(name).DeleteIfExistsAsync(cancellationToken: ct);
}
