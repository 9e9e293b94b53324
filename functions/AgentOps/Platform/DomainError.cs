namespace AgentOps.Platform;

/// <summary>What kind of refusal a <see cref="DomainError"/> is; Platform/Http maps each kind to its HTTP status.</summary>
public enum DomainErrorKind { Invalid, Unauthenticated, NotFound, Forbidden, Conflict, Gone }

/// <summary>
/// A use case's refusal in the domain's words: its kind, a stable code and a sentence for the user. Services, rules and
/// workers throw (or return) it and know nothing of HTTP; the error middleware answers it as the matching problem
/// (422 with the field errors, 401, 404, 403, 409, 410) with the same code, so an endpoint and a worker can share the service that refuses.
/// </summary>
public sealed class DomainError(DomainErrorKind kind, string code, string detail) : Exception(detail)
{
    public DomainErrorKind Kind { get; } = kind;
    public string Code { get; } = code;
    public string Detail { get; } = detail;

    /// <summary>For <see cref="DomainErrorKind.Invalid"/> (and a conflict that names its field): the messages per field, keyed by JSON path ("$.email") or query parameter.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; private init; } = new Dictionary<string, string[]>();

    /// <summary>Input the use case cannot take, every fault at once (see <see cref="Validation"/>).</summary>
    public static DomainError Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        new(DomainErrorKind.Invalid, "validation_failed", "One or more fields are invalid; see errors, keyed by JSON path.") { Errors = errors };

    /// <summary>One field's fault.</summary>
    public static DomainError Invalid(string path, string message) => Invalid(new Dictionary<string, string[]> { [path] = [message] });

    /// <summary>
    /// A request well-formed field by field that this use case still cannot process, under its own code (422): an
    /// unknown agent, a history the task hub does not keep. <paramref name="errors"/> names the fields at fault, if any.
    /// </summary>
    public static DomainError Unprocessable(string code, string detail, IReadOnlyDictionary<string, string[]>? errors = null) =>
        new(DomainErrorKind.Invalid, code, detail) { Errors = errors ?? new Dictionary<string, string[]>() };

    /// <summary>Also the answer for another organization's resources: existence never leaks.</summary>
    public static DomainError NotFound(string what) => new(DomainErrorKind.NotFound, "not_found", $"No {what} with that id in this organization.");
    public static DomainError Forbidden(string code, string detail) => new(DomainErrorKind.Forbidden, code, detail);
    /// <summary>The resource's state forbids the request (409); <paramref name="errors"/> names the fields at fault, if any.</summary>
    public static DomainError Conflict(string code, string detail, IReadOnlyDictionary<string, string[]>? errors = null) =>
        new(DomainErrorKind.Conflict, code, detail) { Errors = errors ?? new Dictionary<string, string[]>() };

    /// <summary>Credentials that are not, or no longer, good: the client must sign in again.</summary>
    public static DomainError Unauthenticated(string code, string detail) => new(DomainErrorKind.Unauthenticated, code, detail);

    /// <summary>What was there is no more and will not be again (an invitation past its time).</summary>
    public static DomainError Gone(string code, string detail) => new(DomainErrorKind.Gone, code, detail);
}
