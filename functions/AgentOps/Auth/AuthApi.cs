using AgentOps.Audit;
using AgentOps.Tenancy;
using Microsoft.Extensions.Logging;

namespace AgentOps.Auth;

/// <summary>Signup, login, token refresh with reuse detection, logout, and accepting an invitation.</summary>
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

    public sealed record SessionResponse(string AccessToken, string TokenType, int ExpiresIn, string RefreshToken,
        DateTimeOffset RefreshExpiresAt, UserView User, OrgView Organization, string Role)
    {
        public static SessionResponse Of(TokenPair t, UserView user, OrgView org, string role) =>
            new(t.AccessToken, t.TokenType, t.ExpiresIn, t.RefreshToken, t.RefreshExpiresAt, user, org, role);
    }

    public static async Task<Created<SessionResponse>> SignupAsync(SignupRequest body, RequestInfo request, Db db, Sessions sessions,
        RateLimits limits, CancellationToken ct)
    {
        var v = new Validation();
        var orgName = v.RequiredText("$.org_name", body.OrgName, 200);
        var email = v.Email("$.email", body.Email);
        var name = v.Text("$.name", body.Name, 200, 0) ?? "";
        Passwords.Check(v, "$.password", body.Password, email);
        v.ThrowIfInvalid();
        limits.Signup(request.Ip);

        var hash = Passwords.Hash(body.Password!);
        var (orgId, userId, memberId) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        try
        {
            var response = await db.InOrgAsync(orgId, async tx =>
            {
                var org = await TenancyStore.CreateOrganizationAsync(tx, orgName!, ct);
                await tx.ExecuteAsync("INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4)", ct, userId, email, name, hash);
                var member = await TenancyStore.AddFirstAdminAsync(tx, memberId, userId, email!, ct);
                var actor = Actor.User(userId, request);
                await AuditLog.RecordAsync(tx, actor, "org.created", "organization", orgId, null, org, ct);
                await AuditLog.RecordAsync(tx, actor, "member.joined", "member", memberId, null, member, ct);
                var tokens = await sessions.IssueAsync(tx, userId, Guid.CreateVersion7(), ct);
                return SessionResponse.Of(tokens, new UserView(userId, email!, name), org, "admin");
            }, ct);
            return TypedResults.Created("/api/v1/orgs/profile", response);
        }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "users_email_key" })
        {
            throw ApiProblem.Conflict("email_taken", "An account with this e-mail address exists. Log in, or ask an admin of the other organization to invite you.");
        }
    }

    private sealed record Candidate(Guid UserId, string Hash, Guid? OrgId, string? Role);

    public static async Task<Ok<SessionResponse>> LoginAsync(LoginRequest body, RequestInfo request, Db db, Sessions sessions,
        RateLimits limits, ILoggerFactory loggers, CancellationToken ct)
    {
        var v = new Validation();
        var email = v.RequiredText("$.email", body.Email, 320)?.ToLowerInvariant();
        if (body.Password is null) v.Add("$.password", "is required.");
        v.ThrowIfInvalid();
        limits.Login(email!, request.Ip);

        var candidates = await db.WithoutOrgAsync(tx => tx.ListAsync(
            "SELECT user_id, password_hash, org_id, role FROM auth_login_candidates($1)",
            r => new Candidate(r.GetGuid(0), r.GetString(1), r.NullableGuid(2), r.NullableString(3)), ct, email), ct);
        var outcome = Passwords.Verify(candidates.FirstOrDefault()?.Hash, body.Password!);
        if (outcome == Passwords.Outcome.Failed)
        {
            loggers.CreateLogger("AgentOps.Auth").LogWarning("Login failed for {UserId} from {Ip}", candidates.FirstOrDefault()?.UserId, request.Ip);
            throw ApiProblem.Unauthorized("invalid_credentials", "The e-mail address or password is wrong.");
        }
        var membership = candidates.FirstOrDefault(c => c.OrgId is not null && (body.OrgId is null || c.OrgId == body.OrgId))
            ?? throw ApiProblem.Forbidden("no_membership", body.OrgId is null
                ? "This account is not an active member of any organization."
                : "This account is not an active member of that organization.");

        var response = await db.InOrgAsync(membership.OrgId!.Value, async tx =>
        {
            if (outcome == Passwords.Outcome.SuccessRehashNeeded)
                await tx.ExecuteAsync("UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1", ct, membership.UserId, Passwords.Hash(body.Password!));
            var org = (await tx.SingleAsync($"SELECT {OrgView.Columns} FROM organizations", OrgView.Read, ct))!;
            var user = (await tx.SingleAsync("SELECT id, email, name FROM users WHERE id = $1", r => new UserView(r.GetGuid(0), r.GetString(1), r.GetString(2)), ct, membership.UserId))!;
            var family = Guid.CreateVersion7();
            var tokens = await sessions.IssueAsync(tx, user.Id, family, ct);
            await AuditLog.RecordAsync(tx, Actor.User(user.Id, request), "auth.login", "session", family, null, null, ct);
            return SessionResponse.Of(tokens, user, org, membership.Role!);
        }, ct);
        return TypedResults.Ok(response);
    }

    private sealed record RefreshRow(Guid UserId, Guid FamilyId, DateTimeOffset? UsedAt, DateTimeOffset? RevokedAt, DateTimeOffset ExpiresAt);

    public static async Task<Ok<SessionResponse>> RefreshAsync(RefreshRequest body, RequestInfo request, Db db, Sessions sessions,
        TimeProvider time, CancellationToken ct)
    {
        var invalid = ApiProblem.Unauthorized("invalid_refresh_token", "The refresh token is not valid.");
        if (string.IsNullOrEmpty(body.RefreshToken)) throw ApiProblem.Validation(new Dictionary<string, string[]> { ["$.refresh_token"] = ["is required."] });
        var hash = Secrets.Hash(body.RefreshToken);
        var orgId = await db.WithoutOrgAsync(tx => tx.ScalarAsync<Guid?>("SELECT auth_refresh_session_org($1)", ct, hash), ct) ?? throw invalid;

        // Failures that must still commit (revoking a family) return a problem instead of throwing inside the transaction.
        var (response, problem) = await db.InOrgAsync<(SessionResponse?, ApiProblem?)>(orgId, async tx =>
        {
            var row = await tx.SingleAsync("SELECT user_id, family_id, used_at, revoked_at, expires_at FROM refresh_sessions WHERE token_hash = $1 FOR UPDATE",
                r => new RefreshRow(r.GetGuid(0), r.GetGuid(1), r.NullableTime(2), r.NullableTime(3), r.Time(4)), ct, hash);
            if (row is null) return (null, invalid);
            if (row.RevokedAt is not null) return (null, ApiProblem.Unauthorized("session_revoked", "This session has ended. Log in again."));
            var actor = Actor.User(row.UserId, request);
            if (row.UsedAt is not null)
            {
                await Sessions.RevokeFamilyAsync(tx, row.FamilyId, ct);
                await AuditLog.RecordAsync(tx, actor, "auth.refresh_token_reused", "session", row.FamilyId, null, new { revoked = "session_family" }, ct);
                return (null, ApiProblem.Unauthorized("refresh_token_reused",
                    "This refresh token was already used. Every token of this session is now revoked; log in again."));
            }
            if (row.ExpiresAt <= time.GetUtcNow()) return (null, ApiProblem.Unauthorized("refresh_token_expired", "The refresh token has expired. Log in again."));
            var role = await tx.ScalarAsync<string>("SELECT role FROM organization_members WHERE user_id = $1 AND status = 'active'", ct, row.UserId);
            if (role is null)
            {
                await Sessions.RevokeFamilyAsync(tx, row.FamilyId, ct);
                return (null, ApiProblem.Unauthorized("session_revoked", "You are no longer a member of this organization."));
            }
            await tx.ExecuteAsync("UPDATE refresh_sessions SET used_at = now() WHERE token_hash = $1", ct, hash);
            var tokens = await sessions.IssueAsync(tx, row.UserId, row.FamilyId, ct);
            await AuditLog.RecordAsync(tx, actor, "auth.token_refreshed", "session", row.FamilyId, null, null, ct);
            var org = (await tx.SingleAsync($"SELECT {OrgView.Columns} FROM organizations", OrgView.Read, ct))!;
            var user = (await tx.SingleAsync("SELECT id, email, name FROM users WHERE id = $1", r => new UserView(r.GetGuid(0), r.GetString(1), r.GetString(2)), ct, row.UserId))!;
            return (SessionResponse.Of(tokens, user, org, role), null);
        }, ct);
        return problem is null ? TypedResults.Ok(response!) : throw problem;
    }

    public static async Task<NoContent> LogoutAsync(Caller caller, Db db, CancellationToken ct)
    {
        await db.InOrgAsync(caller.OrgId, async tx =>
        {
            await Sessions.RevokeFamilyAsync(tx, caller.SessionFamilyId!.Value, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "auth.logout", "session", caller.SessionFamilyId, null, null, ct);
        }, ct);
        return TypedResults.NoContent();
    }

    private sealed record Invitation(Guid Id, string Email, DateTimeOffset? ExpiresAt);
    private sealed record ExistingUser(Guid Id, string Hash);

    public static async Task<Ok<SessionResponse>> AcceptInvitationAsync(AcceptInvitationRequest body, RequestInfo request, Db db,
        Sessions sessions, RateLimits limits, TimeProvider time, CancellationToken ct)
    {
        var notFound = new ApiProblem(404, "invitation_not_found", "Not found", "No open invitation matches this token.");
        if (string.IsNullOrEmpty(body.Token) || !body.Token.StartsWith(Secrets.InvitationMarker, StringComparison.Ordinal)) throw notFound;
        if (body.Password is null) throw ApiProblem.Validation(new Dictionary<string, string[]> { ["$.password"] = ["is required."] });
        var hash = Secrets.Hash(body.Token);
        var orgId = await db.WithoutOrgAsync(tx => tx.ScalarAsync<Guid?>("SELECT auth_invitation_org($1)", ct, hash), ct) ?? throw notFound;

        var response = await db.InOrgAsync(orgId, async tx =>
        {
            var invitation = await tx.SingleAsync("SELECT id, email, invite_expires_at FROM organization_members WHERE invite_token_hash = $1 AND status = 'invited' FOR UPDATE",
                r => new Invitation(r.GetGuid(0), r.GetString(1), r.NullableTime(2)), ct, hash) ?? throw notFound;
            if (invitation.ExpiresAt <= time.GetUtcNow()) throw ApiProblem.Gone("invitation_expired", "This invitation has expired; ask for a new one.");
            // Joining with an existing account checks its password: the same attempt budget as logging in.
            limits.Login(invitation.Email, request.Ip);

            var existing = await tx.SingleAsync("SELECT id, password_hash FROM auth_user_by_email($1)", r => new ExistingUser(r.GetGuid(0), r.GetString(1)), ct, invitation.Email);
            Guid userId;
            if (existing is not null)
            {
                // An existing account joins by proving it is theirs.
                if (Passwords.Verify(existing.Hash, body.Password) == Passwords.Outcome.Failed)
                    throw ApiProblem.Unauthorized("invalid_credentials", "An account with this e-mail exists; give its password to join.");
                userId = existing.Id;
            }
            else
            {
                var v = new Validation();
                Passwords.Check(v, "$.password", body.Password, invitation.Email);
                var name = v.Text("$.name", body.Name, 200, 0) ?? "";
                v.ThrowIfInvalid();
                userId = Guid.CreateVersion7();
                await tx.ExecuteAsync("INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4)", ct, userId, invitation.Email, name, Passwords.Hash(body.Password));
            }
            var (before, after) = await TenancyStore.AcceptInvitationAsync(tx, invitation.Id, userId, ct);
            await AuditLog.RecordAsync(tx, Actor.User(userId, request), "member.joined", "member", invitation.Id, before, after, ct);
            var tokens = await sessions.IssueAsync(tx, userId, Guid.CreateVersion7(), ct);
            var org = (await tx.SingleAsync($"SELECT {OrgView.Columns} FROM organizations", OrgView.Read, ct))!;
            return SessionResponse.Of(tokens, new UserView(userId, after.Email, after.Name ?? ""), org, after.Role);
        }, ct);
        return TypedResults.Ok(response);
    }
}
