namespace AgentOps.Auth;

/// <summary>
/// The auth API over HTTP (signup, login, token refresh with reuse detection, logout, accepting an invitation):
/// binding, shape checks, rate limits and answers; <see cref="AuthService"/> holds the use cases.
/// </summary>
public static class AuthApi
{
    public static void MapAuthApi(this RouteGroupBuilder api)
    {
        var auth = api.MapGroup("/auth").WithTags("Auth");
        auth.MapPost("/signup", SignupAsync).Anonymous().WithName("signUp").Problems(409, 429).WithSummary("Create an organization and its first admin");
        auth.MapPost("/login", LoginAsync).Anonymous().WithName("logIn").Problems(429).WithSummary("Exchange e-mail and password for tokens");
        auth.MapPost("/refresh-token", RefreshAsync).Anonymous().WithName("refreshToken").WithSummary("Rotate a refresh token for a new token pair");
        auth.MapPost("/accept-invite", AcceptInvitationAsync).Anonymous().WithName("acceptInvite").Problems(404, 410).WithSummary("Join an organization with an invitation token");
        auth.MapPost("/logout", LogoutAsync).Requires(Permission.UserSession).WithName("logOut").WithSummary("End this login session");
    }

    public sealed record SignupRequest(string? OrgName, string? Email, string? Password, string? Name);
    public sealed record LoginRequest(string? Email, string? Password, Guid? OrgId);
    public sealed record RefreshRequest(string? RefreshToken);
    public sealed record AcceptInvitationRequest(string? Token, string? Password, string? Name);

    public static async Task<Created<SessionResponse>> SignupAsync(SignupRequest body, RequestInfo request, AuthService auth, RateLimits limits, CancellationToken ct)
    {
        var v = new Validation();
        var orgName = v.RequiredText("$.org_name", body.OrgName, 200);
        var email = v.Email("$.email", body.Email);
        var name = v.Text("$.name", body.Name, 200, 0) ?? "";
        Passwords.Check(v, "$.password", body.Password, email);
        v.ThrowIfInvalid();
        limits.Signup(request.Ip);
        return TypedResults.Created("/api/v1/orgs/profile", await auth.SignUpAsync(orgName!, email!, name, body.Password!, VisitorOf(request), ct));
    }

    public static async Task<Ok<SessionResponse>> LoginAsync(LoginRequest body, RequestInfo request, AuthService auth, RateLimits limits, CancellationToken ct)
    {
        var v = new Validation();
        var email = v.RequiredText("$.email", body.Email, 320)?.ToLowerInvariant();
        if (body.Password is null) v.Add("$.password", "is required.");
        v.ThrowIfInvalid();
        limits.Login(email!, request.Ip);
        return TypedResults.Ok(await auth.LogInAsync(email!, body.Password!, body.OrgId, VisitorOf(request), ct));
    }

    public static async Task<Ok<SessionResponse>> RefreshAsync(RefreshRequest body, RequestInfo request, AuthService auth, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(body.RefreshToken)) throw DomainError.Invalid("$.refresh_token", "is required.");
        return TypedResults.Ok(await auth.RefreshAsync(body.RefreshToken, VisitorOf(request), ct));
    }

    public static async Task<NoContent> LogoutAsync(Caller caller, AuthService auth, CancellationToken ct)
    {
        await auth.LogOutAsync(caller, ct);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<SessionResponse>> AcceptInvitationAsync(AcceptInvitationRequest body, RequestInfo request, AuthService auth, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(body.Token) || !body.Token.StartsWith(Secrets.InvitationMarker, StringComparison.Ordinal)) throw AuthService.InvitationNotFound();
        if (body.Password is null) throw DomainError.Invalid("$.password", "is required.");
        return TypedResults.Ok(await auth.AcceptInvitationAsync(body.Token, body.Password, body.Name, VisitorOf(request), ct));
    }

    /// <summary>The request's client as the use cases see it: its address, and the audit actor of the user it turns out to be.</summary>
    private static Visitor VisitorOf(RequestInfo request) => new(request.Ip, userId => Actor.User(userId, request));
}
