using System.Text.Encodings.Web;
using System.Text.Json;
using AgentOps.Guardrails.Redaction;

namespace AgentOps.Tests.Guardrails.Redaction;

/// <summary>
/// Properties over random texts (seeded, so a failure repeats): secrets of every kind at random places among unicode,
/// punctuation, JSON and placeholder-shaped text. No secret survives; Restore(Redact(x)) == x; redacting twice changes
/// nothing; one map gives one placeholder per value; JSON stays valid with the same structure.
/// </summary>
public class RedactionPropertyTests
{
    private const int TextIterations = 3_000;
    private const int JsonIterations = 600;

    /// <summary>Text around the secrets: unicode, digits, dates, versions, JSON, placeholder-shaped and bracketed text.</summary>
    private static readonly string[] Fillers =
    [
        "hello", "the", "world", "日本語のテキスト", "Ünïcödé", "🙂👍🏽", "café", "naïve", "—", "42", "3.14", "v10.0.1", "1.2.3", "2024-01-15",
        "12:30", "foo_bar", "a-b", "T-88213", "x", "{\"k\": 1}", "«quote»", "[NOTE_3]", "[EMAIL_999999]", "[CARD_1]", "[API_KEY_2]", "[x]",
        "\u200b", "\u202e", "\\n", "%20", "<b>", "¿qué?", "Ελληνικά", "עברית", "null", "true",
    ];

    /// <summary>What may stand between two pieces: none ends or starts in a letter, digit, underscore, dash, dot or bracket.</summary>
    private static readonly string[] Separators =
        [" ", "\n", ", ", "; ", " (", ") ", " \"", "\" ", " '", "' ", ": ", " — ", "\t", " {", "} ", " <", "> ", " · ", " | ", "\r\n"];

    private static string RandomText(Random r, List<(string Kind, string Value)> secrets, int maxPieces = 14)
    {
        var pieces = r.Next(1, maxPieces);
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < pieces; i++)
        {
            if (i > 0 || r.Next(2) == 0) text.Append(Separators[r.Next(Separators.Length)]);
            if (r.Next(5) < 2)
            {
                var secret = SecretSamples.Generators[r.Next(SecretSamples.Generators.Length)](r);
                secrets.Add(secret);
                text.Append(SecretSamples.Written(secret));
            }
            else text.Append(Fillers[r.Next(Fillers.Length)]);
        }
        if (r.Next(2) == 0) text.Append(Separators[r.Next(Separators.Length)]);
        return text.ToString();
    }

    [Fact]
    public void No_secret_survives_and_restore_gives_back_the_text()
    {
        var random = new Random(20_240_601);
        var kinds = new HashSet<string>();
        for (var i = 0; i < TextIterations; i++)
        {
            var secrets = new List<(string Kind, string Value)>();
            var text = RandomText(random, secrets);
            var map = new RedactionMap();
            var result = Redactor.Default.Redact(text, map);
            Assert.True(result.Screened);
            foreach (var (kind, value) in secrets)
            {
                Assert.False(result.Text.Contains(value, StringComparison.Ordinal), $"{kind} {value} survived in:\n{text}\n→\n{result.Text}");
                kinds.Add(kind);
            }
            Assert.Equal(text, map.Restore(result.Text));
            // Every span's value is in the map under its placeholder, and the placeholders are in the output.
            foreach (var span in result.Spans)
            {
                Assert.True(map.TryGetOriginal(span.Placeholder, out var original));
                Assert.Equal(text.Substring(span.Start, span.Length), original);
                Assert.Contains(span.Placeholder, result.Text, StringComparison.Ordinal);
            }
        }
        Assert.Equal(RedactionKinds.BuiltInLabels.Order(), kinds.Order()); // every kind was tried
    }

    [Fact]
    public void Redaction_is_idempotent_and_one_map_gives_one_placeholder_per_value()
    {
        var random = new Random(99);
        for (var i = 0; i < TextIterations; i++)
        {
            var secrets = new List<(string Kind, string Value)>();
            var text = RandomText(random, secrets);
            var map = new RedactionMap();
            var first = Redactor.Default.Redact(text, map);
            var once = first.Text;
            var count = map.Count;

            var twice = Redactor.Default.Redact(once, map);
            Assert.Equal(once, twice.Text);
            Assert.Empty(twice.Spans);
            Assert.Equal(once, Redactor.Default.Redact(once, new RedactionMap()).Text);

            // The same text again through the same map: the same placeholders, no new values.
            Assert.Equal(once, Redactor.Default.Redact(text, map).Text);
            Assert.Equal(count, map.Count);

            // Each secret alone, in another text of the call, gets the placeholder it got in the first text (where it
            // was redacted on its own, not merged with a neighbour).
            foreach (var (kind, value) in secrets)
            {
                var alone = Redactor.Default.Redact(SecretSamples.Written((kind, value)), map);
                var span = Assert.Single(alone.Spans);
                Assert.Equal(kind, span.Kind);
                if (first.Spans.FirstOrDefault(s => text.Substring(s.Start, s.Length) == value) is { } before)
                    Assert.Equal(before.Placeholder, span.Placeholder);
            }
        }
    }

    [Fact]
    public void Text_without_secrets_is_left_alone()
    {
        string[] nearMisses =
        [
            "2024-01-15", "15.01.2024", "01/15/2024", "12:30:45", "1.2.3", "10.0.19045.2965", "192.168.100.200", "1234567890123",
            "123e4567-e89b-12d3-a456-426614174000", "4111 1111 1111 1112", "user@localhost", "sk-learn", "Bearer token", "3-5",
            "ISBN 978-3-16-148410-0", "1,299.00", "DE89 3704", "v2.14.3-4567", "+1 23", "555-2671", "name@domain.c", "AKIA123", "eyJhbGciOi",
        ];
        string[] breaks = [", ", "; ", " | ", "\n", " — ", ") (", "\" \""];
        var random = new Random(5);
        for (var i = 0; i < TextIterations; i++)
        {
            var parts = Enumerable.Range(0, random.Next(1, 10)).Select(_ => random.Next(3) == 0 ? nearMisses[random.Next(nearMisses.Length)] : Fillers[random.Next(Fillers.Length)]);
            var text = string.Join(breaks[random.Next(breaks.Length)], parts);
            var result = Redactor.Default.Redact(text, new RedactionMap());
            Assert.True(result.Spans.Count == 0, $"found {string.Join(", ", result.Spans.Select(s => $"{s.Kind} '{text.Substring(s.Start, s.Length)}'"))} in: {text}");
            Assert.Same(text, result.Text);
        }
    }

    // ---- JSON -------------------------------------------------------------------------------------------------------

    private static void WriteValue(Utf8JsonWriter w, Random r, List<(string Kind, string Value)> secrets, int depth)
    {
        switch (depth >= 4 ? r.Next(4) : r.Next(7))
        {
            case 0: w.WriteStringValue(RandomText(r, secrets, 6)); break;
            case 1: w.WriteNumberValue(r.Next(-100_000, 100_000)); break;
            case 2: w.WriteNumberValue(Math.Round(r.NextDouble() * 1000, 3)); break;
            case 3:
                if (r.Next(2) == 0) w.WriteBooleanValue(r.Next(2) == 0);
                else w.WriteNullValue();
                break;
            case 4 or 5:
                w.WriteStartObject();
                for (int i = 0, n = r.Next(0, 5); i < n; i++)
                {
                    // Keys: plain, or holding a secret (an address as a key), unique within the object.
                    var key = r.Next(4) == 0 ? RandomText(r, secrets, 2) + $" #{i}" : $"k{i}_{Fillers[r.Next(Fillers.Length)]}";
                    w.WritePropertyName(key);
                    WriteValue(w, r, secrets, depth + 1);
                }
                w.WriteEndObject();
                break;
            default:
                w.WriteStartArray();
                for (int i = 0, n = r.Next(0, 5); i < n; i++) WriteValue(w, r, secrets, depth + 1);
                w.WriteEndArray();
                break;
        }
    }

    private static string RandomJson(Random r, List<(string Kind, string Value)> secrets)
    {
        using var buffer = new MemoryStream();
        var options = new JsonWriterOptions
        {
            Indented = r.Next(2) == 0,
            // Both the default (non-ASCII as \uXXXX: secrets are found in the unescaped strings) and the relaxed encoder.
            Encoder = r.Next(2) == 0 ? JavaScriptEncoder.Default : JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        using (var w = new Utf8JsonWriter(buffer, options))
        {
            w.WriteStartObject();
            w.WritePropertyName("name");
            w.WriteStringValue("tool");
            w.WritePropertyName("arguments");
            WriteValue(w, r, secrets, 1);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The same shape: kinds, property names' count and order, array lengths, and equal non-string scalars.</summary>
    private static void AssertSameStructure(JsonElement a, JsonElement b)
    {
        Assert.Equal(a.ValueKind, b.ValueKind);
        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
                var pa = a.EnumerateObject().ToList();
                var pb = b.EnumerateObject().ToList();
                Assert.Equal(pa.Count, pb.Count);
                for (var i = 0; i < pa.Count; i++) AssertSameStructure(pa[i].Value, pb[i].Value);
                break;
            case JsonValueKind.Array:
                Assert.Equal(a.GetArrayLength(), b.GetArrayLength());
                foreach (var (x, y) in a.EnumerateArray().Zip(b.EnumerateArray())) AssertSameStructure(x, y);
                break;
            case JsonValueKind.String:
                break;
            default:
                Assert.Equal(a.GetRawText(), b.GetRawText());
                break;
        }
    }

    private static IEnumerable<string> Strings(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().SelectMany(p => Strings(p.Value).Prepend(p.Name)),
        JsonValueKind.Array => e.EnumerateArray().SelectMany(Strings),
        JsonValueKind.String => [e.GetString()!],
        _ => [],
    };

    [Fact]
    public void Redacted_json_stays_valid_with_the_same_structure_and_restores()
    {
        var random = new Random(4242);
        var withSecrets = 0;
        for (var i = 0; i < JsonIterations; i++)
        {
            var secrets = new List<(string Kind, string Value)>();
            var json = RandomJson(random, secrets);
            var map = new RedactionMap();
            var result = Redactor.Default.RedactJson(json, map);
            Assert.True(result.Screened, json);

            using var original = JsonDocument.Parse(json);
            using var redacted = JsonDocument.Parse(result.Text);
            AssertSameStructure(original.RootElement, redacted.RootElement);
            var strings = Strings(redacted.RootElement).ToList();
            foreach (var (kind, value) in secrets)
            {
                Assert.DoesNotContain(strings, s => s.Contains(value, StringComparison.Ordinal));
                Assert.DoesNotContain(value, result.Text, StringComparison.Ordinal);
            }
            if (secrets.Count > 0) withSecrets++;
            Assert.Equal(secrets.Count > 0, result.Spans.Count > 0);
            Assert.All(result.Spans, s => Assert.StartsWith("$.arguments", s.JsonPath, StringComparison.Ordinal));

            using var restored = JsonDocument.Parse(map.RestoreJson(result.Text));
            Assert.True(JsonElement.DeepEquals(original.RootElement, restored.RootElement), $"{json}\n→\n{result.Text}");

            Assert.Equal(result.Text, Redactor.Default.RedactJson(result.Text, map).Text);
        }
        Assert.InRange(withSecrets, JsonIterations / 3, JsonIterations);
    }
}
