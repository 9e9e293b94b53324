using System.Globalization;

namespace AgentOps.Platform;

/// <summary>
/// Reads settings (environment variables; the names are the configuration keys, docs/configuration.md lists them)
/// and collects what is wrong with them, so start-up fails once with every error, naming the variable, never its value.
/// Platform reads its own with it (<see cref="AgentOpsOptions"/>); each feature reads its own from the same instance.
/// </summary>
public sealed class Settings(Func<string, string?> get)
{
    public List<string> Errors { get; } = [];

    /// <summary>The raw value; null when unset or empty.</summary>
    public string? Text(string name) => get(name) is { Length: > 0 } value ? value : null;

    public string? Required(string name)
    {
        var value = get(name);
        if (!string.IsNullOrWhiteSpace(value)) return value;
        Errors.Add($"{name} is required (see docs/configuration.md).");
        return null;
    }

    public int Int(string name, int fallback, int min, int max)
    {
        var raw = get(name);
        if (string.IsNullOrWhiteSpace(raw)) return fallback;
        if (int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max) return v;
        Errors.Add($"{name} must be a whole number from {min} to {max}.");
        return fallback;
    }

    public bool Bool(string name)
    {
        switch (get(name)?.Trim().ToLowerInvariant())
        {
            case null or "" or "false" or "0": return false;
            case "true" or "1": return true;
            default: Errors.Add($"{name} must be true or false."); return false;
        }
    }

    /// <summary>One of the enum's names, any case (numbers are not names).</summary>
    public T Choice<T>(string name, T fallback) where T : struct, Enum
    {
        var raw = get(name)?.Trim();
        if (string.IsNullOrEmpty(raw)) return fallback;
        if (Enum.GetNames<T>().FirstOrDefault(n => n.Equals(raw, StringComparison.OrdinalIgnoreCase)) is { } known) return Enum.Parse<T>(known);
        Errors.Add($"{name} must be one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
        return fallback;
    }

    public void ThrowIfInvalid()
    {
        if (Errors.Count > 0) throw new InvalidOperationException("AgentOps configuration is invalid:\n  " + string.Join("\n  ", Errors));
    }
}
