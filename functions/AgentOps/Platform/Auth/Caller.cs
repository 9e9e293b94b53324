using System.Reflection;

namespace AgentOps.Platform.Auth;

public enum ActorType { User, ApiKey, System }

/// <summary>
/// The authenticated party of a request: a person in one organization (with a role) or an API key (with scopes).
/// Endpoints take it as a parameter; it is bound from the request feature <see cref="Access"/> set
/// (<c>HttpContext.Features</c>, typed: one per request, set once access is granted).
/// </summary>
public sealed record Caller(Guid OrgId, ActorType Type, Guid ActorId, Role? Role, string? Team, Scopes Scopes, Guid? SessionFamilyId, RequestInfo Request)
{
    /// <summary>The person behind the call, when it is one.</summary>
    public Guid? UserId => Type == ActorType.User ? ActorId : null;

    public static ValueTask<Caller?> BindAsync(HttpContext context, ParameterInfo _) =>
        ValueTask.FromResult<Caller?>(context.Features.Get<Caller>()
            ?? throw new InvalidOperationException("Endpoint takes a Caller but is not behind the access filter."));
}
