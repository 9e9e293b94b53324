namespace AgentOps.Auth;

public sealed record UserView(Guid Id, string Email, string Name);

/// <summary>An account that may log in with an e-mail address, and one organization it is an active member of (null: none).</summary>
public sealed record LoginCandidate(Guid UserId, string Hash, Guid? OrgId, string? Role);

/// <summary>An account found by its e-mail address, with its password hash.</summary>
public sealed record ExistingUser(Guid Id, string Hash);

/// <summary>
/// The SQL on users (accounts span organizations: before an organization is known, only the SECURITY DEFINER auth_*
/// look-ups see them). A taken e-mail address is the unique violation on <see cref="EmailKey"/>.
/// </summary>
public static class UserStore
{
    public const string EmailKey = "users_email_key";

    public static Task InsertAsync(Tx tx, Guid id, string email, string name, string passwordHash, CancellationToken ct) =>
        tx.ExecuteAsync("INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4)", ct, id, email, name, passwordHash);

    public static async Task<UserView> ReadAsync(Tx tx, Guid id, CancellationToken ct) =>
        (await tx.SingleAsync("SELECT id, email, name FROM users WHERE id = $1", r => new UserView(r.GetGuid(0), r.GetString(1), r.GetString(2)), ct, id))!;

    public static Task SetPasswordHashAsync(Tx tx, Guid id, string passwordHash, CancellationToken ct) =>
        tx.ExecuteAsync("UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1", ct, id, passwordHash);

    /// <summary>The account of <paramref name="email"/> once per active membership, oldest membership first (once, without one, if it has none).</summary>
    public static Task<List<LoginCandidate>> LoginCandidatesAsync(Tx tx, string email, CancellationToken ct) =>
        tx.ListAsync("SELECT user_id, password_hash, org_id, role FROM auth_login_candidates($1)",
            r => new LoginCandidate(r.GetGuid(0), r.GetString(1), r.NullableGuid(2), r.NullableString(3)), ct, email);

    public static Task<ExistingUser?> ByEmailAsync(Tx tx, string email, CancellationToken ct) =>
        tx.SingleAsync("SELECT id, password_hash FROM auth_user_by_email($1)", r => new ExistingUser(r.GetGuid(0), r.GetString(1)), ct, email);
}
