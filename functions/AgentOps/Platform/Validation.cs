using System.Net.Mail;

namespace AgentOps.Platform;

/// <summary>
/// Collects field errors keyed by JSON path ("$.email") or query parameter, then refuses with all of them at once: one
/// <see cref="DomainError.Invalid(IReadOnlyDictionary{string, string[]})"/>, which the API answers as a 422 problem.
/// Endpoints check shapes with it, services the rules that need the database.
/// </summary>
public sealed class Validation
{
    private readonly Dictionary<string, List<string>> _errors = [];

    public Validation Add(string path, string message)
    {
        if (!_errors.TryGetValue(path, out var list)) _errors[path] = list = [];
        list.Add(message);
        return this;
    }

    public bool IsValid => _errors.Count == 0;

    public string? RequiredText(string path, string? value, int maxLength, int minLength = 1)
    {
        if (value is null) { Add(path, "is required."); return null; }
        return Text(path, value, maxLength, minLength);
    }

    public string? Text(string path, string? value, int maxLength, int minLength = 1)
    {
        if (value is null) return null;
        var trimmed = value.Trim();
        if (trimmed.Length < minLength) Add(path, minLength == 1 ? "must not be empty." : $"must be at least {minLength} characters.");
        else if (trimmed.Length > maxLength) Add(path, $"must be at most {maxLength} characters.");
        return trimmed;
    }

    /// <summary>Lower-cased, trimmed e-mail address; the shape check is deliberately loose (delivery proves it).</summary>
    public string? Email(string path, string? value)
    {
        var email = RequiredText(path, value, 320, 3)?.ToLowerInvariant();
        if (email is null || !IsValid && _errors.ContainsKey(path)) return email;
        if (!MailAddress.TryCreate(email, out var parsed) || parsed.Address != email || !email.Contains('.', StringComparison.Ordinal))
            Add(path, "must be an e-mail address.");
        return email;
    }

    public void ThrowIfInvalid()
    {
        if (_errors.Count > 0) throw DomainError.Invalid(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
    }
}
