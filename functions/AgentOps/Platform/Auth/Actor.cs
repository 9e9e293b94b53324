namespace AgentOps.Platform.Auth;

/// <summary>Who did something: a person, an API key or the system, and from where (the audit trail's and the events' actor).</summary>
public sealed record Actor(ActorType Type, Guid? Id, RequestInfo Request)
{
    public static Actor Of(Caller caller) => new(caller.Type, caller.ActorId, caller.Request);
    public static Actor User(Guid userId, RequestInfo request) => new(ActorType.User, userId, request);
}
