namespace AgentOps.Guardrails.Redaction;

/// <summary>What a redacted value was. Each kind has its placeholder label (<see cref="RedactionKinds.Label"/>).</summary>
public enum RedactionKind { ApiKey, Jwt, BearerToken, Iban, Card, Email, Phone, Custom }

/// <summary>The built-in detectors an organization can turn on or off (<see cref="RedactionRules.Detectors"/>).</summary>
[Flags]
public enum BuiltInDetectors
{
    None = 0,
    /// <summary>OpenAI, Anthropic, AWS access key ids, GitHub, Slack, Google, Stripe and AgentOps' own keys and tokens.</summary>
    ApiKeys = 1,
    /// <summary>JSON Web Tokens: three base64url parts whose header is a JSON object with "alg".</summary>
    Jwts = 2,
    /// <summary>The token of a <c>Bearer &lt;token&gt;</c> credential (the word Bearer stays).</summary>
    BearerTokens = 4,
    Emails = 8,
    /// <summary>Payment card numbers: 13–19 digits, Luhn-checked, issuer digit 2–6.</summary>
    Cards = 16,
    /// <summary>Phone numbers: E.164 (+ or 00) and common national formats (NANP, trunk-prefixed with 0).</summary>
    Phones = 32,
    /// <summary>IBANs: the country's length, mod-97 checked.</summary>
    Ibans = 64,
    All = ApiKeys | Jwts | BearerTokens | Emails | Cards | Phones | Ibans,
}

/// <summary>Labels of the built-in kinds, as placeholders and reports show them.</summary>
public static class RedactionKinds
{
    public const string ApiKey = "API_KEY";
    public const string Jwt = "JWT";
    public const string BearerToken = "TOKEN";
    public const string Iban = "IBAN";
    public const string Card = "CARD";
    public const string Email = "EMAIL";
    public const string Phone = "PHONE";

    /// <summary>Every built-in label: a custom pattern may not take one of them as its name.</summary>
    public static readonly IReadOnlyList<string> BuiltInLabels = [ApiKey, Jwt, BearerToken, Iban, Card, Email, Phone];

    public static string Label(RedactionKind kind) => kind switch
    {
        RedactionKind.ApiKey => ApiKey, RedactionKind.Jwt => Jwt, RedactionKind.BearerToken => BearerToken, RedactionKind.Iban => Iban,
        RedactionKind.Card => Card, RedactionKind.Email => Email, RedactionKind.Phone => Phone,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), "a custom pattern's label is its name"),
    };
}
