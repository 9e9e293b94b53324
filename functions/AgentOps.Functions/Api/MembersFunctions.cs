using AgentOps.Platform;
using AgentOps.Tenancy;

namespace AgentOps.Functions.Api;

/// <summary>/api/v1/org-members (MembersApi). The {id:guid} constraint matches the self-host's: other ids are 404s.</summary>
public sealed class MembersFunctions(Db db, AgentOpsOptions options, TimeProvider time)
{
    [Function("MembersInvite"), Requires(Permission.MembersWrite)]
    public async Task<IResult> Invite([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/org-members")] HttpRequest req) =>
        await MembersApi.InviteAsync(await Bind.BodyAsync<MembersApi.InviteRequest>(req), Bind.CallerOf(req), db, options, time, Bind.Aborted(req));

    [Function("MembersList"), Requires(Permission.MembersRead)]
    public async Task<IResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/v1/org-members")] HttpRequest req) =>
        await MembersApi.ListAsync(Bind.CallerOf(req), db, Bind.QueryInt(req, "limit"), Bind.Query(req, "cursor"), Bind.Aborted(req));

    [Function("MembersUpdate"), Requires(Permission.MembersWrite)]
    public async Task<IResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "api/v1/org-members/{id:guid}")] HttpRequest req, Guid id) =>
        await MembersApi.UpdateAsync(id, await Bind.BodyAsync<MembersApi.UpdateMemberRequest>(req), Bind.CallerOf(req), db, Bind.Aborted(req));

    [Function("MembersRemove"), Requires(Permission.MembersWrite)]
    public async Task<IResult> Remove([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "api/v1/org-members/{id:guid}")] HttpRequest req, Guid id) =>
        await MembersApi.RemoveAsync(id, Bind.CallerOf(req), db, Bind.Aborted(req));
}
