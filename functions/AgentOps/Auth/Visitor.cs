namespace AgentOps.Auth;

/// <summary>
/// Where a request that comes before any login (sign-up, login, refresh, accepting an invitation) comes from: the
/// client's address (rate limits, the failed-login log) and the audit actor a user is, once the use case knows who.
/// </summary>
public sealed class Visitor(string? ip, Func<Guid, Actor> actorFor)
{
    public string? Ip { get; } = ip;

    public Actor As(Guid userId) => actorFor(userId);
}
