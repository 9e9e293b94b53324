using AgentOps.Auth;
using Microsoft.Extensions.Logging;

namespace AgentOps.Functions.Api;

/// <summary>POST /api/v1/auth/* (AuthApi).</summary>
public sealed class AuthFunctions(Db db, Sessions sessions, RateLimits limits, TimeProvider time, ILoggerFactory loggers)
{
    [Function("AuthSignup"), AnonymousRoute]
    public async Task<IResult> Signup([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/auth/signup")] HttpRequest req) =>
        await AuthApi.SignupAsync(await Bind.BodyAsync<AuthApi.SignupRequest>(req), Bind.Info(req), db, sessions, limits, Bind.Aborted(req));

    [Function("AuthLogin"), AnonymousRoute]
    public async Task<IResult> Login([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/auth/login")] HttpRequest req) =>
        await AuthApi.LoginAsync(await Bind.BodyAsync<AuthApi.LoginRequest>(req), Bind.Info(req), db, sessions, limits, loggers, Bind.Aborted(req));

    [Function("AuthRefreshToken"), AnonymousRoute]
    public async Task<IResult> Refresh([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/auth/refresh-token")] HttpRequest req) =>
        await AuthApi.RefreshAsync(await Bind.BodyAsync<AuthApi.RefreshRequest>(req), Bind.Info(req), db, sessions, time, Bind.Aborted(req));

    [Function("AuthAcceptInvite"), AnonymousRoute]
    public async Task<IResult> AcceptInvitation([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/auth/accept-invite")] HttpRequest req) =>
        await AuthApi.AcceptInvitationAsync(await Bind.BodyAsync<AuthApi.AcceptInvitationRequest>(req), Bind.Info(req), db, sessions, limits, time, Bind.Aborted(req));

    [Function("AuthLogout"), Requires(Permission.UserSession)]
    public async Task<IResult> Logout([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/auth/logout")] HttpRequest req) =>
        await AuthApi.LogoutAsync(Bind.CallerOf(req), db, Bind.Aborted(req));
}
