using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace AgentOps.Ingest;

/// <summary>The ingest limits, in one place (docs/api.md quotes them).</summary>
public static class IngestLimits
{
    public const int MaxEventsPerBatch = AgentOps.Contracts.IngestBatch.MaxEvents;
    public const int MaxBodyBytes = 5 * 1024 * 1024;
    public const int MaxIdLength = 128;
    public const int MaxNameLength = 256;
    public const int MaxShortText = 128;
    /// <summary>Inputs and outputs up to this size stay in the event; larger ones go to the blob store.</summary>
    public const int MaxInlinePayloadBytes = 16 * 1024;
    /// <summary>The largest input or output accepted at all.</summary>
    public const int MaxPayloadBytes = 2 * 1024 * 1024;
    public const int MaxMetadataBytes = 16 * 1024;
    public const int MaxErrorLength = 8 * 1024;
    public const int MaxTags = 20;
    public const long MaxTokens = 10_000_000_000;
    public const decimal MaxCostUsd = 1_000_000m;
    /// <summary>Clocks drift: a timestamp up to this far ahead of the server is accepted.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromHours(24);
    /// <summary>The earliest timestamp accepted (backfills go back this far; earlier is a client bug).</summary>
    public static readonly DateTimeOffset MinTimestamp = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
}

public sealed record ItemError(string Code, string Message, string? Path = null);

/// <summary>An event as parsed from the wire: its agent still a name or an id (the acceptor resolves it).</summary>
public sealed record ParsedItem(string? Id, IngestEvent? Event, string? AgentKey, ItemError? Error);

/// <summary>
/// Reads one batch item (a JSON object) into an event, or says precisely what is wrong with it. Pure and
/// allocation-light: it walks the element once, rejects unknown fields (the API's rule), checks types, sizes and
/// the fields each type needs.
/// </summary>
public static class EventParser
{
    public static ParsedItem Parse(JsonElement item, DateTimeOffset now)
    {
        if (item.ValueKind != JsonValueKind.Object) return Fail(null, "invalid_item", "Each item must be a JSON object.", "$");
        // The input gate leaves batch items' text to us, so that one item Postgres could not store (NUL, a lone
        // surrogate, anywhere in it) is refused alone. Checked first: reading such a string would throw.
        if (JsonInput.InspectText(JsonMarshal.GetRawUtf8Value(item)) is { } fault) return Fail(null, fault.Code, fault.Message, fault.Path);
        // Known up front so that every error can name the event it is about.
        var givenId = item.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
        string? id = null, type = null, runId = null, agent = null, parentId = null, name = null, status = null, model = null, provider = null;
        string? toolName = null, input = null, output = null, error = null, environment = null, metadata = null;
        DateTimeOffset? timestamp = null, endedAt = null;
        long? tokensIn = null, tokensOut = null, tokensCached = null, durationMs = null, costMicros = null;
        double? score = null;
        string[]? tags = null;

        foreach (var p in item.EnumerateObject())
        {
            var path = "$." + p.Name;
            var v = p.Value;
            ItemError? e = null;
            switch (p.Name)
            {
                case "id": e = Text(v, path, IngestLimits.MaxIdLength, out id); break;
                case "type": e = Text(v, path, 32, out type); break;
                case "timestamp": e = Time(v, path, out timestamp); break;
                case "run_id": e = Text(v, path, IngestLimits.MaxIdLength, out runId); break;
                case "agent": e = Text(v, path, 200, out agent); break;
                case "parent_id": e = Text(v, path, IngestLimits.MaxIdLength, out parentId, nullable: true); break;
                case "name": e = Text(v, path, IngestLimits.MaxNameLength, out name, nullable: true); break;
                case "status": e = Text(v, path, 32, out status, nullable: true); break;
                case "model": e = Text(v, path, IngestLimits.MaxShortText, out model, nullable: true); break;
                case "provider": e = Text(v, path, 64, out provider, nullable: true); break;
                case "tool_name": e = Text(v, path, IngestLimits.MaxShortText, out toolName, nullable: true); break;
                case "environment": e = Text(v, path, 64, out environment, nullable: true); break;
                case "ended_at": e = Time(v, path, out endedAt, nullable: true); break;
                case "tokens_in": e = Count(v, path, IngestLimits.MaxTokens, out tokensIn); break;
                case "tokens_out": e = Count(v, path, IngestLimits.MaxTokens, out tokensOut); break;
                case "tokens_cached": e = Count(v, path, IngestLimits.MaxTokens, out tokensCached); break;
                case "latency_ms" or "duration_ms": e = Count(v, path, 31L * 24 * 3600 * 1000, out durationMs); break;
                case "cost_usd": e = Cost(v, path, out costMicros); break;
                case "score": e = Number(v, path, out score); break;
                case "input" or "arguments": e = Payload(v, path, out input); break;
                case "output" or "result": e = Payload(v, path, out output); break;
                case "error": e = ErrorText(v, path, out error); break;
                case "metadata": e = Metadata(v, path, out metadata); break;
                case "tags": e = Tags(v, path, out tags); break;
                default: e = new ItemError("unknown_field", $"{p.Name} is not a field of an event.", path); break;
            }
            if (e is not null) return new ParsedItem(givenId, null, null, e);
        }

        if (id is null) return Fail(null, "missing_field", "id is required (a client-generated id; re-sending it is safe).", "$.id");
        if (type is null) return Fail(id, "missing_field", "type is required.", "$.type");
        if (!EventTypes.All.Contains(type)) return Fail(id, "invalid_type", $"type must be one of {string.Join(", ", EventTypes.All)}.", "$.type");
        if (timestamp is null) return Fail(id, "missing_field", "timestamp is required (ISO 8601).", "$.timestamp");
        if (timestamp > now + IngestLimits.MaxClockSkew) return Fail(id, "timestamp_in_future", "timestamp is more than 24 h ahead of the server clock.", "$.timestamp");
        if (timestamp < IngestLimits.MinTimestamp) return Fail(id, "invalid_value", "timestamp is before 2000-01-01.", "$.timestamp");
        if (endedAt > now + IngestLimits.MaxClockSkew) return Fail(id, "timestamp_in_future", "ended_at is more than 24 h ahead of the server clock.", "$.ended_at");
        if (runId is null) return Fail(id, "missing_field", "run_id is required.", "$.run_id");
        if (agent is null) return Fail(id, "missing_field", "agent is required (the agent's id or name).", "$.agent");
        if (type == EventTypes.LlmCall && model is null) return Fail(id, "missing_field", "llm.call needs model.", "$.model");
        if (type == EventTypes.ToolCall && toolName is null && name is null) return Fail(id, "missing_field", "tool.call needs tool_name.", "$.tool_name");
        if (type == EventTypes.Score && score is null) return Fail(id, "missing_field", "score needs score.", "$.score");
        if (type == EventTypes.Span)
        {
            if (name is null) return Fail(id, "missing_field", "span needs name.", "$.name");
            // Never priced and never counted as model use: what a span's model calls cost is on their llm.call events.
            if (UnpricedSpanField(model, provider, tokensIn, tokensOut, tokensCached, costMicros) is { } field)
                return Fail(id, "invalid_value", $"a span carries no {field[2..]}: record model calls inside it as llm.call events (parent_id: the span).", field);
            // Nor is it a tool call (which the run counts): a span's tool calls are tool.call events inside it.
            if (toolName is not null)
                return Fail(id, "invalid_value", "a span carries no tool_name: record tool calls inside it as tool.call events (parent_id: the span).", "$.tool_name");
        }
        if (tokensCached > tokensIn) return Fail(id, "invalid_value", "tokens_cached cannot exceed tokens_in (which counts all input tokens).", "$.tokens_cached");
        if (endedAt < timestamp) return Fail(id, "invalid_value", "ended_at is before timestamp.", "$.ended_at");
        durationMs ??= endedAt is { } end ? (long)(end - timestamp.Value).TotalMilliseconds : null;

        return new ParsedItem(id, new IngestEvent
        {
            Id = id, Type = type, Timestamp = timestamp.Value.ToUniversalTime(), RunId = runId, AgentId = Guid.Empty, ParentId = parentId,
            Name = name ?? (type == EventTypes.ToolCall ? toolName : null),
            Status = type == EventTypes.RunEnd ? RunStatuses.Normalize(status, error is not null) ?? RunStatuses.Succeeded : status, EndedAt = endedAt?.ToUniversalTime(), DurationMs = durationMs,
            Model = model?.ToLowerInvariant(), Provider = provider?.ToLowerInvariant(), TokensIn = tokensIn, TokensOut = tokensOut, TokensCached = tokensCached,
            ClientCostMicros = costMicros, ToolName = toolName, Input = input, Output = output, Error = error, Score = score, Tags = tags,
            Environment = environment, Metadata = metadata,
        }, agent, null);
    }

    /// <summary>The first model-use field a span was given (its JSON path), or null.</summary>
    private static string? UnpricedSpanField(string? model, string? provider, long? tokensIn, long? tokensOut, long? tokensCached, long? costMicros) =>
        model is not null ? "$.model" : provider is not null ? "$.provider" : tokensIn is not null ? "$.tokens_in" : tokensOut is not null ? "$.tokens_out"
        : tokensCached is not null ? "$.tokens_cached" : costMicros is not null ? "$.cost_usd" : null;

    private static ParsedItem Fail(string? id, string code, string message, string path) => new(id, null, null, new ItemError(code, message, path));

    private static ItemError Wrong(string path, string expected) => new("type_mismatch", $"{path[2..]} must be {expected}.", path);

    private static ItemError? Text(JsonElement v, string path, int max, out string? value, bool nullable = false)
    {
        value = null;
        if (v.ValueKind == JsonValueKind.Null && nullable) return null;
        if (v.ValueKind != JsonValueKind.String) return Wrong(path, "a string");
        value = v.GetString()!;
        if (value.Length == 0) { value = null; return nullable ? null : new ItemError("invalid_value", $"{path[2..]} must not be empty.", path); }
        return value.Length > max ? new ItemError("too_long", $"{path[2..]} must be at most {max} characters.", path) : null;
    }

    private static ItemError? Time(JsonElement v, string path, out DateTimeOffset? value, bool nullable = false)
    {
        value = null;
        if (v.ValueKind == JsonValueKind.Null && nullable) return null;
        if (v.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            value = t;
            return null;
        }
        return Wrong(path, "an ISO 8601 time such as 2026-01-31T12:00:00Z");
    }

    private static ItemError? Count(JsonElement v, string path, long max, out long? value)
    {
        value = null;
        if (v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var n)) return Wrong(path, "a whole number");
        if (n < 0 || n > max) return new ItemError("invalid_value", $"{path[2..]} must be from 0 to {max}.", path);
        value = n;
        return null;
    }

    private static ItemError? Number(JsonElement v, string path, out double? value)
    {
        value = null;
        if (v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d)) return Wrong(path, "a number");
        value = d;
        return null;
    }

    /// <summary>Dollars to integer micro-dollars, rounded half away from zero (never through floating point).</summary>
    private static ItemError? Cost(JsonElement v, string path, out long? micros)
    {
        micros = null;
        if (v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDecimal(out var usd)) return Wrong(path, "a number of US dollars");
        if (usd < 0 || usd > IngestLimits.MaxCostUsd) return new ItemError("invalid_value", $"cost_usd must be from 0 to {IngestLimits.MaxCostUsd}.", path);
        micros = (long)Math.Round(usd * 1_000_000m, MidpointRounding.AwayFromZero);
        return null;
    }

    /// <summary>Inputs and outputs: a string is kept as it is, any other JSON value as its JSON text.</summary>
    private static ItemError? Payload(JsonElement v, string path, out string? value)
    {
        value = v.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => v.GetString(),
            _ => v.GetRawText(),
        };
        return value is not null && System.Text.Encoding.UTF8.GetByteCount(value) > IngestLimits.MaxPayloadBytes
            ? new ItemError("payload_too_large", $"{path[2..]} is larger than {IngestLimits.MaxPayloadBytes / 1024 / 1024} MiB.", path)
            : null;
    }

    private static ItemError? ErrorText(JsonElement v, string path, out string? value)
    {
        value = v.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String => m.GetString(),
            _ => v.GetRawText(),
        };
        if (value is { Length: > IngestLimits.MaxErrorLength }) value = value[..IngestLimits.MaxErrorLength];
        return null;
    }

    private static ItemError? Metadata(JsonElement v, string path, out string? value)
    {
        value = null;
        if (v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Object) return Wrong(path, "an object");
        value = v.GetRawText();
        return System.Text.Encoding.UTF8.GetByteCount(value) > IngestLimits.MaxMetadataBytes
            ? new ItemError("too_long", $"metadata must be at most {IngestLimits.MaxMetadataBytes / 1024} KiB of JSON.", path)
            : null;
    }

    private static ItemError? Tags(JsonElement v, string path, out string[]? value)
    {
        value = null;
        if (v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Array) return Wrong(path, "an array of strings");
        if (v.GetArrayLength() > IngestLimits.MaxTags) return new ItemError("too_long", $"tags holds at most {IngestLimits.MaxTags} entries.", path);
        var tags = new List<string>();
        var i = 0;
        foreach (var t in v.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.String || t.GetString() is not { Length: > 0 and <= 64 } tag)
                return new ItemError("invalid_value", "each tag must be a string of 1 to 64 characters.", $"{path}[{i}]");
            tags.Add(tag);
            i++;
        }
        value = [.. tags.Distinct(StringComparer.Ordinal)];
        return null;
    }
}
