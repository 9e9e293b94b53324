using AgentOps.Platform;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Blobs;

public sealed class BlobsModule : IFeatureModule
{
    public void AddServices(IServiceCollection services, Settings settings) =>
        services.AddSingleton<IBlobStore>(sp => new FileBlobStore(Path.GetFullPath(sp.GetRequiredService<AgentOpsOptions>().BlobDirectory), sp.GetRequiredService<TimeProvider>()));
}
