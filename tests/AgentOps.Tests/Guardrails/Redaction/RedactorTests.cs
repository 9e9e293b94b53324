using System.Text.Json;
using AgentOps.Guardrails.Redaction;

namespace AgentOps.Tests.Guardrails.Redaction;

/// <summary>The map, placeholders, restore, JSON, limits, rules and the report.</summary>
public class RedactorTests
{
    private const string Email = "jane.doe@example.com";
    private const string Card = "4111 1111 1111 1111";

    [Fact]
    public void The_same_value_gets_the_same_placeholder_in_every_text_of_a_call()
    {
        var map = new RedactionMap();
        var message = Redactor.Default.Redact($"Mail {Email} or bob@example.org, card {Card}. Again: {Email}", map);
        var log = Redactor.Default.Redact($"lookup email={Email} card={Card}", map);
        var args = Redactor.Default.RedactJson($$"""{"to": "{{Email}}", "cc": ["bob@example.org"], "n": 2}""", map);

        Assert.Equal("Mail [EMAIL_1] or [EMAIL_2], card [CARD_1]. Again: [EMAIL_1]", message.Text);
        Assert.Equal("lookup email=[EMAIL_1] card=[CARD_1]", log.Text);
        Assert.Equal("""{"to": "[EMAIL_1]", "cc": ["[EMAIL_2]"], "n": 2}""", args.Text);
        Assert.Equal(3, map.Count);
        Assert.True(map.TryGetOriginal("[EMAIL_2]", out var original));
        Assert.Equal("bob@example.org", original);
        Assert.False(map.TryGetOriginal("[EMAIL_3]", out _));
    }

    [Fact]
    public void Restore_puts_the_originals_back_and_a_fresh_map_numbers_the_same_way()
    {
        var text = $"Mail {Email}, card {Card}, IBAN DE89 3704 0044 0532 0130 00, key AKIAIOSFODNN7EXAMPLE.";
        var map = new RedactionMap();
        var redacted = Redactor.Default.Redact(text, map).Text;
        Assert.Equal("Mail [EMAIL_1], card [CARD_1], IBAN [IBAN_1], key [API_KEY_1].", redacted);
        Assert.Equal(text, map.Restore(redacted));
        // Deterministic: the same text in a fresh map reads the same (cache keys built from redacted text agree).
        Assert.Equal(redacted, Redactor.Default.Redact(text, new RedactionMap()).Text);
        // Another map's placeholders mean nothing here.
        Assert.Equal(redacted, new RedactionMap().Restore(redacted));
    }

    [Fact]
    public void A_model_that_echoes_a_placeholder_gets_the_value_restored()
    {
        var map = new RedactionMap();
        Redactor.Default.Redact($"My address is {Email}", map);
        var reply = Redactor.Default.Redact("I will write to [EMAIL_1] today.", map);
        Assert.Equal("I will write to [EMAIL_1] today.", reply.Text);
        Assert.Empty(reply.Spans);
        Assert.Equal($"I will write to {Email} today.", map.Restore(reply.Text));
    }

    [Fact]
    public void Placeholder_shaped_user_text_round_trips_and_is_never_issued()
    {
        var map = new RedactionMap();
        var text = $"Template: [EMAIL_1] and [CARD_2] stay; real: {Email}, {Card}, and 4012888888881881 [CARD_1].";
        var result = Redactor.Default.Redact(text, map);
        Assert.Equal("Template: [EMAIL_1] and [CARD_2] stay; real: [EMAIL_2], [CARD_3], and [CARD_4] [CARD_1].", result.Text);
        Assert.Equal(text, map.Restore(result.Text));
        Assert.Equal(["[EMAIL_2]", "[CARD_3]", "[CARD_4]"], result.Spans.Select(s => s.Placeholder));
    }

    [Fact]
    public void Redacting_redacted_text_changes_nothing()
    {
        var map = new RedactionMap();
        var once = Redactor.Default.Redact($"a {Email} b {Card} c [PHONE_7] d", map);
        var twice = Redactor.Default.Redact(once.Text, map);
        Assert.Same(once.Text, twice.Text);
        Assert.Empty(twice.Spans);
        Assert.Equal(once.Text, Redactor.Default.Redact(once.Text, new RedactionMap()).Text);
    }

    [Fact]
    public void Text_without_findings_is_returned_as_is()
    {
        var text = "Release 2.14.3 shipped on 2024-11-05 at 14:30; see ticket T-88213.";
        var result = Redactor.Default.Redact(text, new RedactionMap());
        Assert.True(result.Screened);
        Assert.Same(text, result.Text);
        Assert.Empty(result.Spans);
        Assert.Empty(result.Counts);
    }

    [Fact]
    public void Spans_and_counts_name_kinds_positions_and_placeholders_never_values()
    {
        var text = $"{Email} {Email} {Card} sk_live_4eC39HqLyjWDarjtT1zdp7dc";
        var map = new RedactionMap();
        var result = Redactor.Default.Redact(text, map);
        Assert.Equal(
            [
                new RedactedSpan("EMAIL", "email", 0, Email.Length, "[EMAIL_1]"),
                new RedactedSpan("EMAIL", "email", Email.Length + 1, Email.Length, "[EMAIL_1]"),
                new RedactedSpan("CARD", "card", 2 * Email.Length + 2, Card.Length, "[CARD_1]"),
                new RedactedSpan("API_KEY", "stripe", 2 * Email.Length + Card.Length + 3, 32, "[API_KEY_1]"),
            ], result.Spans);
        Assert.Equal([new RedactionCount("API_KEY", 1, 1), new RedactionCount("CARD", 1, 1), new RedactionCount("EMAIL", 2, 1)], result.Counts);

        Redactor.Default.Redact($"again {Email}", map);
        Redactor.Default.Redact(new string('x', Redactor.MaxTextLength + 1), map);
        var report = map.Report();
        Assert.Equal([new RedactionCount("API_KEY", 1, 1), new RedactionCount("CARD", 1, 1), new RedactionCount("EMAIL", 3, 1)], report.Kinds);
        Assert.Equal((2, 1, 5), (report.TextsScreened, report.TextsNotScreened, report.Total));
        Assert.Equal("API_KEY=1/1 CARD=1/1 EMAIL=3/1", report.ToString());
        var audit = JsonSerializer.Serialize(report) + JsonSerializer.Serialize(result.Spans);
        Assert.DoesNotContain("jane", audit, StringComparison.Ordinal);
        Assert.DoesNotContain("4111", audit, StringComparison.Ordinal);
    }

    // ---- Limits: fail closed -----------------------------------------------------------------------------------------

    [Fact]
    public void A_text_over_the_limit_is_not_screened_and_holds_no_text()
    {
        var big = new string('a', Redactor.MaxTextLength - Email.Length) + Email;
        Assert.True(Redactor.Default.Redact(big, new RedactionMap()).Screened);
        var tooBig = big + " ";
        var result = Redactor.Default.Redact(tooBig, new RedactionMap());
        Assert.False(result.Screened);
        Assert.Equal(NotScreenedReason.TooLarge, result.Reason);
        Assert.False(result.TryGetText(out var text));
        Assert.Null(text);
        var e = Assert.Throws<InvalidOperationException>(() => result.Text);
        Assert.Contains("not screened", e.Message, StringComparison.Ordinal);
        Assert.Equal(NotScreenedReason.TooLarge, Redactor.Default.RedactJson($"\"{tooBig}\"", new RedactionMap()).Reason);
    }

    [Theory]
    [InlineData("{\"a\": 1")]
    [InlineData("{\"a\": 1} trailing")]
    [InlineData("{\"a\": 1, /* jane.doe@example.com */ \"b\": 2}")]
    [InlineData("[1, 2,]")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not json jane.doe@example.com")]
    public void Invalid_json_is_not_screened(string json)
    {
        var map = new RedactionMap();
        var result = Redactor.Default.RedactJson(json, map);
        Assert.Equal(NotScreenedReason.InvalidJson, result.Reason);
        Assert.Throws<InvalidOperationException>(() => result.Text);
        Assert.Equal(1, map.Report().TextsNotScreened);
    }

    [Fact]
    public void Json_deeper_than_the_limit_is_not_screened()
    {
        var ok = new string('[', Redactor.MaxJsonDepth) + new string(']', Redactor.MaxJsonDepth);
        Assert.True(Redactor.Default.RedactJson(ok, new RedactionMap()).Screened);
        var deep = "[" + ok + "]";
        Assert.Equal(NotScreenedReason.InvalidJson, Redactor.Default.RedactJson(deep, new RedactionMap()).Reason);
    }

    [Fact]
    public void A_full_map_refuses_new_values_but_keeps_the_known_ones()
    {
        var map = new RedactionMap();
        // Fill the map cheaply through a custom pattern: one distinct value per line.
        var (redactor, _) = Redactor.Create(new RedactionRules(BuiltInDetectors.None, [new CustomPattern("N", "#[0-9]+")]));
        var lines = string.Join(' ', Enumerable.Range(1, RedactionMap.MaxValues).Select(i => $"#{i}"));
        Assert.True(redactor!.Redact(lines, map).Screened);
        Assert.Equal(RedactionMap.MaxValues, map.Count);
        Assert.Equal("[N_1] [N_100000]", redactor.Redact("#1 #100000", map).Text);
        var refused = redactor.Redact("#100001", map);
        Assert.Equal(NotScreenedReason.TooManyValues, refused.Reason);
    }

    // ---- JSON -------------------------------------------------------------------------------------------------------

    [Fact]
    public void Json_strings_are_redacted_in_place_and_everything_else_is_kept_byte_for_byte()
    {
        var json = """
            {
              "to" : "Jane <jane.doe@example.com>",   "n": 1.50e2, "ok": true, "none": null,
              "card": 4111111111111111,
              "nested": {"items": [ "call +44 20 7946 0958", {"jane.doe@example.com": "key"} ]},
              "esc": "a\u0040b.example.org \"quoted\" \n"
            }
            """;
        var map = new RedactionMap();
        var result = Redactor.Default.RedactJson(json, map);
        var expected = """
            {
              "to" : "Jane <[EMAIL_1]>",   "n": 1.50e2, "ok": true, "none": null,
              "card": "[CARD_1]",
              "nested": {"items": [ "call [PHONE_1]", {"[EMAIL_1]": "key"} ]},
              "esc": "[EMAIL_2] \"quoted\" \n"
            }
            """;
        Assert.Equal(expected, result.Text);
        Assert.Equal(["$.to", "$.card", "$.nested.items[0]", "$.nested.items[1]['jane.doe@example.com']", "$.esc"], result.Spans.Select(s => s.JsonPath));
        Assert.Equal((6, 0, 8), (result.Spans[0].Start, result.Spans[4].Start, result.Spans[0].Length - 12));

        // Restored: the same document (numbers that were redacted come back as strings).
        using var original = JsonDocument.Parse(json.Replace("4111111111111111", "\"4111111111111111\"", StringComparison.Ordinal));
        using var restored = JsonDocument.Parse(map.RestoreJson(result.Text));
        Assert.True(JsonElement.DeepEquals(original.RootElement, restored.RootElement));
    }

    [Fact]
    public void A_custom_value_with_quotes_and_backslashes_keeps_the_json_valid_both_ways()
    {
        var (redactor, errors) = Redactor.Create(new RedactionRules(BuiltInDetectors.All, [new CustomPattern("QUOTED", "secret\"[^ ]*\\\\x")]));
        Assert.Empty(errors);
        var json = """{"v": "a secret\"q\\x b"}""";
        var map = new RedactionMap();
        var redacted = redactor!.RedactJson(json, map).Text;
        Assert.Equal("""{"v": "a [QUOTED_1] b"}""", redacted);
        var restored = map.RestoreJson(redacted);
        Assert.Equal("a secret\"q\\x b", JsonDocument.Parse(restored).RootElement.GetProperty("v").GetString());
        // Restore on the raw text would break the document: RestoreJson is the one for JSON.
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(map.Restore(redacted)));
    }

    [Fact]
    public void Control_characters_and_non_ascii_text_stay_valid_json()
    {
        var json = "{\"a\": \"\\u0001 jane.doe@example.com\\t caf\\u00e9 🙂 \\\" \\\\ \\u2028\"}";
        var map = new RedactionMap();
        var redacted = Redactor.Default.RedactJson(json, map).Text;
        Assert.Equal("{\"a\": \"\\u0001 [EMAIL_1]\\t café 🙂 \\\" \\\\ \u2028\"}", redacted);
        Assert.Equal("\u0001 [EMAIL_1]\t café 🙂 \" \\ \u2028", JsonDocument.Parse(redacted).RootElement.GetProperty("a").GetString());
        using var original = JsonDocument.Parse(json);
        using var restored = JsonDocument.Parse(map.RestoreJson(redacted));
        Assert.True(JsonElement.DeepEquals(original.RootElement, restored.RootElement));
    }

    [Fact]
    public void A_lone_surrogate_escape_is_refused_or_kept_escaped()
    {
        var json = "{\"a\": \"\\ud800 jane.doe@example.com\"}";
        var result = Redactor.Default.RedactJson(json, new RedactionMap());
        if (result.Screened) Assert.Equal("{\"a\": \"\\ud800 [EMAIL_1]\"}", result.Text);
        else Assert.Equal(NotScreenedReason.InvalidJson, result.Reason);
    }

    [Fact]
    public void Json_without_findings_is_the_same_instance()
    {
        var json = """{"a": [1, 2, "three"], "b": {"c": "2024-01-15"}}""";
        Assert.Same(json, Redactor.Default.RedactJson(json, new RedactionMap()).Text);
    }

    // ---- Rules ------------------------------------------------------------------------------------------------------

    [Fact]
    public void Custom_patterns_redact_with_their_name_and_detectors_can_be_turned_off()
    {
        var rules = new RedactionRules(BuiltInDetectors.Emails, [new CustomPattern("EMPLOYEE_ID", "E-[0-9]{6}"), new CustomPattern("PROJECT", "Project [A-Z][a-z]+")]);
        var (redactor, errors) = Redactor.Create(rules);
        Assert.Empty(errors);
        var result = redactor!.Redact($"E-123456 on Project Falcon mailed {Email}, card {Card}", new RedactionMap());
        Assert.Equal($"[EMPLOYEE_ID_1] on [PROJECT_1] mailed [EMAIL_1], card {Card}", result.Text);
        Assert.Equal(["custom", "custom", "email"], result.Spans.Select(s => s.Detector));
    }

    [Fact]
    public void A_custom_pattern_cannot_eat_a_placeholder()
    {
        var (redactor, _) = Redactor.Create(new RedactionRules(BuiltInDetectors.All, [new CustomPattern("BRACKETED", @"\[[^\]]+\]")]));
        var map = new RedactionMap();
        var once = redactor!.Redact($"note [x] and {Email}", map);
        Assert.Equal("note [BRACKETED_1] and [EMAIL_1]", once.Text);
        Assert.Same(once.Text, redactor.Redact(once.Text, map).Text);
    }

    [Fact]
    public void Redaction_settles_when_a_replacement_frees_a_neighbour()
    {
        // The card is joined to the custom id (not a card there), and stands alone once the id is a placeholder.
        var (redactor, _) = Redactor.Create(new RedactionRules(BuiltInDetectors.All, [new CustomPattern("EMP", "EMP[0-9]{4}")]));
        var map = new RedactionMap();
        var text = "id EMP12344111111111111111 end";
        var result = redactor!.Redact(text, map);
        Assert.Equal("id [EMP_1][CARD_1] end", result.Text);
        Assert.Equal(["EMP", "CARD"], result.Spans.Select(s => s.Kind));
        Assert.Equal((10, 16), (result.Spans[1].Start, result.Spans[1].Length));
        Assert.Equal(text, map.Restore(result.Text));
        Assert.Same(result.Text, redactor.Redact(result.Text, map).Text);
    }

    [Fact]
    public void Rules_errors_name_their_paths()
    {
        var rules = new RedactionRules(BuiltInDetectors.All,
        [
            new CustomPattern("EMPLOYEE_ID", "E-[0-9]{6}"),
            new CustomPattern("lower", "x"),
            new CustomPattern("EMAIL", "x"),
            new CustomPattern("EMPLOYEE_ID", "y"),
            new CustomPattern("LOOK", "(?<=a)b"),
            new CustomPattern("EMPTY", "a*"),
            new CustomPattern("LONG", new string('a', RedactionRules.MaxPatternLength + 1)),
            new CustomPattern("BAD", "(unclosed"),
        ]);
        var errors = rules.Validate("$.redaction");
        Assert.Equal(
            [
                "$.redaction.custom[1].name", "$.redaction.custom[2].name", "$.redaction.custom[3].name", "$.redaction.custom[4].pattern",
                "$.redaction.custom[5].pattern", "$.redaction.custom[6].pattern", "$.redaction.custom[7].pattern",
            ], errors.Select(e => e.Path));
        Assert.Contains("already", errors[2].Message, StringComparison.Ordinal);
        Assert.Contains("500", errors[5].Message, StringComparison.Ordinal);
        Assert.Null(Redactor.Create(rules).Redactor);

        var many = new RedactionRules(BuiltInDetectors.All, [.. Enumerable.Range(0, RedactionRules.MaxCustomPatterns + 1).Select(i => new CustomPattern($"P{i}", $"p{i}x"))]);
        Assert.Equal(["$.custom"], many.Validate().Select(e => e.Path));
        Assert.Empty(new RedactionRules(BuiltInDetectors.All, [.. many.Custom.Take(RedactionRules.MaxCustomPatterns)]).Validate());
    }

    [Fact]
    public void Rules_parse_from_json_with_paths_for_every_error()
    {
        var (rules, errors) = RedactionRules.Parse(JsonDocument.Parse("""
            {"detectors": ["emails", "cards"], "custom": [{"name": "TICKET", "pattern": "T-[0-9]{5}"}]}
            """).RootElement);
        Assert.Empty(errors);
        Assert.Equal(BuiltInDetectors.Emails | BuiltInDetectors.Cards, rules!.Detectors);
        Assert.Equal([new CustomPattern("TICKET", "T-[0-9]{5}")], rules.Custom);
        Assert.Equal(BuiltInDetectors.All, RedactionRules.Parse(JsonDocument.Parse("{}").RootElement).Rules!.Detectors);

        var (bad, badErrors) = RedactionRules.Parse(JsonDocument.Parse("""
            {"detectors": ["emails", "faces"], "custom": [{"name": "OK", "pattern": 5}, 7, {"name": "X", "pattern": "x", "flags": "i"}], "mode": 1}
            """).RootElement, "$.guardrails.redaction");
        Assert.Null(bad);
        Assert.Equal(
            [
                "$.guardrails.redaction.detectors[1]", "$.guardrails.redaction.custom[2].flags", "$.guardrails.redaction.mode",
                "$.guardrails.redaction.custom[0].pattern", "$.guardrails.redaction.custom[1]",
            ], badErrors.Select(e => e.Path));
    }

    [Fact]
    public void The_benchmark_prompt_is_4_kb_and_redacts_every_secret_in_it()
    {
        Assert.Equal(4096, RedactionBenchmark.Prompt4K.Length);
        var result = RedactionBenchmark.RedactPrompt();
        Assert.True(result.Screened);
        foreach (var secret in new[] { "jane.doe@example.com", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "+44 20 7946 0958", "(415) 555-2671", "AKIAIOSFODNN7EXAMPLE", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" })
            Assert.DoesNotContain(secret, result.Text, StringComparison.Ordinal);
        foreach (var kept in new[] { "2024-11-05", "10.0.19045.2965", "123e4567-e89b-12d3-a456-426614174000", "1234567890123", "192.168.10.42", "T-88213", "3-5 business days", "0047-1120-88", "05/11/2024" })
            Assert.Contains(kept, result.Text, StringComparison.Ordinal);
    }
}
