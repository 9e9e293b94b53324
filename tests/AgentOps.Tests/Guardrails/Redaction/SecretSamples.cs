using System.Text;
using AgentOps.Guardrails.Redaction;

namespace AgentOps.Tests.Guardrails.Redaction;

/// <summary>Random secrets of every kind, well formed, for the property tests; each with the kind it must be redacted as.</summary>
internal static class SecretSamples
{
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    private const string Digits = "0123456789";
    private const string Base62 = Upper + Lower + Digits;
    private const string UrlSafe = Base62 + "-_";

    public static string Chars(Random r, string alphabet, int length)
    {
        var c = new char[length];
        for (var i = 0; i < length; i++) c[i] = alphabet[r.Next(alphabet.Length)];
        return new string(c);
    }

    /// <summary>Random characters of the alphabet with at least one digit (tokens that must carry one).</summary>
    private static string WithDigit(Random r, string alphabet, int length)
    {
        var s = Chars(r, alphabet, length).ToCharArray();
        s[r.Next(length)] = Digits[r.Next(10)];
        return new string(s);
    }

    public static readonly Func<Random, (string Kind, string Value)>[] Generators =
    [
        r => (RedactionKinds.ApiKey, "sk-proj-" + Chars(r, UrlSafe, r.Next(40, 120))),
        r => (RedactionKinds.ApiKey, "sk-" + WithDigit(r, Base62, 48)),
        r => (RedactionKinds.ApiKey, "sk-ant-api03-" + Chars(r, UrlSafe, 93) + "AA"),
        r => (RedactionKinds.ApiKey, (r.Next(2) == 0 ? "AKIA" : "ASIA") + Chars(r, Upper + Digits, 16)),
        r => (RedactionKinds.ApiKey, "gh" + "pousr"[r.Next(5)] + "_" + Chars(r, Base62, 36)),
        r => (RedactionKinds.ApiKey, "github_pat_" + Chars(r, Base62 + "_", 82)),
        r => (RedactionKinds.ApiKey, "xox" + "abprs"[r.Next(5)] + "-" + Chars(r, Digits, 12) + "-" + Chars(r, Base62, 24)),
        r => (RedactionKinds.ApiKey, "AIza" + Chars(r, UrlSafe, 35)),
        r => (RedactionKinds.ApiKey, (r.Next(2) == 0 ? "sk" : "rk") + "_live_" + Chars(r, Base62, 24)),
        r => (RedactionKinds.ApiKey, AgentOps.Platform.Auth.Secrets.CreateApiKey().Key),
        r => (RedactionKinds.ApiKey, AgentOps.Platform.Auth.Secrets.CreateToken(r.Next(2) == 0 ? "aor_" : "aoi_")),
        r => (RedactionKinds.Jwt, Jwt(r)),
        r => (RedactionKinds.BearerToken, WithDigit(r, Base62 + "-._~+/", r.Next(16, 60))),
        r => (RedactionKinds.Email, Email(r)),
        r => (RedactionKinds.Card, Card(r)),
        r => (RedactionKinds.Phone, Phone(r)),
        r => (RedactionKinds.Iban, IbanNumber(r)),
    ];

    /// <summary>The text a secret is written as: a bearer token comes after "Bearer ", the rest as they are.</summary>
    public static string Written((string Kind, string Value) secret) =>
        secret.Kind == RedactionKinds.BearerToken ? "Authorization: Bearer " + secret.Value : secret.Value;

    public static string Jwt(Random r)
    {
        var alg = new[] { "HS256", "RS256", "ES384", "none" }[r.Next(4)];
        var header = Encode($$"""{"alg":"{{alg}}","typ":"JWT"}""");
        var payload = Encode($$"""{"sub":"{{Chars(r, Base62, r.Next(4, 20))}}","iat":{{r.Next()}}}""");
        return $"{header}.{payload}.{(alg == "none" ? "" : Chars(r, UrlSafe, 43))}";
    }

    public static string Encode(string json) => System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    public static string Email(Random r)
    {
        var local = Chars(r, Lower + Digits, r.Next(1, 12));
        if (r.Next(3) == 0) local += "." + Chars(r, Lower, r.Next(1, 8));
        if (r.Next(5) == 0) local += "+" + Chars(r, Lower, 3);
        var domain = Chars(r, Lower, r.Next(2, 10));
        if (r.Next(3) == 0) domain = Chars(r, Lower, r.Next(2, 6)) + "." + domain;
        return $"{local}@{domain}.{new[] { "com", "org", "co.uk", "de", "io", "museum" }[r.Next(6)]}";
    }

    /// <summary>A Luhn-valid number of 13–19 digits with an issuer digit 2–6, plain or in groups of four.</summary>
    public static string Card(Random r)
    {
        var length = r.Next(2) == 0 ? 16 : r.Next(13, 20);
        var payload = (char)('2' + r.Next(5)) + Chars(r, Digits, length - 2);
        var number = payload + Luhn.CheckDigit(payload);
        if (length != 16 || r.Next(3) == 0) return number;
        var sep = r.Next(2) == 0 ? " " : "-";
        return string.Join(sep, number.Chunk(4).Select(c => new string(c)));
    }

    public static string Phone(Random r)
    {
        string N() => ((char)('2' + r.Next(8))).ToString();
        string D(int n) => Chars(r, Digits, n);
        return r.Next(8) switch
        {
            0 => $"+1 ({N()}{D(2)}) {N()}{D(2)}-{D(4)}",
            1 => $"+44 20 {D(4)} {D(4)}",
            2 => $"({N()}{D(2)}) {N()}{D(2)}-{D(4)}",
            3 => $"{N()}{D(2)}-{N()}{D(2)}-{D(4)}",
            4 => $"0{r.Next(1, 10)} {D(2)} {D(2)} {D(2)} {D(2)}",
            5 => $"+{r.Next(1, 10)}{D(r.Next(0, 3))}{D(r.Next(7, 11))}",
            6 => $"0{r.Next(1, 10)}{D(2)} {D(7)}",
            _ => $"+49 {r.Next(1, 10)}{D(1)} {D(r.Next(6, 9))}",
        };
    }

    public static string IbanNumber(Random r)
    {
        var countries = Iban.Lengths.Keys.ToArray();
        var country = countries[r.Next(countries.Length)];
        var bbanLength = Iban.Lengths[country] - 4;
        var bban = r.Next(3) == 0 ? Chars(r, Upper, Math.Min(4, bbanLength)) + Chars(r, Digits, bbanLength - Math.Min(4, bbanLength)) : Chars(r, Digits, bbanLength);
        var iban = Iban.Create(country, bban);
        return r.Next(2) == 0 ? iban : string.Join(' ', iban.Chunk(4).Select(c => new string(c)));
    }
}
