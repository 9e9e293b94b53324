namespace AgentOps.ApiKeys;

/// <summary>The API keys API over HTTP: binding, shape checks and answers; <see cref="ApiKeyService"/> holds the use cases.</summary>
public static class ApiKeysApi
{
    /// <summary>The longest lifetime a key may be given; keys without expires_at never expire.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(3650);

    public static void MapApiKeysApi(this RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/api-keys").WithTags("API keys");
        keys.MapPost("/", CreateAsync).Requires(Permission.ApiKeysWrite).WithName("createApiKey").WithSummary("Create a key (the key is in this response only)");
        keys.MapGet("/", ListAsync).Requires(Permission.ApiKeysRead).WithName("listApiKeys").WithSummary("Keys of the organization (never the secret)");
        keys.MapDelete("/{id:guid}", RevokeAsync).Requires(Permission.ApiKeysWrite).WithName("revokeApiKey").WithSummary("Revoke a key (takes effect at once)");
    }

    public sealed record CreateApiKeyRequest(string? Name, string[]? Scopes, DateTimeOffset? ExpiresAt);

    public static async Task<Created<CreatedApiKey>> CreateAsync(CreateApiKeyRequest body, Caller caller, ApiKeyService keys, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var v = new Validation();
        var name = v.RequiredText("$.name", body.Name, 100);
        var scopes = Scopes.None;
        if (body.Scopes is null or { Length: 0 }) v.Add("$.scopes", "must list at least one of ingest, read, write, admin.");
        else
            for (var i = 0; i < body.Scopes.Length; i++)
                if (Rbac.ParseScope(body.Scopes[i]) is { } s) scopes |= s;
                else v.Add($"$.scopes[{i}]", "must be one of ingest, read, write, admin.");
        if (body.ExpiresAt is { } exp && (exp <= now || exp > now + MaxLifetime))
            v.Add("$.expires_at", $"must be in the future and at most {MaxLifetime.TotalDays:0} days away.");
        v.ThrowIfInvalid();
        return TypedResults.Created((string?)null, await keys.CreateAsync(caller, new ApiKeyFields(name!, scopes, body.ExpiresAt), ct));
    }

    public static async Task<Ok<Page<ApiKeyView>>> ListAsync(Caller caller, ApiKeyService keys, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        return TypedResults.Ok(Paging.Of(await keys.PageAsync(caller.OrgId, after, take + 1, ct), take, k => k.Id));
    }

    /// <summary>Idempotent: revoking a revoked key answers 204 and changes (and audits) nothing.</summary>
    public static async Task<NoContent> RevokeAsync(Guid id, Caller caller, ApiKeyService keys, CancellationToken ct)
    {
        await keys.RevokeAsync(caller, id, ct);
        return TypedResults.NoContent();
    }
}
