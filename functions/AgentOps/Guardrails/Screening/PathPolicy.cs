namespace AgentOps.Guardrails.Screening;

/// <summary>Why a path is or is not eligible: the normalized path, and the prefix that decided.</summary>
public sealed record PathDecision(bool Eligible, string Reason, string? NormalizedPath, string? Prefix)
{
    public const string Allowed = "allowed";
    public const string Denied = "denied";
    public const string NotAllowed = "not_allowed";
    public const string Invalid = "invalid_path";
}

/// <summary>
/// Which files a code-context caller may put in a prompt. A path is eligible when no deny prefix matches it and some
/// allow prefix does, both after normalization:
/// <list type="bullet">
/// <item>Paths are relative to the repository root: <c>\</c> is a separator like <c>/</c>, empty and <c>.</c>
/// segments go, <c>..</c> removes the segment before it, and a leading <c>/</c> is the root itself
/// (<c>/src/a.cs</c> is <c>src/a.cs</c>). A <c>..</c> that would climb above the root makes the path invalid (not
/// eligible, whatever the prefixes): it is never clamped to the root.</item>
/// <item>Invalid too: control characters, a <c>:</c> (drive letters, NTFS streams, URLs), a leading <c>//</c> or
/// <c>\\</c> (UNC and device paths), a segment that ends in <c>.</c> or a space (Windows drops those, so
/// <c>secrets.</c> would open <c>secrets</c>), more than <see cref="MaxLength"/> characters. Nothing is decoded or
/// expanded: <c>%2e%2e</c> and <c>~</c> are names like any other.</item>
/// <item>Prefixes match whole segments: <c>src/a</c> matches <c>src/a</c> and <c>src/a/b.cs</c>, not <c>src/ab</c>.
/// The root (<c>""</c>, <c>"/"</c> or <c>"."</c>) matches every path.</item>
/// <item>Case: allow prefixes match exactly (ordinal), deny prefixes ignoring case (ordinal ignore-case), so a
/// case-insensitive file system cannot reach a denied directory by another spelling (<c>SECRETS/key</c>) and a
/// case-sensitive one is never granted more than its allow list spells.</item>
/// </list>
/// Prefixes are normalized by the same rules; an invalid prefix is a configuration error (ArgumentException).
/// </summary>
public static class PathPolicy
{
    public const int MaxLength = 4096;

    public static bool Eligible(string path, IEnumerable<string> allowPrefixes, IEnumerable<string> denyPrefixes) =>
        Check(path, allowPrefixes, denyPrefixes).Eligible;

    public static PathDecision Check(string path, IEnumerable<string> allowPrefixes, IEnumerable<string> denyPrefixes)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(allowPrefixes);
        ArgumentNullException.ThrowIfNull(denyPrefixes);
        var allow = allowPrefixes.Select(p => (Given: p, Normalized: NormalizePrefix(p))).ToList();
        var deny = denyPrefixes.Select(p => (Given: p, Normalized: NormalizePrefix(p))).ToList();
        var normalized = Normalize(path, out var why);
        if (normalized is null) return new PathDecision(false, $"{PathDecision.Invalid}: {why}", null, null);
        foreach (var d in deny)
            if (IsUnder(normalized, d.Normalized, StringComparison.OrdinalIgnoreCase))
                return new PathDecision(false, PathDecision.Denied, normalized, d.Given);
        foreach (var a in allow)
            if (IsUnder(normalized, a.Normalized, StringComparison.Ordinal))
                return new PathDecision(true, PathDecision.Allowed, normalized, a.Given);
        return new PathDecision(false, PathDecision.NotAllowed, normalized, null);
    }

    /// <summary>The path relative to the root, segments joined by <c>/</c> (the root is <c>""</c>), or null when invalid.</summary>
    public static string? Normalize(string path) => Normalize(path, out _);

    /// <summary>Whether <paramref name="path"/> is <paramref name="prefix"/> or lies under it (both normalized).</summary>
    public static bool IsUnder(string path, string prefix, StringComparison comparison) =>
        prefix.Length == 0
        || path.Length == prefix.Length && path.Equals(prefix, comparison)
        || path.Length > prefix.Length && path[prefix.Length] == '/' && path.StartsWith(prefix, comparison);

    private static string NormalizePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return Normalize(prefix, out var why) ?? throw new ArgumentException($"Invalid path prefix \"{prefix}\": {why}", nameof(prefix));
    }

    private static string? Normalize(string path, out string why)
    {
        why = "";
        if (path.Length > MaxLength)
        {
            why = "too_long";
            return null;
        }
        if (path.Any(c => char.IsControl(c)))
        {
            why = "control_character";
            return null;
        }
        if (path.Contains(':', StringComparison.Ordinal))
        {
            why = "drive_or_scheme";
            return null;
        }
        var unified = path.Replace('\\', '/');
        if (unified.StartsWith("//", StringComparison.Ordinal))
        {
            why = "unc_or_device_path";
            return null;
        }
        var segments = new List<string>();
        foreach (var segment in unified.Split('/'))
        {
            if (segment is "" or ".") continue;
            if (segment == "..")
            {
                if (segments.Count == 0)
                {
                    why = "escapes_root";
                    return null;
                }
                segments.RemoveAt(segments.Count - 1);
                continue;
            }
            if (segment.EndsWith('.') || segment.EndsWith(' '))
            {
                why = "trailing_dot_or_space";
                return null;
            }
            segments.Add(segment);
        }
        return string.Join('/', segments);
    }
}
