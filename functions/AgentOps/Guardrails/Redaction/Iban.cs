using System.Collections.Frozen;

namespace AgentOps.Guardrails.Redaction;

/// <summary>
/// International Bank Account Numbers (ISO 13616): two letters of country, two check digits, then the country's BBAN,
/// whose length each country fixes (the SWIFT IBAN registry, <see cref="Lengths"/>). Valid when the length is the
/// country's and the number, moved and read as digits (A = 10 … Z = 35), is 1 modulo 97 (ISO 7064 MOD 97-10).
/// </summary>
public static class Iban
{
    /// <summary>Total IBAN length per country code (SWIFT IBAN registry; the countries that issue IBANs).</summary>
    public static readonly FrozenDictionary<string, int> Lengths = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["AD"] = 24, ["AE"] = 23, ["AL"] = 28, ["AT"] = 20, ["AZ"] = 28, ["BA"] = 20, ["BE"] = 16, ["BG"] = 22, ["BH"] = 22,
        ["BI"] = 27, ["BR"] = 29, ["BY"] = 28, ["CH"] = 21, ["CR"] = 22, ["CY"] = 28, ["CZ"] = 24, ["DE"] = 22, ["DJ"] = 27,
        ["DK"] = 18, ["DO"] = 28, ["EE"] = 20, ["EG"] = 29, ["ES"] = 24, ["FI"] = 18, ["FK"] = 18, ["FO"] = 18, ["FR"] = 27,
        ["GB"] = 22, ["GE"] = 22, ["GI"] = 23, ["GL"] = 18, ["GR"] = 27, ["GT"] = 28, ["HN"] = 28, ["HR"] = 21, ["HU"] = 28,
        ["IE"] = 22, ["IL"] = 23, ["IQ"] = 23, ["IS"] = 26, ["IT"] = 27, ["JO"] = 30, ["KW"] = 30, ["KZ"] = 20, ["LB"] = 28,
        ["LC"] = 32, ["LI"] = 21, ["LT"] = 20, ["LU"] = 20, ["LV"] = 21, ["LY"] = 25, ["MC"] = 27, ["MD"] = 24, ["ME"] = 22,
        ["MK"] = 19, ["MN"] = 20, ["MR"] = 27, ["MT"] = 31, ["MU"] = 30, ["NI"] = 28, ["NL"] = 18, ["NO"] = 15, ["OM"] = 23,
        ["PK"] = 24, ["PL"] = 28, ["PS"] = 29, ["PT"] = 25, ["QA"] = 29, ["RO"] = 24, ["RS"] = 22, ["RU"] = 33, ["SA"] = 24,
        ["SC"] = 31, ["SD"] = 18, ["SE"] = 24, ["SI"] = 19, ["SK"] = 24, ["SM"] = 27, ["SO"] = 23, ["ST"] = 25, ["SV"] = 28,
        ["TL"] = 23, ["TN"] = 24, ["TR"] = 26, ["UA"] = 29, ["VA"] = 22, ["VG"] = 24, ["XK"] = 20, ["YE"] = 30,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> ByCountry = Lengths.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>
    /// Whether <paramref name="iban"/> is a valid IBAN, in electronic form ("DE89370400440532013000") or print form
    /// ("DE89 3704 0044 0532 0130 00": single spaces between characters are ignored). Letters may be either case.
    /// </summary>
    public static bool IsValid(string? iban)
    {
        if (iban is null || iban.Length is < 15 or > 64) return false;
        Span<char> compact = stackalloc char[64];
        var n = 0;
        for (var i = 0; i < iban.Length; i++)
        {
            var c = iban[i];
            if (c == ' ')
            {
                if (i == 0 || i == iban.Length - 1 || iban[i - 1] == ' ') return false;
                continue;
            }
            if (!char.IsAsciiLetterOrDigit(c)) return false;
            compact[n++] = char.ToUpperInvariant(c);
        }
        return IsValidCompact(compact[..n]);
    }

    /// <summary>The electronic form (upper-case letters and digits, no spaces) is a valid IBAN.</summary>
    internal static bool IsValidCompact(ReadOnlySpan<char> iban)
    {
        if (iban.Length < 5 || !char.IsAsciiLetterUpper(iban[0]) || !char.IsAsciiLetterUpper(iban[1])
            || !char.IsAsciiDigit(iban[2]) || !char.IsAsciiDigit(iban[3])) return false;
        if (!ByCountry.TryGetValue(iban[..2], out var length) || iban.Length != length) return false;
        foreach (var c in iban[4..])
            if (!char.IsAsciiDigit(c) && !char.IsAsciiLetterUpper(c)) return false;
        return Mod97(iban[4..], iban[..4]) == 1;
    }

    /// <summary>The expected total length for a country code, or null when the country issues no IBAN.</summary>
    public static int? LengthOf(ReadOnlySpan<char> country) => ByCountry.TryGetValue(country, out var length) ? length : null;

    /// <summary>
    /// Builds a valid IBAN (electronic form) from a country code and a BBAN of the country's length (upper-case letters
    /// and digits): computes the check digits. For tests and examples.
    /// </summary>
    public static string Create(string country, string bban)
    {
        if (LengthOf(country) is not { } length || bban.Length != length - 4) throw new ArgumentException($"{country} takes a BBAN of {LengthOf(country) - 4} characters.", nameof(bban));
        var check = 98 - Mod97(bban, country + "00");
        return $"{country}{check:00}{bban}";
    }

    /// <summary>
    /// (<paramref name="first"/> then <paramref name="second"/>) read as one decimal number, letters as two digits each,
    /// modulo 97. Chunked: digits accumulate in a 64-bit integer that is reduced modulo 97 before it could overflow
    /// (every 15 digits or so), so no big-integer arithmetic is needed whatever the length.
    /// </summary>
    internal static int Mod97(ReadOnlySpan<char> first, ReadOnlySpan<char> second)
    {
        ulong acc = 0;
        Fold(first, ref acc);
        Fold(second, ref acc);
        return (int)(acc % 97);

        static void Fold(ReadOnlySpan<char> part, ref ulong acc)
        {
            const ulong Reduce = 1_000_000_000_000_000; // 10^15: acc * 100 + 99 stays below 2^64
            foreach (var c in part)
            {
                if (c is >= '0' and <= '9') acc = acc * 10 + (ulong)(c - '0');
                else acc = acc * 100 + (ulong)(char.ToUpperInvariant(c) - 'A' + 10);
                if (acc >= Reduce) acc %= 97;
            }
        }
    }
}
