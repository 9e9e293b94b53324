using System.Text.Json;
using AgentOps.Audit;
using Microsoft.Extensions.Logging;

namespace AgentOps.Providers.Connections;

/// <summary>A connection as the API shows it: everything but the secret, of which only a hint (its last characters) and whether there is one.</summary>
public sealed record ConnectionView(Guid Id, string Name, string Kind, string? BaseUrl, ConnectionOptions Options, DeclaredModel[] Models,
    Dictionary<string, string> DefaultModels, bool Active, bool HasSecret, string? SecretHint, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    DateTimeOffset? RotatedAt, Guid? CreatedBy)
{
    public static ConnectionView Of(Connection c) => new(c.Id, c.Draft.Name, c.Draft.Kind, c.Draft.BaseUrl, c.Draft.Options, c.Draft.Models,
        c.Draft.DefaultModels, c.Draft.Active, c.Ciphertext is not null, c.SecretHint, c.CreatedAt, c.UpdatedAt, c.RotatedAt, c.CreatedBy);
}

/// <summary>What a rotation's audit entry shows: the hints and when, never the secret.</summary>
public sealed record RotationView(string? SecretHint, DateTimeOffset? RotatedAt);

/// <summary>
/// Provider connections' use cases: create, list, read, change, rotate the secret, delete (each audited with views that
/// never hold the secret or its ciphertext), and <see cref="ResolveAsync"/> for the model-calling slices, which opens
/// the secret for one call and builds the adapter. Secrets are sealed with <see cref="SecretBox"/> (AES-256-GCM bound to
/// the organization and the connection) and are never returned, logged or audited.
/// </summary>
public sealed class ProviderConnectionService(Db db, SecretBox box, ProviderHttp http, TimeProvider time, ILogger<ProviderConnectionService> logger) : IConnectionResolver
{
    public Task<ConnectionView> CreateAsync(Caller caller, ConnectionDraft draft, string? secret, CancellationToken ct) =>
        NamedAsync(db.InOrgAsync(caller.OrgId, async tx =>
        {
            await ProviderConnectionStore.LockCreationsAsync(tx, ct);
            if (await ProviderConnectionStore.CountAsync(tx, ct) >= ConnectionRules.MaxConnections)
                throw DomainError.Conflict("provider_connection_limit", $"An organization has at most {ConnectionRules.MaxConnections} provider connections.");
            var id = Guid.CreateVersion7();
            var sealedSecret = secret is null ? null : box.Seal(secret, SecretBox.ConnectionData(tx.OrgId, id));
            var created = await ProviderConnectionStore.InsertAsync(tx, id, draft, sealedSecret, secret is null ? null : ConnectionRules.Hint(secret), caller.UserId, ct);
            var view = ConnectionView.Of(created);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "provider_connection.created", "provider_connection", id, null, view, ct);
            return view;
        }, ct));

    public Task<List<ConnectionView>> PageAsync(Guid orgId, string? kind, bool? active, Guid after, int take, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx => (await ProviderConnectionStore.PageAsync(tx, kind, active, after, take, ct)).Select(ConnectionView.Of).ToList(), ct);

    public Task<ConnectionView> GetAsync(Guid orgId, Guid id, CancellationToken ct) =>
        db.InOrgAsync(orgId, async tx => ConnectionView.Of(await ProviderConnectionStore.ReadAsync(tx, id, ct) ?? throw DomainError.NotFound("provider connection")), ct);

    /// <summary>Applies <paramref name="edit"/> (which may refuse) to the connection as it is; the kind and the secret do not change here.</summary>
    public Task<ConnectionView> UpdateAsync(Caller caller, Guid id, Func<ConnectionDraft, ConnectionDraft> edit, CancellationToken ct) =>
        NamedAsync(db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await ProviderConnectionStore.LockAsync(tx, id, ct) ?? throw DomainError.NotFound("provider connection");
            var after = await ProviderConnectionStore.UpdateAsync(tx, id, edit(before.Draft) with { Kind = before.Draft.Kind }, ct);
            var view = ConnectionView.Of(after);
            if (Same(ConnectionView.Of(before), view))
                return view;
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "provider_connection.updated", "provider_connection", id, ConnectionView.Of(before), view, ct);
            return view;
        }, ct));

    public Task<ConnectionView> RotateAsync(Caller caller, Guid id, string secret, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await ProviderConnectionStore.LockAsync(tx, id, ct) ?? throw DomainError.NotFound("provider connection");
            if (before.Draft.Kind == "simulated")
                throw DomainError.Conflict("provider_connection_without_secret", "A simulated connection has no secret to rotate.");
            var after = await ProviderConnectionStore.SetSecretAsync(tx, id, box.Seal(secret, SecretBox.ConnectionData(tx.OrgId, id)), ConnectionRules.Hint(secret), rotated: true, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "provider_connection.rotated", "provider_connection", id,
                new RotationView(before.SecretHint, before.RotatedAt), new RotationView(after.SecretHint, after.RotatedAt), ct);
            return ConnectionView.Of(after);
        }, ct);

    public Task DeleteAsync(Caller caller, Guid id, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            var before = await ProviderConnectionStore.LockAsync(tx, id, ct) ?? throw DomainError.NotFound("provider connection");
            await ProviderConnectionStore.DeleteAsync(tx, id, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "provider_connection.deleted", "provider_connection", id, ConnectionView.Of(before), null, ct);
        }, ct);

    /// <summary>The organization's active connection named <paramref name="nameOrId"/> (or with that id), its secret opened for this call.</summary>
    public async Task<ResolvedConnection> ResolveAsync(Guid orgId, string nameOrId, CancellationToken ct)
    {
        var connection = await db.InOrgAsync(orgId, tx => Guid.TryParse(nameOrId, out var id)
            ? ProviderConnectionStore.ReadAsync(tx, id, ct)
            : ProviderConnectionStore.ReadByNameAsync(tx, nameOrId, ct), ct);
        if (connection is not { Draft.Active: true }) throw DomainError.NotFound("provider connection");
        string secret;
        try
        {
            secret = connection is { Ciphertext: { } ciphertext, KeyId: { } keyId } ? box.Open(ciphertext, keyId, SecretBox.ConnectionData(orgId, connection.Id)) : "";
        }
        catch (SecretBoxException e)
        {
            logger.LogError("Provider connection {ConnectionId} of organization {OrgId}: {Reason}", connection.Id, orgId, e.Message);
            throw DomainError.Conflict("provider_secret_unreadable",
                "The connection's secret cannot be decrypted with the configured keys; an admin must rotate it (or restore the master key).");
        }
        return new ResolvedConnection(connection.Id, connection.Draft.Name, connection.Draft.Kind, ConnectionAdapters.Build(connection.Draft, http.Client, time),
            new ProviderCredential(secret), connection.Draft.DefaultModels)
        {
            ChangedAt = connection.RotatedAt is { } rotated && rotated > connection.UpdatedAt ? rotated : connection.UpdatedAt,
        };
    }

    /// <summary>
    /// Re-seals under the current master key every secret sealed under a retired one (after a key rotation), in every
    /// organization; secrets that do not open are left as they are and reported. Returns how many were re-sealed.
    /// </summary>
    public async Task<int> ResealAsync(CancellationToken ct)
    {
        var current = box.Keys.CurrentId;
        var orgs = await db.AcrossOrgsAsync(orgs => ProviderConnectionStore.StaleKeyOrgsAsync(orgs.Unscoped, current, ct), ct);
        var resealed = 0;
        foreach (var orgId in orgs)
            resealed += await db.InOrgAsync(orgId, async tx =>
            {
                var count = 0;
                foreach (var c in await ProviderConnectionStore.LockStaleAsync(tx, current, ct))
                {
                    var data = SecretBox.ConnectionData(orgId, c.Id);
                    try
                    {
                        var secret = box.Open(c.Ciphertext!, c.KeyId!, data);
                        await ProviderConnectionStore.SetSecretAsync(tx, c.Id, box.Seal(secret, data), c.SecretHint!, rotated: false, ct);
                        count++;
                    }
                    catch (SecretBoxException e)
                    {
                        logger.LogError("Provider connection {ConnectionId} of organization {OrgId} was not re-sealed: {Reason}", c.Id, orgId, e.Message);
                    }
                }
                return count;
            }, ct);
        return resealed;
    }

    private static bool Same(ConnectionView a, ConnectionView b) =>
        JsonSerializer.Serialize(a with { UpdatedAt = default }, Json.Options) == JsonSerializer.Serialize(b with { UpdatedAt = default }, Json.Options);

    /// <summary>A name another connection of the organization has, on create and on rename alike: a conflict, nothing changed.</summary>
    private static async Task<ConnectionView> NamedAsync(Task<ConnectionView> write)
    {
        try { return await write; }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: ProviderConnectionStore.NameKey })
        {
            throw DomainError.Conflict("provider_connection_exists", "A provider connection with this name exists in this organization.");
        }
    }
}

/// <summary>At start-up, re-seals secrets sealed under a retired master key (<see cref="ProviderConnectionService.ResealAsync"/>).</summary>
public sealed class SecretResealer(ProviderConnectionService connections, ILogger<SecretResealer> logger) : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var count = await connections.ResealAsync(stoppingToken);
            if (count > 0) logger.LogInformation("Re-sealed {Count} provider connection secrets under the current master key.", count);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not fatal: the secrets still open under the retired key while it is configured; the next start tries again.
            logger.LogWarning("Re-sealing provider connection secrets failed: {Error}", e.Message);
        }
    }
}
