namespace AgentOps.Auth;

/// <summary>Which of Auth's refusals an <see cref="AuthRefusal"/> is.</summary>
public enum AuthRefusalKind { NotAuthenticated, Gone }

/// <summary>
/// Auth's refusals that are no <see cref="DomainError"/>: credentials that are not (or no longer) good, so the client
/// must log in again (401), and an invitation past its time (410). AuthApi answers them as those problems.
/// </summary>
public sealed class AuthRefusal(AuthRefusalKind kind, string code, string detail) : Exception(detail)
{
    public AuthRefusalKind Kind { get; } = kind;
    public string Code { get; } = code;
    public string Detail { get; } = detail;

    public static AuthRefusal NotAuthenticated(string code, string detail) => new(AuthRefusalKind.NotAuthenticated, code, detail);
    public static AuthRefusal Gone(string code, string detail) => new(AuthRefusalKind.Gone, code, detail);
}
