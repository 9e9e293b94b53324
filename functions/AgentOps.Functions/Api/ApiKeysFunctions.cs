using AgentOps.ApiKeys;

namespace AgentOps.Functions.Api;

/// <summary>/api/v1/api-keys (ApiKeysApi).</summary>
public sealed class ApiKeysFunctions(Db db, Authenticator authenticator, TimeProvider time)
{
    [Function("ApiKeysCreate"), Requires(Permission.ApiKeysWrite)]
    public async Task<IResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/api-keys")] HttpRequest req) =>
        await ApiKeysApi.CreateAsync(await Bind.BodyAsync<ApiKeysApi.CreateApiKeyRequest>(req), Bind.CallerOf(req), db, time, Bind.Aborted(req));

    [Function("ApiKeysList"), Requires(Permission.ApiKeysRead)]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/api-keys")] HttpRequest req) =>
        await ApiKeysApi.ListAsync(Bind.CallerOf(req), db, time, Bind.QueryInt(req, "limit"), Bind.Query(req, "cursor"), Bind.Aborted(req));

    [Function("ApiKeysRevoke"), Requires(Permission.ApiKeysWrite)]
    public async Task<IResult> Revoke([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/api-keys/{id:guid}")] HttpRequest req, Guid id) =>
        await ApiKeysApi.RevokeAsync(id, Bind.CallerOf(req), db, authenticator, time, Bind.Aborted(req));
}
