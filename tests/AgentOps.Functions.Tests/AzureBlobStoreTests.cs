using AgentOps.Functions.Blobs;
using AgentOps.Functions.Tests.Infrastructure;
using AgentOps.IntegrationTests.Infrastructure;
using Azure.Storage.Blobs;

namespace AgentOps.Functions.Tests;

/// <summary>The Azure host's blob store (large event inputs and outputs) against Azurite with the real client.</summary>
public sealed class AzureBlobStoreTests : IAsyncLifetime
{
    private readonly BlobContainerClient _container = new(TestStorage.ConnectionString, AzureBlobStore.ContainerName);
    private AzureBlobStore _store = null!;

    public async Task InitializeAsync()
    {
        await _container.CreateIfNotExistsAsync();
        _store = new AzureBlobStore(_container, TimeProvider.System);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_payload_reads_back_as_written_as_one_text_blob_under_its_organization()
    {
        var org = Guid.NewGuid();
        var text = "Grüße — " + new string('x', 300_000) + " ✓";
        var reference = await _store.PutAsync(org, text, CancellationToken.None);

        Assert.True(AgentOps.Blobs.BlobReferences.IsValid(reference), reference);
        Assert.Equal(text, await _store.GetAsync(org, reference, CancellationToken.None));
        var blob = _container.GetBlobClient($"{org:N}/{reference}");
        Assert.Equal("text/plain; charset=utf-8", (await blob.GetPropertiesAsync()).Value.ContentType);
    }

    [Fact]
    public async Task A_reference_resolves_only_inside_its_organization_and_only_in_the_store_s_shape()
    {
        var org = Guid.NewGuid();
        var reference = await _store.PutAsync(org, "secret of org one", CancellationToken.None);

        Assert.Null(await _store.GetAsync(Guid.NewGuid(), reference, CancellationToken.None));
        Assert.Null(await _store.GetAsync(org, $"{reference[..11]}{Guid.NewGuid():N}.txt", CancellationToken.None)); // well formed, absent
        foreach (var hostile in new[] { $"../{org:N}/{reference}", $"{org:N}/{reference}", "/" + reference, reference + "/../x", "" })
            Assert.Null(await _store.GetAsync(org, hostile, CancellationToken.None));
    }
}
