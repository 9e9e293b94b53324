using AgentOps.Platform.Auth;
using AgentOps.Platform.Http;

namespace AgentOps.Tests;

internal static class TestCallers
{
    private static readonly RequestInfo Request = new("127.0.0.1", "tests");

    public static Caller User(Role role, string? team = null) =>
        new(Guid.NewGuid(), ActorType.User, Guid.NewGuid(), role, team, Scopes.None, Guid.NewGuid(), Request);

    public static Caller Key(Scopes scopes) =>
        new(Guid.NewGuid(), ActorType.ApiKey, Guid.NewGuid(), null, null, scopes, null, Request);
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;
    public override DateTimeOffset GetUtcNow() => Now;
}
