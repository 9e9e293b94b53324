namespace AgentOps.Blobs;

/// <summary>Payload blobs: the application knows only IBlobStore; each runtime registers its store (self-host: a folder; Azure: Blob Storage).</summary>
public sealed class BlobsModule : IFeatureModule;
