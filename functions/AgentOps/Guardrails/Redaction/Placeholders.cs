using System.Globalization;
using System.Text.RegularExpressions;

namespace AgentOps.Guardrails.Redaction;

/// <summary>
/// The placeholder shape: <c>[LABEL_N]</c>, LABEL an upper-case kind (API_KEY, EMAIL, or a custom pattern's name), N its
/// number in the call from 1 (at most <see cref="MaxNumber"/>). A placeholder holds no bracket inside, so in redacted text
/// one can never straddle a replaced value and the text around it: every placeholder-shaped token of a redacted text
/// is either one the map issued or one the input already had.
/// </summary>
internal static partial class Placeholders
{
    public const int MaxNumber = 999_999;

    /// <summary>Anything of the placeholder shape, issued or not.</summary>
    [GeneratedRegex(@"\[[A-Z][A-Z0-9_]{0,39}_[1-9][0-9]{0,5}\]", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    public static partial Regex Shape();

    public static string Format(string label, int number) => string.Create(CultureInfo.InvariantCulture, $"[{label}_{number}]");
}
