using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentOps.Guardrails.Redaction;

/// <summary>One thing a detector found: a span of the text and which detector (an index into the redactor's table).</summary>
internal readonly record struct Finding(int Start, int Length, int Detector)
{
    public int End => Start + Length;
}

/// <summary>
/// A detector as reports name it. <see cref="Rank"/> breaks ties between overlapping findings of equal length: lower is
/// more specific.
/// </summary>
internal sealed record DetectorInfo(string Name, RedactionKind Kind, string Label, int Rank);

/// <summary>
/// The built-in detectors. Each finds candidates cheaply (a source-generated regular expression with a literal or a
/// narrow first character, or a hand-written scan for digit runs) and then checks them (Luhn, mod 97, the JWT header,
/// phone and card grouping rules), adding what passes to a list without allocating.
/// </summary>
internal static partial class Detectors
{
    // The built-in detectors' indices in every redactor's table; custom patterns follow from Custom0.
    public const int OpenAi = 0, Anthropic = 1, Aws = 2, GitHub = 3, Slack = 4, Google = 5, Stripe = 6, AgentOps = 7, GitLab = 8, HuggingFace = 9,
        JwtToken = 10, Bearer = 11, IbanNumber = 12, CardNumber = 13, EmailAddress = 14, PhoneNumber = 15, Custom0 = 16;

    /// <summary>Rank of the first custom pattern; the others follow in the order the rules list them.</summary>
    public const int CustomRank = 7;

    public static readonly DetectorInfo[] BuiltIn =
    [
        new("openai", RedactionKind.ApiKey, RedactionKinds.ApiKey, 0),
        new("anthropic", RedactionKind.ApiKey, RedactionKinds.ApiKey, 0),
        new("aws", RedactionKind.ApiKey, RedactionKinds.ApiKey, 0),
        new("github", RedactionKind.ApiKey, RedactionKinds.ApiKey, 0),
        new("slack", RedactionKind.ApiKey, RedactionKinds.ApiKey, 0),
        new("google", RedactionKind.ApiKey, RedactionKinds.ApiKey, 0),
        new("stripe", RedactionKind.ApiKey, RedactionKinds.ApiKey, 0),
        new("agentops", RedactionKind.ApiKey, RedactionKinds.ApiKey, 0),
        new("gitlab", RedactionKind.ApiKey, RedactionKinds.ApiKey, 0),
        new("huggingface", RedactionKind.ApiKey, RedactionKinds.ApiKey, 0),
        new("jwt", RedactionKind.Jwt, RedactionKinds.Jwt, 1),
        new("bearer", RedactionKind.BearerToken, RedactionKinds.BearerToken, 2),
        new("iban", RedactionKind.Iban, RedactionKinds.Iban, 3),
        new("card", RedactionKind.Card, RedactionKinds.Card, 4),
        new("email", RedactionKind.Email, RedactionKinds.Email, 5),
        new("phone", RedactionKind.Phone, RedactionKinds.Phone, 6),
    ];

    public static void Find(ReadOnlySpan<char> text, BuiltInDetectors on, List<Finding> found)
    {
        if ((on & BuiltInDetectors.ApiKeys) != 0) FindApiKeys(text, found);
        if ((on & BuiltInDetectors.Jwts) != 0) FindJwts(text, found);
        if ((on & BuiltInDetectors.BearerTokens) != 0) FindBearerTokens(text, found);
        if ((on & BuiltInDetectors.Ibans) != 0) FindIbans(text, found);
        if ((on & BuiltInDetectors.Cards) != 0) FindCards(text, found);
        if ((on & BuiltInDetectors.Emails) != 0) FindEmails(text, found);
        if ((on & BuiltInDetectors.Phones) != 0) FindPhones(text, found);
    }

    // ---- API keys and tokens -------------------------------------------------------------------------------------

    /// <summary>How a key continues after its prefix: which characters, how many, and what may not follow.</summary>
    private sealed record KeyShape(string Prefix, int Detector, SearchValues<char> Body, int Min, int Max, bool NeedsDigit = false, bool Delimited = false);

    private static readonly SearchValues<char> Alnum = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
    private static readonly SearchValues<char> UpperAlnum = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    private static readonly SearchValues<char> UrlSafe = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");

    /// <summary>
    /// Whether position <paramref name="i"/> follows an escape that stands for a separator: a JSON/C escape (\n, \r, \t,
    /// \b, \f) or a percent-encoded byte (%3D, %20). The letter or digits before the value then belong to the escape, not
    /// to a word the value is part of (JSON-escaped log lines, query strings).
    /// </summary>
    private static bool AfterEscape(ReadOnlySpan<char> text, int i) =>
        i >= 2 && text[i - 2] == '\\' && text[i - 1] is 'n' or 'r' or 't' or 'b' or 'f'
        || i >= 3 && text[i - 3] == '%' && char.IsAsciiHexDigit(text[i - 2]) && char.IsAsciiHexDigit(text[i - 1]);
    private static readonly SearchValues<char> AlnumUnderscore = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
    private static readonly SearchValues<char> AlnumDash = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-");

    /// <summary>
    /// Provider key shapes (OpenAI, Anthropic, AWS ids, GitHub, Slack, Google, Stripe, GitLab, Hugging Face), each behind a prefix that ordinary text does not start a token with, tried in this order at a
    /// prefix (the more specific first). Min..Max body characters are taken (a longer run is a longer key, except for
    /// the fixed-length AWS ids, which must then end). AgentOps' own: API keys aok_XXXXXXXX_ + 40 base62, refresh and
    /// invitation tokens aor_ / aoi_ + 43 base64url (Platform/Auth/Secrets), webhook signing secrets whsec_ + 43 base64url.
    /// </summary>
    private static readonly KeyShape[] KeyShapes =
    [
        new("sk-ant-", Anthropic, UrlSafe, 20, int.MaxValue),
        new("sk-proj-", OpenAi, UrlSafe, 20, int.MaxValue),
        new("sk-svcacct-", OpenAi, UrlSafe, 20, int.MaxValue),
        new("sk-admin-", OpenAi, UrlSafe, 20, int.MaxValue),
        new("sk-", OpenAi, Alnum, 32, int.MaxValue, NeedsDigit: true), // the legacy form: a long word after "sk-" is not a key
        new("AKIA", Aws, UpperAlnum, 16, 16, Delimited: true),
        new("ASIA", Aws, UpperAlnum, 16, 16, Delimited: true),
        new("ghp_", GitHub, Alnum, 36, int.MaxValue),
        new("gho_", GitHub, Alnum, 36, int.MaxValue),
        new("ghs_", GitHub, Alnum, 36, int.MaxValue),
        new("ghu_", GitHub, Alnum, 36, int.MaxValue),
        new("ghr_", GitHub, Alnum, 36, int.MaxValue),
        new("github_pat_", GitHub, AlnumUnderscore, 22, int.MaxValue),
        new("xoxa-", Slack, AlnumDash, 10, int.MaxValue),
        new("xoxb-", Slack, AlnumDash, 10, int.MaxValue),
        new("xoxp-", Slack, AlnumDash, 10, int.MaxValue),
        new("xoxr-", Slack, AlnumDash, 10, int.MaxValue),
        new("xoxs-", Slack, AlnumDash, 10, int.MaxValue),
        new("AIza", Google, UrlSafe, 35, 35),
        new("sk_live_", Stripe, Alnum, 16, int.MaxValue),
        new("sk_test_", Stripe, Alnum, 16, int.MaxValue),
        new("rk_live_", Stripe, Alnum, 16, int.MaxValue),
        new("rk_test_", Stripe, Alnum, 16, int.MaxValue),
        new("aok_", AgentOps, Alnum, 8, 8), // then _ and 40 more: checked below
        new("aor_", AgentOps, UrlSafe, 43, 43),
        new("aoi_", AgentOps, UrlSafe, 43, 43),
        new("whsec_", AgentOps, UrlSafe, 43, 43),
        new("glpat-", GitLab, UrlSafe, 20, int.MaxValue), // personal access tokens (a routable token's part after a dot is not taken)
        new("glrt-", GitLab, UrlSafe, 20, int.MaxValue), // runner authentication tokens
        new("hf_", HuggingFace, Alnum, 34, int.MaxValue), // access tokens: hf_ + 34 letters
    ];

    /// <summary>Every prefix, found together by one vectorized search.</summary>
    private static readonly SearchValues<string> KeyPrefixes = SearchValues.Create([.. KeyShapes.Select(k => k.Prefix).Distinct()], StringComparison.Ordinal);

    private static void FindApiKeys(ReadOnlySpan<char> text, List<Finding> found)
    {
        var i = 0;
        while (i < text.Length)
        {
            var next = text[i..].IndexOfAny(KeyPrefixes);
            if (next < 0) return;
            var at = i + next;
            var detector = -1;
            var length = at > 0 && UrlSafe.Contains(text[at - 1]) && !AfterEscape(text, at) ? 0 : KeyAt(text, at, out detector);
            if (length == 0) { i = at + 1; continue; }
            found.Add(new(at, length, detector));
            i = at + length;
        }
    }

    /// <summary>The length of the key starting at <paramref name="at"/> (0 for none) and the detector that knows it.</summary>
    private static int KeyAt(ReadOnlySpan<char> text, int at, out int detector)
    {
        var rest = text[at..];
        foreach (var shape in KeyShapes)
        {
            if (!rest.StartsWith(shape.Prefix, StringComparison.Ordinal)) continue;
            var body = rest[shape.Prefix.Length..];
            var run = body.IndexOfAnyExcept(shape.Body);
            if (run < 0) run = body.Length;
            if (run < shape.Min || shape.Delimited && run > shape.Max) continue;
            var take = Math.Min(run, shape.Max);
            if (shape.NeedsDigit && body[..take].IndexOfAnyInRange('0', '9') < 0) continue;
            if (shape.Prefix == "aok_")
            {
                // aok_ + 8 base62 + _ + 40 base62
                if (run != 8 || body.Length < 49 || body[8] != '_' || body.Slice(9, 40).IndexOfAnyExcept(Alnum) >= 0) continue;
                take = 49;
            }
            detector = shape.Detector;
            return shape.Prefix.Length + take;
        }
        detector = -1;
        return 0;
    }

    /// <summary>Three base64url parts (the signature may be empty for alg "none"); the header must start {" (eyJ).</summary>
    [GeneratedRegex(@"(?:(?<![A-Za-z0-9_-])|(?<=\\[nrtbf])|(?<=%[0-9A-Fa-f]{2}))eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex JwtShape();

    private static void FindJwts(ReadOnlySpan<char> text, List<Finding> found)
    {
        foreach (var m in JwtShape().EnumerateMatches(text))
        {
            var token = text.Slice(m.Index, m.Length);
            if (IsJwtHeader(token[..token.IndexOf('.')])) found.Add(new(m.Index, m.Length, JwtToken));
        }
    }

    /// <summary>The header decodes (base64url) to a JSON object with a string "alg" at its top level.</summary>
    internal static bool IsJwtHeader(ReadOnlySpan<char> header)
    {
        if (header.Length > 2048) return false;
        Span<byte> bytes = stackalloc byte[Base64Url.GetMaxDecodedLength(header.Length)];
        if (!Base64Url.TryDecodeFromChars(header, bytes, out var length)) return false;
        var reader = new Utf8JsonReader(bytes[..length]);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isAlg = reader.ValueTextEquals("alg"u8);
                if (!reader.Read()) return false;
                if (isAlg) return reader.TokenType == JsonTokenType.String;
                reader.Skip();
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>"Bearer" then blanks then an RFC 6750 b64token; the finding is the token only.</summary>
    [GeneratedRegex(@"(?:(?<![A-Za-z0-9])|(?<=\\[nrtbf])|(?<=%[0-9A-Fa-f]{2}))(?i:bearer)[ \t]+[A-Za-z0-9._~+/-]{12,}=*", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex BearerShape();

    private static void FindBearerTokens(ReadOnlySpan<char> text, List<Finding> found)
    {
        foreach (var m in BearerShape().EnumerateMatches(text))
        {
            var start = m.Index + 6;
            while (text[start] is ' ' or '\t') start++;
            var token = text[start..(m.Index + m.Length)];
            // "Bearer authentication-explained" is prose: a token has a digit.
            if (token.IndexOfAnyInRange('0', '9') >= 0) found.Add(new(start, m.Index + m.Length - start, Bearer));
        }
    }

    // ---- IBAN ------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Upper-case country code and check digits (found from the digits: every IBAN has two letters then two digits), then
    /// exactly the country's length of upper-case letters and digits, in electronic form or with single spaces after
    /// every fourth character (print form); then no letter or digit, and a mod-97 remainder of 1.
    /// </summary>
    private static void FindIbans(ReadOnlySpan<char> text, List<Finding> found)
    {
        Span<char> compact = stackalloc char[40];
        for (var i = 2; i + 1 < text.Length;)
        {
            var next = text[i..^1].IndexOfAnyInRange('0', '9');
            if (next < 0) return;
            var d = i + next;
            var start = d - 2;
            if (!char.IsAsciiDigit(text[d + 1]) || !char.IsAsciiLetterUpper(text[start]) || !char.IsAsciiLetterUpper(text[start + 1])
                || start > 0 && char.IsAsciiLetterOrDigit(text[start - 1]) || Iban.LengthOf(text.Slice(start, 2)) is not { } length)
            {
                // No later digit of this run can be a check digit: two letters must come right before one.
                i = SkipDigits(text, d + 1);
                continue;
            }
            text.Slice(start, 4).CopyTo(compact);
            int n = 4, p = start + 4;
            while (n < length && p < text.Length)
            {
                var c = text[p];
                if (c == ' ' && n % 4 == 0 && p + 1 < text.Length && text[p - 1] != ' ') { p++; continue; }
                if (!char.IsAsciiDigit(c) && !char.IsAsciiLetterUpper(c)) break;
                compact[n++] = c;
                p++;
            }
            if (n == length && !(p < text.Length && char.IsAsciiLetterOrDigit(text[p])) && Iban.IsValidCompact(compact[..n]))
            {
                found.Add(new(start, p - start, IbanNumber));
                i = p + 2;
            }
            else i = d + 2;
        }
    }

    // ---- E-mail ----------------------------------------------------------------------------------------------------

    private static bool IsLocal(char c) => char.IsLetter(c) || char.IsNumber(c) || c is '.' or '_' or '%' or '+' or '-';

    private static bool IsLabel(char c) => char.IsLetter(c) || char.IsNumber(c) || c == '-';

    /// <summary>
    /// From each @: a local part of 1–64 characters before it (letters of any script, digits, . _ % + -, with at least
    /// one letter or digit), a domain of 2–9 labels of 1–63 letters, digits or dashes after it, the last (top-level)
    /// of 2–24 letters or an IDN xn-- label, and then no more domain.
    /// </summary>
    private static void FindEmails(ReadOnlySpan<char> text, List<Finding> found)
    {
        var floor = 0;
        for (var i = 1; i < text.Length;)
        {
            var next = text[i..].IndexOf('@');
            if (next < 0) return;
            var at = i + next;
            i = at + 1;
            var start = at;
            while (start > floor && at - start < 64 && IsLocal(text[start - 1])) start--;
            if (start == at || text[start..at].IndexOfAnyExcept(".-_%+") < 0) continue;
            // Labels: maximal runs joined by single dots.
            int p = at + 1, labels = 0, lastLabel = p;
            while (true)
            {
                var q = p;
                while (q < text.Length && q - p < 64 && IsLabel(text[q])) q++;
                if (q == p || q - p > 63) break;
                labels++;
                lastLabel = p;
                p = q;
                if (p + 1 < text.Length && text[p] == '.' && IsLabel(text[p + 1]) && labels < 9) { p++; continue; }
                break;
            }
            if (labels < 2 || p < text.Length && IsLabel(text[p]) || p + 1 < text.Length && text[p] == '.' && IsLabel(text[p + 1])) continue;
            var tld = text[lastLabel..p];
            if (!(tld.Length is >= 2 and <= 24 && AllLetters(tld) || tld.Length > 4 && tld.StartsWith("xn--", StringComparison.Ordinal))) continue;
            found.Add(new(start, p - start, EmailAddress));
            floor = p;
            i = p;
        }
    }

    private static bool AllLetters(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            if (!char.IsLetter(c)) return false;
        return true;
    }

    // ---- Digit runs: cards and phones ------------------------------------------------------------------------------

    private const int MaxGroups = 16;

    /// <summary>One group of digits of a run; Sep is the separator before it ('\0' for none or the run's first).</summary>
    private struct Group
    {
        public int Start;
        public int Length;
        public char Sep;
        public bool Paren;
    }

    private static readonly SearchValues<char> Digits = SearchValues.Create("0123456789");
    private static readonly SearchValues<char> PhoneStarts = SearchValues.Create("+(0123456789");

    private static bool IsWord(char c) => char.IsLetterOrDigit(c) || c == '_';

    /// <summary>
    /// A card number may start where the character before is not a letter, digit or underscore, nor a decimal point or
    /// comma after a digit (3.14159265358979…).
    /// </summary>
    private static bool CardMayStartAt(ReadOnlySpan<char> text, int i) =>
        i == 0 || AfterEscape(text, i) || !IsWord(text[i - 1]) && !(text[i - 1] is '.' or ',' && i >= 2 && char.IsAsciiDigit(text[i - 2]));

    /// <summary>
    /// Cards: runs of digit groups joined by single spaces or dashes. Within a run, from every group, the longest window
    /// of whole groups that is a card number is a finding (overlapping ones merge later, so a card after a number that
    /// happens to pass too is still covered): 13–19 digits, either one group or a first group of four and further
    /// groups of 2–6 joined by one kind of separator (4-4-4-4, 4-6-5, 4-4-4-4-3), an issuer digit of 2–6 (Mastercard
    /// 2/5, Amex and Diners 3, Visa 4, Discover, UnionPay and Maestro 6) and a valid Luhn check. A longer unbroken digit
    /// run is an id, not a card.
    /// </summary>
    private static void FindCards(ReadOnlySpan<char> text, List<Finding> found)
    {
        Span<Group> groups = stackalloc Group[MaxGroups];
        var i = 0;
        while (i < text.Length)
        {
            var next = text[i..].IndexOfAny(Digits);
            if (next < 0) return;
            var s = i + next;
            if (!CardMayStartAt(text, s)) { i = SkipDigits(text, s); continue; }
            var k = 0;
            var p = s;
            var sep = '\0';
            while (k < MaxGroups)
            {
                var q = p;
                while (q < text.Length && char.IsAsciiDigit(text[q])) q++;
                groups[k++] = new Group { Start = p, Length = q - p, Sep = sep };
                p = q;
                if (p + 1 < text.Length && text[p] is ' ' or '-' && char.IsAsciiDigit(text[p + 1])) { sep = text[p]; p++; }
                else break;
            }
            var glued = p < text.Length && (IsWord(text[p]) || text[p] is '.' or ',' && p + 1 < text.Length && char.IsAsciiDigit(text[p + 1]));
            for (var a = 0; a < k; a++)
                for (var b = k - 1; b >= a; b--)
                {
                    if (b == k - 1 && glued || !IsCard(text, groups, a, b)) continue;
                    var end = groups[b].Start + groups[b].Length;
                    found.Add(new(groups[a].Start, end - groups[a].Start, CardNumber));
                    break;
                }
            i = Math.Max(p, s + 1);
        }
    }

    private static int SkipDigits(ReadOnlySpan<char> text, int i)
    {
        while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
        return i;
    }

    private static bool IsCard(ReadOnlySpan<char> text, ReadOnlySpan<Group> groups, int a, int b)
    {
        var digits = 0;
        for (var g = a; g <= b; g++) digits += groups[g].Length;
        if (digits is < 13 or > 19 || text[groups[a].Start] is < '2' or > '6') return false;
        if (b > a)
        {
            if (groups[a].Length != 4) return false;
            for (var g = a + 1; g <= b; g++)
                if (groups[g].Length is < 2 or > 6 || groups[g].Sep != groups[a + 1].Sep) return false;
        }
        var start = groups[a].Start;
        return Luhn.IsValid(text[start..(groups[b].Start + groups[b].Length)]);
    }

    /// <summary>
    /// A phone number may start where the character before is not a letter, digit or underscore; not a dot or dash
    /// joined to a word (v1.2, ab-12); not a colon or slash after a digit (12:30, 01/15).
    /// </summary>
    private static bool PhoneMayStartAt(ReadOnlySpan<char> text, int i)
    {
        if (i == 0 || AfterEscape(text, i)) return true;
        var before = text[i - 1];
        if (IsWord(before) || before is '+' or '$' or '€' or '£' or '#') return false;
        if (before is '.' or '-' or ',' && i >= 2 && IsWord(text[i - 2])) return false;
        if (before is ':' or '/' && i >= 2 && char.IsAsciiDigit(text[i - 2])) return false;
        return true;
    }

    /// <summary>
    /// Phones: runs of digit groups joined by single spaces, dashes or dots, an optional leading +, and area codes in
    /// parentheses. Within a run, from every group after a space, the longest window of whole groups (split only at
    /// spaces) that is a phone number is a finding:
    /// <list type="bullet">
    /// <item>international: + then 8–15 digits, not starting with 0; or 00 and the country code then groups joined by spaces;</item>
    /// <item>North American: 3-3-4 digits (or 1-3-3-4), area code and exchange starting 2–9, one kind of separator, the
    /// area code optionally in parentheses;</item>
    /// <item>national with a trunk 0 (020 7946 0958, 06 12 34 56 78, (030) 1234567): 9–12 digits in at least two groups
    /// joined by one kind of separator.</item>
    /// </list>
    /// Never a bare digit run without + (an id), dates (2024-01-15, 15.01.2024: too few digits), times, versions (a first
    /// group neither 0-led nor 3-3-4), IP addresses or UUIDs (joined to letters).
    /// </summary>
    private static void FindPhones(ReadOnlySpan<char> text, List<Finding> found)
    {
        Span<Group> groups = stackalloc Group[MaxGroups];
        var i = 0;
        while (i < text.Length)
        {
            var next = text[i..].IndexOfAny(PhoneStarts);
            if (next < 0) return;
            var s = i + next;
            if (!PhoneMayStartAt(text, s)) { i = char.IsAsciiDigit(text[s]) ? SkipDigits(text, s) : s + 1; continue; }
            var plus = text[s] == '+';
            var p = plus ? s + 1 : s;
            var k = 0;
            var sep = '\0';
            while (k < MaxGroups && p < text.Length)
            {
                if (text[p] == '(')
                {
                    var q = p + 1;
                    while (q < text.Length && q - p <= 5 && char.IsAsciiDigit(text[q])) q++;
                    if (q == p + 1 || q - p > 5 || q >= text.Length || text[q] != ')') break;
                    groups[k++] = new Group { Start = p + 1, Length = q - p - 1, Sep = sep, Paren = true };
                    p = q + 1;
                }
                else if (char.IsAsciiDigit(text[p]))
                {
                    var q = p;
                    while (q < text.Length && char.IsAsciiDigit(text[q])) q++;
                    groups[k++] = new Group { Start = p, Length = q - p, Sep = sep };
                    p = q;
                }
                else break;
                if (p + 1 < text.Length && text[p] is ' ' or '-' or '.' && (char.IsAsciiDigit(text[p + 1]) || text[p + 1] == '(')) { sep = text[p]; p++; }
                else if (p < text.Length && (groups[k - 1].Paren && char.IsAsciiDigit(text[p]) || !groups[k - 1].Paren && text[p] == '(')) sep = '\0';
                else break;
            }
            if (k == 0) { i = s + 1; continue; }
            var last = groups[k - 1];
            var runEnd = last.Start + last.Length + (last.Paren ? 1 : 0);
            var glued = false;
            if (runEnd < text.Length)
            {
                var c = text[runEnd];
                glued = IsWord(c) || c == '@' || c is '.' or '-' or ':' or '/' or ',' && runEnd + 1 < text.Length && char.IsAsciiDigit(text[runEnd + 1]);
            }
            for (var a = 0; a < k; a++)
            {
                if (a > 0 && groups[a].Sep != ' ') continue;
                for (var b = k - 1; b >= a; b--)
                {
                    if (b == k - 1 ? glued : groups[b + 1].Sep != ' ') continue;
                    var international = plus && a == 0;
                    if (!IsPhone(text, groups, a, b, international)) continue;
                    var start = international ? s : groups[a].Paren ? groups[a].Start - 1 : groups[a].Start;
                    var end = groups[b].Start + groups[b].Length + (groups[b].Paren ? 1 : 0);
                    found.Add(new(start, end - start, PhoneNumber));
                    break;
                }
            }
            i = Math.Max(runEnd, s + 1);
        }
    }

    private static bool IsPhone(ReadOnlySpan<char> text, ReadOnlySpan<Group> groups, int a, int b, bool international)
    {
        var digits = 0;
        for (var g = a; g <= b; g++) digits += groups[g].Length;
        var first = groups[a];
        var lead = text[first.Start];
        if (international)
            return lead != '0' && digits is >= 8 and <= 15 && (a == b || first.Length <= 4);

        // 00 and a country code of 1–3 digits, then groups joined by spaces: international too (0044 20 7946 0958).
        if (!first.Paren && first.Length >= 2 && lead == '0' && text[first.Start + 1] == '0')
            return first.Length is >= 3 and <= 5 && text[first.Start + 2] != '0' && b > a && groups[a + 1].Sep == ' '
                && digits - 2 is >= 8 and <= 15 && SameSeparators(groups, a, b);

        // North American: [1] (NXX) NXX XXXX, area code and exchange starting 2–9.
        var n = b - a + 1;
        var area = a;
        if (n == 4 && !first.Paren && first.Length == 1 && lead == '1') { area = a + 1; n = 3; }
        if (n == 3)
        {
            Group code = groups[area], exchange = groups[area + 1], line = groups[area + 2];
            if (code.Length == 3 && exchange.Length == 3 && line.Length == 4 && !exchange.Paren && !line.Paren
                && text[code.Start] >= '2' && text[exchange.Start] >= '2' && line.Sep != '\0'
                && (code.Paren || exchange.Sep == line.Sep) && (area == a || code.Paren || code.Sep == exchange.Sep))
                return true;
        }

        // National with a trunk 0: 0X… first group of 2–5 digits (maybe in parentheses), then groups of 2–8.
        if (b == a || lead != '0' || first.Length is < 2 or > 5 || text[first.Start + 1] == '0' || digits is < 9 or > 12) return false;
        for (var g = a + 1; g <= b; g++)
            if (groups[g].Length is < 2 or > 8 || groups[g].Paren) return false;
        return SameSeparators(groups, first.Paren ? a + 1 : a, b);
    }

    /// <summary>Groups from+1..b are joined by one kind of separator (none of them in parentheses).</summary>
    private static bool SameSeparators(ReadOnlySpan<Group> groups, int from, int b)
    {
        if (b <= from) return true;
        var sep = groups[from + 1].Sep;
        if (sep == '\0') return false;
        for (var g = from + 1; g <= b; g++)
            if (groups[g].Sep != sep || groups[g].Paren) return false;
        return true;
    }
}
