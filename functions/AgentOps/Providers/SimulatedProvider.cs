using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AgentOps.Providers;

/// <summary>How <see cref="SimulatedProvider"/> behaves.</summary>
public sealed record SimulatedProviderOptions
{
    /// <summary>With the same request, the same seed gives the same answer (and the same failure).</summary>
    public int Seed { get; init; }

    /// <summary>How long a call takes before its answer (a stream: before its first delta).</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.Zero;

    /// <summary>Pause between a stream's deltas.</summary>
    public TimeSpan StreamChunkDelay { get; init; } = TimeSpan.Zero;

    /// <summary>The share of calls (0–1) that fail: half as 429 RateLimited, half as 500 Overloaded, both with <see cref="RetryAfter"/>.</summary>
    public double ErrorRate { get; init; }

    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Verbosity: about how many words a text answer has (±25 %).</summary>
    public int Words { get; init; } = 40;

    /// <summary>With tools and tool choice auto, the share of answers that call a tool (after a tool result, none do).</summary>
    public double ToolCallRateOnAuto { get; init; } = 0.5;

    public ModelCapabilities Capabilities { get; init; } = ModelCapabilities.All;
}

/// <summary>
/// A provider that answers without a network, deterministically: the answer is drawn from a random generator seeded by
/// a SHA-256 of the seed and the whole request, so the same request with the same seed always gets the same answer
/// (text, tool calls, failure or not), while different requests spread over the configured error rate.
/// <list type="bullet">
/// <item>Text: plausible sentences from a fixed vocabulary, about <see cref="SimulatedProviderOptions.Words"/> words,
/// cut at a stop sequence (finish stop) or at max_tokens (finish length).</item>
/// <item>Tools: a named or required tool choice always gets a tool call (the named tool, or one drawn from the tools);
/// auto gets one at <see cref="SimulatedProviderOptions.ToolCallRateOnAuto"/> unless the last message is a tool result;
/// the arguments are the smallest JSON that fits the tool's parameters schema (required properties, first enum value,
/// minimum, minLength, minItems).</item>
/// <item>json_schema: the content is the smallest JSON object that fits the schema the same way; json_object: {"answer": text}.</item>
/// <item>Usage is estimated with the usual rule of thumb of about four characters a token: input = ceil(characters of
/// every message's text, tool definition and schema / 4), output = ceil(characters of the content and tool calls / 4);
/// no cached tokens.</item>
/// </list>
/// The credential is ignored (any value works).
/// </summary>
public sealed class SimulatedProvider(SimulatedProviderOptions? options = null, TimeProvider? time = null) : IModelProvider
{
    private readonly SimulatedProviderOptions _options = options ?? new SimulatedProviderOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private static readonly string[] Subjects = ["The agent", "This request", "The pipeline", "Our approach", "The result", "The model", "The policy", "The next step", "The report", "Each run"];
    private static readonly string[] Verbs = ["summarizes", "checks", "covers", "explains", "improves", "tracks", "confirms", "reduces", "highlights", "outlines"];
    private static readonly string[] Objects = ["the main findings", "the budget for this quarter", "the open approvals", "the latest results", "the key risks", "the customer's question", "the relevant documents", "the error rate", "the data you shared", "the remaining work"];
    private static readonly string[] Tails = ["in detail", "as expected", "without surprises", "for the team", "step by step", "within the limits", "where it matters", "so far", "with care", "before the deadline"];

    public string Name => "simulated";

    public ModelCapabilities CapabilitiesOf(string model) => _options.Capabilities;

    public async Task<ModelResult> CompleteAsync(ModelRequest request, ProviderCredential credential, CancellationToken ct = default)
    {
        request.ThrowIfInvalid();
        var answer = Answer(request);
        if (_options.Latency > TimeSpan.Zero) await Task.Delay(_options.Latency, _time, ct);
        if (answer.Failure is { } failure) throw failure;
        return answer.Result;
    }

    public async IAsyncEnumerable<ModelDelta> StreamAsync(ModelRequest request, ProviderCredential credential, [EnumeratorCancellation] CancellationToken ct = default)
    {
        request.ThrowIfInvalid();
        var answer = Answer(request);
        if (_options.Latency > TimeSpan.Zero) await Task.Delay(_options.Latency, _time, ct);
        if (answer.Failure is { } failure) throw failure;
        var r = answer.Result;
        var words = r.Content.Split(' ');
        for (var i = 0; i < words.Length; i += 3)
        {
            if (i > 0 && _options.StreamChunkDelay > TimeSpan.Zero) await Task.Delay(_options.StreamChunkDelay, _time, ct);
            var piece = string.Join(' ', words[i..Math.Min(i + 3, words.Length)]);
            yield return new TextDelta(i + 3 < words.Length ? piece + " " : piece);
        }
        for (var i = 0; i < r.ToolCalls.Count; i++)
        {
            var c = r.ToolCalls[i];
            var half = c.ArgumentsJson.Length / 2;
            yield return new ToolCallDelta(i, c.Id, c.Name, c.ArgumentsJson[..half]);
            yield return new ToolCallDelta(i, null, null, c.ArgumentsJson[half..]);
        }
        yield return new FinishDelta(r.FinishReason, r.ProviderFinishReason, r.Usage, r.Model, r.RequestId, r.RawBody);
    }

    /// <summary>Tokens by the rule of thumb this provider uses: ceil(characters / 4).</summary>
    public static int EstimateTokens(string text) => (text.Length + 3) / 4;

    private sealed record Drawn(ModelResult Result, ProviderException? Failure);

    private Drawn Answer(ModelRequest request)
    {
        var canonical = Canonical(request);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(_options.Seed.ToString(CultureInfo.InvariantCulture) + "\n" + canonical));
        var random = new Random(BitConverter.ToInt32(hash, 0));
        var requestId = "sim_" + Convert.ToHexStringLower(hash, 4, 12);

        ProviderException? failure = null;
        if (random.NextDouble() < _options.ErrorRate)
        {
            var rateLimited = random.NextDouble() < 0.5;
            failure = rateLimited
                ? new ProviderException(ProviderErrorKind.RateLimited, "simulated answered 429 (rate_limit_exceeded)", 429, _options.RetryAfter,
                    new RateLimitInfo(null, 0, _options.RetryAfter, null, 0, _options.RetryAfter), requestId, "rate_limit_exceeded")
                : new ProviderException(ProviderErrorKind.Overloaded, "simulated answered 500 (server_error)", 500, _options.RetryAfter, null, requestId, "server_error");
        }

        var calls = new List<ToolCall>();
        var content = "";
        var lastIsToolResult = request.Messages[^1].Role == ChatRole.Tool;
        var callTool = request.Tools.Count > 0 && request.ToolChoice?.Kind switch
        {
            ToolChoiceKind.Named or ToolChoiceKind.Required => true,
            ToolChoiceKind.None => false,
            _ => !lastIsToolResult && random.NextDouble() < _options.ToolCallRateOnAuto,
        };
        if (callTool)
        {
            var tool = request.ToolChoice is { Kind: ToolChoiceKind.Named, Name: var name } ? request.Tools.First(t => t.Name == name) : request.Tools[random.Next(request.Tools.Count)];
            var id = "call_" + Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64())) + Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64()))[..8];
            calls.Add(new ToolCall(id, tool.Name, (MinimalJson(tool.Parameters, 0) ?? new JsonObject()).ToJsonString()));
        }
        else
            content = request.ResponseFormat?.Kind switch
            {
                ResponseFormatKind.JsonSchema => (MinimalJson(request.ResponseFormat.Schema!.Value, 0) ?? new JsonObject()).ToJsonString(),
                ResponseFormatKind.JsonObject => new JsonObject { ["answer"] = Text(random, Math.Max(5, _options.Words / 4)) }.ToJsonString(),
                _ => Text(random, Math.Max(1, (int)Math.Round(_options.Words * (0.75 + random.NextDouble() * 0.5)))),
            };

        var finish = calls.Count > 0 ? FinishReason.ToolCalls : FinishReason.Stop;
        string providerFinish = calls.Count > 0 ? "tool_calls" : "stop";
        if (request.ResponseFormat?.Kind is null or ResponseFormatKind.Text && calls.Count == 0)
        {
            foreach (var stop in request.Stop)
                if (content.IndexOf(stop, StringComparison.Ordinal) is var at and >= 0) content = content[..at];
            if (request.MaxTokens is { } max && EstimateTokens(content) > max)
            {
                content = content[..(max * 4)];
                (finish, providerFinish) = (FinishReason.Length, "length");
            }
        }

        var input = EstimateTokens(canonical);
        var output = EstimateTokens(content + string.Concat(calls.Select(c => c.Name + c.ArgumentsJson)));
        var raw = new JsonObject
        {
            ["id"] = requestId,
            ["model"] = request.Model,
            ["content"] = content,
            ["tool_calls"] = new JsonArray([.. calls.Select(c => (JsonNode)new JsonObject { ["id"] = c.Id, ["name"] = c.Name, ["arguments"] = c.ArgumentsJson })]),
            ["finish_reason"] = providerFinish,
            ["usage"] = new JsonObject { ["input_tokens"] = input, ["output_tokens"] = output },
        }.ToJsonString();
        return new Drawn(new ModelResult(content, calls, new ModelUsage(input, output), request.Model, finish, providerFinish, requestId, raw), failure);
    }

    private static string Text(Random random, int words)
    {
        var text = new StringBuilder();
        var count = 0;
        while (count < words)
        {
            string[] sentence = [Pick(random, Subjects), Pick(random, Verbs), Pick(random, Objects), Pick(random, Tails)];
            var s = string.Join(' ', sentence) + ".";
            if (text.Length > 0) text.Append(' ');
            text.Append(s);
            count += s.Split(' ').Length;
        }
        return text.ToString();
    }

    private static string Pick(Random random, string[] from) => from[random.Next(from.Length)];

    /// <summary>Everything that shapes the answer, as one text (its length is also the input's size).</summary>
    private static string Canonical(ModelRequest r)
    {
        var s = new StringBuilder().Append(r.Model).Append('\n');
        foreach (var m in r.Messages)
        {
            s.Append(m.Role).Append(':').Append(m.ToolCallId).Append(':');
            foreach (var p in m.Content) s.Append(p is TextPart t ? t.Text : p is ImagePart i ? i.Url ?? i.Base64Data : "");
            foreach (var c in m.ToolCalls) s.Append(c.Id).Append(c.Name).Append(c.ArgumentsJson);
            s.Append('\n');
        }
        foreach (var t in r.Tools) s.Append(t.Name).Append(t.Description).Append(t.Parameters.GetRawText()).Append('\n');
        s.Append(r.ToolChoice).Append(r.ResponseFormat?.Kind).Append(r.ResponseFormat?.Name).Append(r.ResponseFormat?.Schema?.GetRawText())
            .Append(r.MaxTokens).Append('|').Append(r.Temperature?.ToString(CultureInfo.InvariantCulture)).Append('|').Append(string.Join('|', r.Stop));
        return s.ToString();
    }

    /// <summary>The smallest value that fits a JSON Schema (the common keywords; $ref and conditionals are not followed).</summary>
    internal static JsonNode? MinimalJson(JsonElement schema, int depth)
    {
        if (schema.ValueKind != JsonValueKind.Object || depth > 16) return null;
        if (schema.TryGetProperty("const", out var constant)) return JsonNode.Parse(constant.GetRawText());
        if (schema.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array && values.GetArrayLength() > 0)
            return JsonNode.Parse(values[0].GetRawText());
        foreach (var alternatives in new[] { "anyOf", "oneOf", "allOf" })
            if (schema.TryGetProperty(alternatives, out var alts) && alts.ValueKind == JsonValueKind.Array && alts.GetArrayLength() > 0)
                return MinimalJson(alts[0], depth + 1);
        var type = schema.TryGetProperty("type", out var t)
            ? t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().Select(x => x.GetString()).FirstOrDefault(x => x != "null") ?? "null" : t.GetString()
            : schema.TryGetProperty("properties", out _) ? "object" : null;
        double Bound(string name, double otherwise) => schema.TryGetProperty(name, out var b) && b.ValueKind == JsonValueKind.Number ? b.GetDouble() : otherwise;
        switch (type)
        {
            case "object":
                var o = new JsonObject();
                if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array
                    && schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
                    foreach (var name in required.EnumerateArray().Select(x => x.GetString()).OfType<string>())
                        o[name] = properties.TryGetProperty(name, out var p) ? MinimalJson(p, depth + 1) : null;
                return o;
            case "array":
                var count = (int)Math.Min(Bound("minItems", 0), 100);
                var items = schema.TryGetProperty("items", out var item) ? item : default;
                return new JsonArray([.. Enumerable.Range(0, count).Select(_ => MinimalJson(items, depth + 1))]);
            case "string":
                var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;
                var text = format switch
                {
                    "date-time" => "2026-01-01T00:00:00Z",
                    "date" => "2026-01-01",
                    "time" => "00:00:00Z",
                    "email" => "user@example.com",
                    "uri" or "url" => "https://example.com/",
                    "uuid" => "00000000-0000-4000-8000-000000000000",
                    _ => "sample",
                };
                var min = (int)Bound("minLength", 0);
                var maxLength = (int)Bound("maxLength", int.MaxValue);
                if (text.Length < min) text += new string('x', min - text.Length);
                if (text.Length > maxLength) text = text[..maxLength];
                return text;
            case "integer":
                var lowest = schema.TryGetProperty("exclusiveMinimum", out var ex) && ex.ValueKind == JsonValueKind.Number ? Math.Floor(ex.GetDouble()) + 1 : Math.Ceiling(Bound("minimum", 0));
                return (long)Math.Min(lowest, Bound("maximum", double.MaxValue));
            case "number":
                var least = schema.TryGetProperty("exclusiveMinimum", out var exn) && exn.ValueKind == JsonValueKind.Number ? exn.GetDouble() + 1 : Bound("minimum", 0);
                return Math.Min(least, Bound("maximum", double.MaxValue));
            case "boolean":
                return false;
            default:
                return null;
        }
    }
}
