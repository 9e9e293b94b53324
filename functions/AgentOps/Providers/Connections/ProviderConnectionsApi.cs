namespace AgentOps.Providers.Connections;

/// <summary>
/// Provider connections over HTTP: binding, shape checks and answers; <see cref="ProviderConnectionService"/> holds the
/// use cases. The secret goes in (create, rotate) and never comes out: responses show only its hint.
/// </summary>
public static class ProviderConnectionsApi
{
    public static void MapProviderConnectionsApi(this RouteGroupBuilder api)
    {
        var connections = api.MapGroup("/providers/connections").WithTags("Provider connections");
        connections.MapPost("/", CreateAsync).Requires(Permission.ProvidersWrite).WithName("createProviderConnection").Problems(409)
            .WithSummary("Create a provider connection (the secret is stored encrypted and never returned)");
        connections.MapGet("/", ListAsync).Requires(Permission.ProvidersRead).WithName("listProviderConnections").WithSummary("Provider connections (never the secret)");
        connections.MapGet("/{id:guid}", GetAsync).Requires(Permission.ProvidersRead).WithName("getProviderConnection").WithSummary("A provider connection (never the secret)");
        connections.MapPatch("/{id:guid}", UpdateAsync).Requires(Permission.ProvidersWrite).WithName("updateProviderConnection").Problems(409)
            .WithSummary("Change a provider connection (absent fields stay; the kind and the secret do not change here)");
        connections.MapPost("/{id:guid}/rotate", RotateAsync).Requires(Permission.ProvidersWrite).WithName("rotateProviderConnectionSecret").Problems(409)
            .WithSummary("Replace a provider connection's secret");
        connections.MapDelete("/{id:guid}", DeleteAsync).Requires(Permission.ProvidersWrite).WithName("deleteProviderConnection").WithSummary("Delete a provider connection");
    }

    public sealed record CreateConnectionRequest(string? Name, string? Kind, string? BaseUrl, ConnectionOptionsRequest? Options, DeclaredModelRequest[]? Models,
        Dictionary<string, string>? DefaultModels, string? Secret, bool? Active);

    public sealed record UpdateConnectionRequest(Optional<string> Name, Optional<string?> BaseUrl, Optional<ConnectionOptionsRequest?> Options,
        Optional<DeclaredModelRequest[]?> Models, Optional<Dictionary<string, string>?> DefaultModels, Optional<bool> Active);

    /// <summary>The options as a request gives them (which ones a kind takes: <see cref="ConnectionOptions"/>).</summary>
    public sealed record ConnectionOptionsRequest(string? ApiVersion, string? Deployment, string? Path, string? Version, string? Safety, int? TimeoutSeconds,
        int? Seed, int? LatencyMs, double? ErrorRate, int? Words)
    {
        public ConnectionOptions ToOptions() => new()
        {
            ApiVersion = ApiVersion, Deployment = Deployment, Path = Path, Version = Version, Safety = Safety, TimeoutSeconds = TimeoutSeconds, Seed = Seed,
            LatencyMs = LatencyMs, ErrorRate = ErrorRate, Words = Words,
        };
    }

    /// <summary>A declared model as a request gives it; both fields are checked, with every error at once.</summary>
    public sealed record DeclaredModelRequest(string? Name, string[]? Capabilities);

    private static DeclaredModel[]? Models(DeclaredModelRequest[]? models) => models?.Select(m => m is null ? null! : new DeclaredModel(m.Name!, m.Capabilities!)).ToArray();

    public sealed record RotateSecretRequest(string? Secret);

    public static async Task<Created<ConnectionView>> CreateAsync(CreateConnectionRequest body, Caller caller, ProviderConnectionService connections,
        ProvidersOptions options, CancellationToken ct)
    {
        var v = new Validation();
        if (body.Kind is not null && ConnectionRules.Kinds.Contains(body.Kind)) ConnectionRules.CheckSecret(v, "$.secret", body.Kind, body.Secret);
        var draft = ConnectionRules.Check(v, body.Name, body.Kind, body.BaseUrl, body.Options?.ToOptions(), Models(body.Models), body.DefaultModels, body.Active ?? true,
            options.AllowPrivateEndpoints);
        return TypedResults.Created((string?)null, await connections.CreateAsync(caller, draft, draft.Kind == "simulated" ? null : body.Secret, ct));
    }

    public static async Task<Ok<Page<ConnectionView>>> ListAsync(Caller caller, ProviderConnectionService connections, string? kind, bool? active, int? limit,
        string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        if (kind is not null && !ConnectionRules.Kinds.Contains(kind))
            throw DomainError.Invalid("kind", $"must be one of {string.Join(", ", ConnectionRules.Kinds)}.");
        return TypedResults.Ok(Paging.Of(await connections.PageAsync(caller.OrgId, kind, active, after, take + 1, ct), take, c => c.Id));
    }

    public static async Task<Ok<ConnectionView>> GetAsync(Guid id, Caller caller, ProviderConnectionService connections, CancellationToken ct) =>
        TypedResults.Ok(await connections.GetAsync(caller.OrgId, id, ct));

    public static async Task<Ok<ConnectionView>> UpdateAsync(Guid id, UpdateConnectionRequest body, Caller caller, ProviderConnectionService connections,
        ProvidersOptions options, CancellationToken ct) =>
        TypedResults.Ok(await connections.UpdateAsync(caller, id, before => ConnectionRules.Check(new Validation(), body.Name.Or(before.Name), before.Kind,
            body.BaseUrl.IsSet ? body.BaseUrl.Value : before.BaseUrl, body.Options.IsSet ? body.Options.Value?.ToOptions() : before.Options,
            body.Models.IsSet ? Models(body.Models.Value) : before.Models, body.DefaultModels.IsSet ? body.DefaultModels.Value : before.DefaultModels,
            body.Active.IsSet ? body.Active.Value : before.Active, options.AllowPrivateEndpoints), ct));

    public static async Task<Ok<ConnectionView>> RotateAsync(Guid id, RotateSecretRequest body, Caller caller, ProviderConnectionService connections, CancellationToken ct)
    {
        var v = new Validation();
        var secret = ConnectionRules.CheckSecret(v, "$.secret", "openai", body.Secret);
        v.ThrowIfInvalid();
        return TypedResults.Ok(await connections.RotateAsync(caller, id, secret!, ct));
    }

    public static async Task<NoContent> DeleteAsync(Guid id, Caller caller, ProviderConnectionService connections, CancellationToken ct)
    {
        await connections.DeleteAsync(caller, id, ct);
        return TypedResults.NoContent();
    }
}
