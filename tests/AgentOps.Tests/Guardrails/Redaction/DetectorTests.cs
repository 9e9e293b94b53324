using AgentOps.Guardrails.Redaction;

namespace AgentOps.Tests.Guardrails.Redaction;

/// <summary>Each built-in detector on what it must find (the exact value) and on near misses it must leave alone.</summary>
public class DetectorTests
{
    /// <summary>What the default redactor finds in a text: (kind, the value as it stood in the text).</summary>
    internal static List<(string Kind, string Value)> Found(string text)
    {
        var result = Redactor.Default.Redact(text, new RedactionMap());
        return [.. result.Spans.Select(s => (s.Kind, text.Substring(s.Start, s.Length)))];
    }

    private static void AssertFinds(string kind, string value, string before = "text ", string after = " end")
    {
        var found = Found(before + value + after);
        Assert.Equal([(kind, value)], found);
    }

    private static void AssertNothing(string text) => Assert.Empty(Found(text));

    // ---- Values right after an escape (JSON-escaped log lines, query strings) ---------------------------------------

    [Theory]
    [InlineData("API_KEY", "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9o")]
    [InlineData("JWT", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")]
    [InlineData("CARD", "4111 1111 1111 1111")]
    [InlineData("PHONE", "+44 20 7946 0958")]
    public void A_value_right_after_an_escaped_separator_is_found(string kind, string value)
    {
        AssertFinds(kind, value, before: "log line one\\n");
        AssertFinds(kind, value, before: "GET /x?key%3D");
        AssertFinds(kind, value, before: "a\\t");
    }

    [Fact]
    public void A_bearer_token_after_an_escaped_newline_is_found() =>
        Assert.Equal([("TOKEN", "abcdefABCDEF0123456789xyz")], Found("headers:\\nBearer abcdefABCDEF0123456789xyz"));

    // ---- API keys -------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9o", "openai")]
    [InlineData("sk-svcacct-AbCdEfGhIjKlMnOpQrStUvWx_yz-0123", "openai")]
    [InlineData("sk-3kFj8sLq0ZxP4mNvB7cR2tY6wE9uI1oA5sD8fG2hJ4kL7zX0", "openai")]
    [InlineData("sk-ant-api03-Xy9_Kq2LmN4pR7sT0vW3zA6bC8dE1fG5hJ-kL9mN2pQ4rS7tV0wX3yZ6aB8cD1eF4gH7jK0lM3nP6qR9sT2uV5wX8yZ1aB4cD7eF0gH3jK6lM9nP2QAA", "anthropic")]
    [InlineData("AKIAIOSFODNN7EXAMPLE", "aws")]
    [InlineData("ASIAY34FZKBOKMUTVV7A", "aws")]
    [InlineData("ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R", "github")]
    [InlineData("gho_16C7e42F292c6912E7710c838347Ae178B4a", "github")]
    [InlineData("ghs_16C7e42F292c6912E7710c838347Ae178B4a", "github")]
    [InlineData("ghu_16C7e42F292c6912E7710c838347Ae178B4a", "github")]
    [InlineData("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcd", "github")]
    [InlineData("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "slack")]
    [InlineData("xoxp-123456789012-123456789012-123456789012-0123456789abcdef0123456789abcdef", "slack")]
    [InlineData("AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe", "google")]
    [InlineData("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe")]
    [InlineData("rk_live_51H8s9dLkJ3mN4pQ7rS0tU2vW", "stripe")]
    [InlineData("aok_AbCd1234_0123456789abcdefghijABCDEFGHIJ0123456789", "agentops")]
    [InlineData("whsec_0123456789abcdefghijABCDEFGHIJklmnopqrstu-_", "agentops")]
    [InlineData("glpat-xYz12AbCdEfGhIjKlMn3", "gitlab")]
    [InlineData("glrt-2CR8_eVxiioB1QmzPZwa", "gitlab")]
    [InlineData("hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", "huggingface")]
    public void Api_keys_of_every_provider_are_found_whole(string key, string detector)
    {
        foreach (var (before, after) in new[] { ("key=", ""), ("export KEY=\"", "\";"), ("token: ", ".\n"), ("(", ")") })
        {
            var result = Redactor.Default.Redact(before + key + after, new RedactionMap());
            var span = Assert.Single(result.Spans);
            Assert.Equal((RedactionKinds.ApiKey, detector, before.Length, key.Length, "[API_KEY_1]"), (span.Kind, span.Detector, span.Start, span.Length, span.Placeholder));
            Assert.Equal(before + "[API_KEY_1]" + after, result.Text);
        }
    }

    [Fact]
    public void AgentOps_keys_and_tokens_as_the_platform_issues_them_are_found()
    {
        foreach (var secret in new[]
                 {
                     AgentOps.Platform.Auth.Secrets.CreateApiKey().Key,
                     AgentOps.Platform.Auth.Secrets.CreateToken(AgentOps.Platform.Auth.Secrets.RefreshMarker),
                     AgentOps.Platform.Auth.Secrets.CreateToken(AgentOps.Platform.Auth.Secrets.InvitationMarker),
                 })
            AssertFinds(RedactionKinds.ApiKey, secret, "X-Api-Key: ", "\n");
    }

    [Theory]
    [InlineData("I use sk-learn and scikit-learn daily.")]
    [InlineData("task-manager and risk-assessment-framework-overview-document-v2")]
    [InlineData("sk-this-is-just-a-long-slug-without-any-digits-at-all")]
    [InlineData("sk-abcdefghijklmnopqrstuvwxyzabcdefghijklmnop")] // bare sk- form without a digit
    [InlineData("AKIA1234567890ABCDE is 15 long")]
    [InlineData("AKIAIOSFODNN7EXAMPLE1 is 21 long")]
    [InlineData("ghp_short and gho_ and github_pat_x")]
    [InlineData("xoxb-short")]
    [InlineData("AIzaSyDaGmWKa4JsXZ is short")]
    [InlineData("sk_live_abc and rk_test_")]
    [InlineData("aok_AbCd1234_tooShort and aor_abc")]
    public void Near_misses_of_api_keys_are_left_alone(string text) => AssertNothing(text);

    [Fact]
    public void A_key_prefix_inside_a_word_is_not_a_key() =>
        AssertNothing("mask-3kFj8sLq0ZxP4mNvB7cR2tY6wE9uI1oA5sD8fG2hJ4kL7zX0 and XAKIAIOSFODNN7EXAMPLE");

    // ---- JWT and bearer tokens ------------------------------------------------------------------------------------

    private const string Jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    [Fact]
    public void A_jwt_is_found_whole()
    {
        AssertFinds(RedactionKinds.Jwt, Jwt, "token=", "&next=1");
        var unsigned = SecretSamples.Encode("""{"alg":"none"}""") + "." + SecretSamples.Encode("""{"sub":"1"}""") + ".";
        AssertFinds(RedactionKinds.Jwt, unsigned, "t: ", " ok");
    }

    [Fact]
    public void Three_base64url_parts_whose_header_is_not_json_with_alg_are_not_a_jwt()
    {
        var noAlg = SecretSamples.Encode("""{"typ":"JWT","kid":"alg"}""") + ".eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        var nestedAlg = SecretSamples.Encode("""{"x":{"alg":"HS256"}}""") + ".eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        var algNotString = SecretSamples.Encode("""{"alg":256}""") + ".eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        var notJson = SecretSamples.Encode("""{"alg" HS256""") + ".eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        foreach (var token in new[] { noAlg, nestedAlg, algNotString, notJson, "eyJhbGciOiJI.eyJzdWIi.sig" })
            AssertNothing("see " + token + " here");
    }

    [Theory]
    [InlineData("Authorization: Bearer abcDEF123456ghiJKL789", "abcDEF123456ghiJKL789")]
    [InlineData("authorization: bearer 0123456789abcdef/+~._-xyz==", "0123456789abcdef/+~._-xyz==")]
    [InlineData("curl -H 'Authorization: Bearer\tmF_9.B5f-4.1JqM' https://x", "mF_9.B5f-4.1JqM")]
    public void A_bearer_credential_loses_its_token_but_keeps_the_scheme(string text, string token)
    {
        var result = Redactor.Default.Redact(text, new RedactionMap());
        var span = Assert.Single(result.Spans);
        Assert.Equal((RedactionKinds.BearerToken, token), (span.Kind, text.Substring(span.Start, span.Length)));
        Assert.Contains("earer", result.Text.Replace(token, "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(token, result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bearer_jwt_or_key_is_named_by_the_more_specific_kind()
    {
        Assert.Equal([(RedactionKinds.Jwt, Jwt)], Found("Authorization: Bearer " + Jwt));
        Assert.Equal([(RedactionKinds.ApiKey, "sk_live_4eC39HqLyjWDarjtT1zdp7dc")], Found("Authorization: Bearer sk_live_4eC39HqLyjWDarjtT1zdp7dc"));
    }

    [Theory]
    [InlineData("Use a Bearer token in the Authorization header.")]
    [InlineData("Bearer authentication-is-explained-here")]
    [InlineData("Bearer abc123")] // too short
    [InlineData("Forbearer 0123456789abcdefgh")]
    public void Prose_about_bearer_tokens_is_left_alone(string text) => AssertNothing(text);

    // ---- E-mail ---------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("jane.doe@example.com")]
    [InlineData("j+tag@sub.mail.example.co.uk")]
    [InlineData("first_last-99@example-domain.io")]
    [InlineData("用户@例子.广告")]
    [InlineData("müller@bücher.de")]
    [InlineData("info@xn--bcher-kva.xn--p1ai")]
    public void Email_addresses_are_found(string email)
    {
        AssertFinds(RedactionKinds.Email, email, "mail ", ".");
        AssertFinds(RedactionKinds.Email, email, "<", ">");
        AssertFinds(RedactionKinds.Email, email, "mailto:", "");
    }

    [Theory]
    [InlineData("user@localhost")]
    [InlineData("follow @handle on the site")]
    [InlineData("name@domain.c")]
    [InlineData("pin v1.2@3.4 now")]
    [InlineData("user@@example.com")]
    [InlineData("an ellipsis ...@example.com")]
    [InlineData("foo@bar.123 and a@b")]
    public void Near_misses_of_email_addresses_are_left_alone(string text) => AssertNothing(text);

    // ---- Cards ----------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("4111 1111 1111 1111")]
    [InlineData("4111-1111-1111-1111")]
    [InlineData("4111111111111111")]
    [InlineData("5500 0000 0000 0004")]
    [InlineData("5555555555554444")]
    [InlineData("2223003122003222")]
    [InlineData("3782 822463 10005")]
    [InlineData("378282246310005")]
    [InlineData("6011111111111117")]
    [InlineData("3530111333300000")]
    [InlineData("30569309025904")]
    [InlineData("4222222222222")]
    [InlineData("6250941006528599")]
    [InlineData("6011 0000 0000 0000 001")]
    public void Card_numbers_are_found(string card)
    {
        AssertFinds(RedactionKinds.Card, card, "card ", ", thanks");
        AssertFinds(RedactionKinds.Card, card, "\"", "\"");
    }

    [Theory]
    [InlineData("card 4111 1111 1111 1112 please")] // Luhn fails
    [InlineData("card 4111111111111112 please")]
    [InlineData("id 1234567812345670 ok")] // Luhn-valid, but no card issuer starts with 1
    [InlineData("id 7992739871300000 ok")]
    [InlineData("order 41111111111111111111 ok")] // 20 digits: an id
    [InlineData("ref x4111111111111111 ok")] // joined to a word
    [InlineData("ref 4111111111111111abc ok")]
    [InlineData("pi 3.4111111111111111 ok")] // decimals
    [InlineData("card 41 11 11 11 11 11 11 11")] // not grouped like a card
    [InlineData("card 411 1111 1111 1111 1")]
    [InlineData("phone +1 415 555 2671 and 2024-01-15")]
    public void Near_misses_of_card_numbers_are_left_alone(string text) =>
        Assert.DoesNotContain(Found(text), f => f.Kind == RedactionKinds.Card);

    [Fact]
    public void A_card_is_found_inside_a_run_of_other_numbers()
    {
        Assert.Equal([(RedactionKinds.Card, "4111 1111 1111 1111")], Found("on 2024-01-15 4111 1111 1111 1111, twice"));
        Assert.Equal([(RedactionKinds.Card, "4111111111111111")], Found("order 1234 4111111111111111 ok"));
        Assert.Equal([(RedactionKinds.Card, "4111111111111111"), (RedactionKinds.Card, "5555555555554444")], Found("4111111111111111 5555555555554444"));
    }

    // ---- Phones ---------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("+1 415 555 2671")]
    [InlineData("+14155552671")]
    [InlineData("+44 20 7946 0958")]
    [InlineData("+1 (415) 555-2671")]
    [InlineData("+33 (0)6 12 34 56 78")]
    [InlineData("+49 30 1234567")]
    [InlineData("(415) 555-2671")]
    [InlineData("(415)555-2671")]
    [InlineData("415-555-2671")]
    [InlineData("415.555.2671")]
    [InlineData("415 555 2671")]
    [InlineData("1-800-555-1234")]
    [InlineData("020 7946 0958")]
    [InlineData("06 12 34 56 78")]
    [InlineData("06.12.34.56.78")]
    [InlineData("(030) 1234567")]
    [InlineData("0171 1234567")]
    [InlineData("0044 20 7946 0958")]
    public void Phone_numbers_are_found(string phone)
    {
        AssertFinds(RedactionKinds.Phone, phone, "call ", " now");
        AssertFinds(RedactionKinds.Phone, phone, "Tel: ", ".");
    }

    [Theory]
    [InlineData("released 2024-01-15 at 12:30:45")]
    [InlineData("on 15.01.2024 and 01/15/2024 and 2024/01/15")]
    [InlineData("version 1.2.3 and 10.0.19045.2965 and v2.14.3-4567")]
    [InlineData("host 192.168.100.200 and 10.0.0.1")]
    [InlineData("id 123e4567-e89b-12d3-a456-426614174000")]
    [InlineData("bare 4155552671 and 1234567890123")]
    [InlineData("ISBN 978-3-16-148410-0")]
    [InlineData("3-5 business days, 1,299.00 EUR, 12 345 678")]
    [InlineData("+0 123 456 789 and +1 23")]
    [InlineData("dial 555-2671")]
    [InlineData("area 115-555-2671 and 415-155-2671")] // NANP area codes and exchanges start 2-9
    [InlineData("2024-01-15 10:30 - 11:45")]
    [InlineData("mixed 415-555.2671")]
    [InlineData("price $415 555 2671")]
    public void Dates_times_versions_and_ids_are_not_phones(string text) =>
        Assert.DoesNotContain(Found(text), f => f.Kind == RedactionKinds.Phone);

    [Fact]
    public void A_phone_is_found_beside_a_date_in_one_run_of_numbers() =>
        Assert.Equal([(RedactionKinds.Phone, "415-555-2671")], Found("on 2024-01-15 415-555-2671 called"));

    // ---- IBAN -----------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("DE89 3704 0044 0532 0130 00")]
    [InlineData("DE89370400440532013000")]
    [InlineData("GB29 NWBK 6016 1331 9268 19")]
    [InlineData("FR14 2004 1010 0505 0001 3M02 606")]
    [InlineData("NL91ABNA0417164300")]
    [InlineData("BE68 5390 0754 7034")]
    [InlineData("CH93 0076 2011 6238 5295 7")]
    [InlineData("NO93 8601 1117 947")]
    [InlineData("MT84 MALT 0110 0001 2345 MTLC AST0 01S")]
    public void Ibans_are_found_in_print_and_electronic_form(string iban)
    {
        AssertFinds(RedactionKinds.Iban, iban, "IBAN: ", ", BIC X");
        AssertFinds(RedactionKinds.Iban, iban, "(", ")");
    }

    [Theory]
    [InlineData("DE88 3704 0044 0532 0130 00")] // wrong check digits
    [InlineData("DE89 3704 0044 0532 0130 01")]
    [InlineData("DE89 3704 0044 0532 0130 0")] // one short
    [InlineData("DE89370400440532013000X")] // joined to more
    [InlineData("XX89 3704 0044 0532 0130 00")] // no such country
    [InlineData("de89 3704 0044 0532 0130 00")] // lower-case country code
    [InlineData("DE89  3704 0044 0532 0130 00")] // two spaces
    public void Near_misses_of_ibans_are_left_alone(string text) =>
        Assert.DoesNotContain(Found("IBAN " + text + " ok"), f => f.Kind == RedactionKinds.Iban);

    // ---- Overlaps -------------------------------------------------------------------------------------------------

    [Fact]
    public void Overlapping_findings_merge_into_one_span_named_by_the_longest()
    {
        // The IBAN holds digit runs a card or phone scan may like; the IBAN is longer.
        Assert.Equal([(RedactionKinds.Iban, "DE89 3704 0044 0532 0130 00")], Found("pay DE89 3704 0044 0532 0130 00 now"));
        // A phone number as an address's local part: the address is longer.
        Assert.Equal([(RedactionKinds.Email, "+14155552671@sms.example.com")], Found("to +14155552671@sms.example.com ok"));
    }

    [Fact]
    public void A_phone_that_runs_into_a_card_is_redacted_together_with_it()
    {
        // "+1 415 555 2671 4111" is a valid international length, overlapping the card: both go, as one span.
        var text = "call +1 415 555 2671 4111 1111 1111 1111 now";
        var result = Redactor.Default.Redact(text, new RedactionMap());
        Assert.Equal("call [PHONE_1] now", result.Text);
        Assert.DoesNotContain("1111", result.Text, StringComparison.Ordinal);
    }
}
