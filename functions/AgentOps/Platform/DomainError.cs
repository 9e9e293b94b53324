namespace AgentOps.Platform;

/// <summary>What kind of refusal a <see cref="DomainError"/> is; Platform/Http maps each kind to its HTTP status.</summary>
public enum DomainErrorKind { NotFound, Forbidden, Conflict }

/// <summary>
/// A use case's refusal in the domain's words: its kind, a stable code and a sentence for the user. Services, rules and
/// workers throw (or return) it and know nothing of HTTP; the error middleware answers it as the matching problem
/// (404, 403, 409) with the same code, so an endpoint and a worker can share the service that refuses.
/// </summary>
public sealed class DomainError(DomainErrorKind kind, string code, string detail) : Exception(detail)
{
    public DomainErrorKind Kind { get; } = kind;
    public string Code { get; } = code;
    public string Detail { get; } = detail;

    /// <summary>Also the answer for another organization's resources: existence never leaks.</summary>
    public static DomainError NotFound(string what) => new(DomainErrorKind.NotFound, "not_found", $"No {what} with that id in this organization.");
    public static DomainError Forbidden(string code, string detail) => new(DomainErrorKind.Forbidden, code, detail);
    public static DomainError Conflict(string code, string detail) => new(DomainErrorKind.Conflict, code, detail);
}
