namespace AgentOps.Providers.Connections;

/// <summary>
/// A provider connection ready to call: the adapter built from its kind, base URL and options, and its credential
/// (decrypted for this call only). <see cref="DefaultModels"/> maps a task (chat, judge, synthetic, …) to a model.
/// </summary>
public sealed record ResolvedConnection(Guid Id, string Name, string Kind, IModelProvider Provider, ProviderCredential Credential,
    IReadOnlyDictionary<string, string> DefaultModels)
{
    /// <summary>When the connection last changed (an edit or a rotation): answers cached before it are not served after it.</summary>
    public DateTimeOffset ChangedAt { get; init; }
}

/// <summary>Finds an organization's active connection by name (or id as text); <see cref="DomainError"/> not found otherwise.</summary>
public interface IConnectionResolver
{
    Task<ResolvedConnection> ResolveAsync(Guid orgId, string nameOrId, CancellationToken ct);
}
