using AgentOps.Audit;
using AgentOps.Tenancy;
using Microsoft.Extensions.Logging;

namespace AgentOps.Auth;

/// <summary>A login as the client receives it: the token pair, who they are, in which organization, with which role.</summary>
public sealed record SessionResponse(string AccessToken, string TokenType, int ExpiresIn, string RefreshToken,
    DateTimeOffset RefreshExpiresAt, UserView User, OrgView Organization, string Role)
{
    public static SessionResponse Of(TokenPair t, UserView user, OrgView org, string role) =>
        new(t.AccessToken, t.TokenType, t.ExpiresIn, t.RefreshToken, t.RefreshExpiresAt, user, org, role);
}

/// <summary>
/// Auth's use cases: sign-up (an organization and its first admin), login, token refresh with reuse detection, logout,
/// and accepting an invitation. Each starts, renews or ends a login session (<see cref="Sessions"/>) and is audited.
/// </summary>
public sealed class AuthService(Db db, Sessions sessions, RateLimits limits, TimeProvider time, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("AgentOps.Auth");

    /// <summary>The answer to an invitation token that is malformed, unknown, spent or withdrawn alike.</summary>
    public static DomainError InvitationNotFound() => new(DomainErrorKind.NotFound, "invitation_not_found", "No open invitation matches this token.");

    /// <summary>A new organization with <paramref name="email"/> as its first admin, logged in. The caller checked the fields and the sign-up rate.</summary>
    public async Task<SessionResponse> SignUpAsync(string orgName, string email, string name, string password, Visitor visitor, CancellationToken ct)
    {
        var hash = Passwords.Hash(password);
        var (orgId, userId, memberId) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        try
        {
            return await db.InOrgAsync(orgId, async tx =>
            {
                var org = await TenancyStore.CreateOrganizationAsync(tx, orgName, ct);
                await UserStore.InsertAsync(tx, userId, email, name, hash, ct);
                var member = await TenancyStore.AddFirstAdminAsync(tx, memberId, userId, email, ct);
                var actor = visitor.As(userId);
                await AuditLog.RecordAsync(tx, actor, "org.created", "organization", orgId, null, org, ct);
                await AuditLog.RecordAsync(tx, actor, "member.joined", "member", memberId, null, member, ct);
                var tokens = await sessions.IssueAsync(tx, userId, Guid.CreateVersion7(), ct);
                return SessionResponse.Of(tokens, new UserView(userId, email, name), org, "admin");
            }, ct);
        }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: UserStore.EmailKey })
        {
            throw DomainError.Conflict("email_taken", "An account with this e-mail address exists. Log in, or ask an admin of the other organization to invite you.");
        }
    }

    /// <summary>
    /// Logs in to <paramref name="orgId"/>, or to the account's oldest active membership. The password is verified
    /// (against a decoy hash for an unknown address) before membership is looked at. The caller checked the login rate.
    /// </summary>
    public async Task<SessionResponse> LogInAsync(string email, string password, Guid? orgId, Visitor visitor, CancellationToken ct)
    {
        var candidates = await db.WithoutOrgAsync(tx => UserStore.LoginCandidatesAsync(tx, email, ct), ct);
        var outcome = Passwords.Verify(candidates.FirstOrDefault()?.Hash, password);
        if (outcome == Passwords.Outcome.Failed)
        {
            _logger.LogWarning("Login failed for {UserId} from {Ip}", candidates.FirstOrDefault()?.UserId, visitor.Ip);
            throw DomainError.Unauthenticated("invalid_credentials", "The e-mail address or password is wrong.");
        }
        var membership = candidates.FirstOrDefault(c => c.OrgId is not null && (orgId is null || c.OrgId == orgId))
            ?? throw DomainError.Forbidden("no_membership", orgId is null
                ? "This account is not an active member of any organization."
                : "This account is not an active member of that organization.");

        return await db.InOrgAsync(membership.OrgId!.Value, async tx =>
        {
            if (outcome == Passwords.Outcome.SuccessRehashNeeded)
                await UserStore.SetPasswordHashAsync(tx, membership.UserId, Passwords.Hash(password), ct);
            var org = (await TenancyStore.ReadOrganizationAsync(tx, false, ct))!;
            var user = await UserStore.ReadAsync(tx, membership.UserId, ct);
            var family = Guid.CreateVersion7();
            var tokens = await sessions.IssueAsync(tx, user.Id, family, ct);
            await AuditLog.RecordAsync(tx, visitor.As(user.Id), "auth.login", "session", family, null, null, ct);
            return SessionResponse.Of(tokens, user, org, membership.Role!);
        }, ct);
    }

    /// <summary>
    /// Spends a refresh token for a new pair in the same login. A token used twice means it leaked: the whole login
    /// ends. A member no longer active ends their login too.
    /// </summary>
    public async Task<SessionResponse> RefreshAsync(string refreshToken, Visitor visitor, CancellationToken ct)
    {
        var invalid = DomainError.Unauthenticated("invalid_refresh_token", "The refresh token is not valid.");
        var hash = Secrets.Hash(refreshToken);
        var orgId = await db.WithoutOrgAsync(tx => SessionStore.OrgOfTokenAsync(tx, hash, ct), ct) ?? throw invalid;

        // Refusals that must still commit (revoking a family) are returned from the transaction instead of thrown inside it.
        var (response, refusal) = await db.InOrgAsync<(SessionResponse?, DomainError?)>(orgId, async tx =>
        {
            var row = await SessionStore.LockAsync(tx, hash, ct);
            if (row is null) return (null, invalid);
            if (row.RevokedAt is not null) return (null, DomainError.Unauthenticated("session_revoked", "This session has ended. Log in again."));
            var actor = visitor.As(row.UserId);
            if (row.UsedAt is not null)
            {
                await SessionStore.RevokeFamilyAsync(tx, row.FamilyId, ct);
                await AuditLog.RecordAsync(tx, actor, "auth.refresh_token_reused", "session", row.FamilyId, null, new { revoked = "session_family" }, ct);
                return (null, DomainError.Unauthenticated("refresh_token_reused",
                    "This refresh token was already used. Every token of this session is now revoked; log in again."));
            }
            if (row.ExpiresAt <= time.GetUtcNow()) return (null, DomainError.Unauthenticated("refresh_token_expired", "The refresh token has expired. Log in again."));
            var role = await TenancyStore.ActiveRoleAsync(tx, row.UserId, ct);
            if (role is null)
            {
                await SessionStore.RevokeFamilyAsync(tx, row.FamilyId, ct);
                return (null, DomainError.Unauthenticated("session_revoked", "You are no longer a member of this organization."));
            }
            await SessionStore.MarkUsedAsync(tx, hash, ct);
            var tokens = await sessions.IssueAsync(tx, row.UserId, row.FamilyId, ct);
            await AuditLog.RecordAsync(tx, actor, "auth.token_refreshed", "session", row.FamilyId, null, null, ct);
            var org = (await TenancyStore.ReadOrganizationAsync(tx, false, ct))!;
            var user = await UserStore.ReadAsync(tx, row.UserId, ct);
            return (SessionResponse.Of(tokens, user, org, role), null);
        }, ct);
        return refusal is null ? response! : throw refusal;
    }

    /// <summary>Ends the caller's login: every token of its family.</summary>
    public Task LogOutAsync(Caller caller, CancellationToken ct) =>
        db.InOrgAsync(caller.OrgId, async tx =>
        {
            await SessionStore.RevokeFamilyAsync(tx, caller.SessionFamilyId!.Value, ct);
            await AuditLog.RecordAsync(tx, Actor.Of(caller), "auth.logout", "session", caller.SessionFamilyId, null, null, ct);
        }, ct);

    /// <summary>
    /// Joins the invitation's organization, logged in. An existing account joins by proving it is theirs (its password,
    /// under the same attempt budget as logging in); otherwise the account is created with <paramref name="password"/>.
    /// </summary>
    public async Task<SessionResponse> AcceptInvitationAsync(string token, string password, string? name, Visitor visitor, CancellationToken ct)
    {
        var hash = Secrets.Hash(token);
        var orgId = await db.WithoutOrgAsync(tx => TenancyStore.InvitationOrgAsync(tx, hash, ct), ct) ?? throw InvitationNotFound();

        return await db.InOrgAsync(orgId, async tx =>
        {
            var invitation = await TenancyStore.LockInvitationAsync(tx, hash, ct) ?? throw InvitationNotFound();
            if (invitation.ExpiresAt <= time.GetUtcNow()) throw DomainError.Gone("invitation_expired", "This invitation has expired; ask for a new one.");
            // Joining with an existing account checks its password: the same attempt budget as logging in.
            limits.Login(invitation.Email, visitor.Ip);

            var existing = await UserStore.ByEmailAsync(tx, invitation.Email, ct);
            Guid userId;
            if (existing is not null)
            {
                // An existing account joins by proving it is theirs.
                if (Passwords.Verify(existing.Hash, password) == Passwords.Outcome.Failed)
                    throw DomainError.Unauthenticated("invalid_credentials", "An account with this e-mail exists; give its password to join.");
                userId = existing.Id;
            }
            else
            {
                var v = new Validation();
                Passwords.Check(v, "$.password", password, invitation.Email);
                var checkedName = v.Text("$.name", name, 200, 0) ?? "";
                v.ThrowIfInvalid();
                userId = Guid.CreateVersion7();
                await UserStore.InsertAsync(tx, userId, invitation.Email, checkedName, Passwords.Hash(password), ct);
            }
            var (before, after) = await TenancyStore.AcceptInvitationAsync(tx, invitation.Id, userId, ct);
            await AuditLog.RecordAsync(tx, visitor.As(userId), "member.joined", "member", invitation.Id, before, after, ct);
            var tokens = await sessions.IssueAsync(tx, userId, Guid.CreateVersion7(), ct);
            var org = (await TenancyStore.ReadOrganizationAsync(tx, false, ct))!;
            return SessionResponse.Of(tokens, new UserView(userId, after.Email, after.Name ?? ""), org, after.Role);
        }, ct);
    }
}
