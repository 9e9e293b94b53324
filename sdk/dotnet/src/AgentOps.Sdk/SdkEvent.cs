using System.Globalization;
using System.Text.Json;

namespace AgentOps.Sdk;

internal enum EventKind : byte { RunStart, RunEnd, Span, LlmCall, ToolCall, ExternalAction, Log, Error, Score }

/// <summary>
/// One recorded event, as the caller's thread builds it: plain fields, nothing serialized. The worker turns it into
/// JSON (<see cref="EventWriter"/>), so recording costs one object and its id.
/// </summary>
internal sealed class SdkEvent
{
    public EventKind Kind;
    public string Id = "";
    public DateTimeOffset Timestamp;
    public string RunId = "";
    public string Agent = "";
    public string? ParentId;
    public string? Name;
    public string? Status;
    public DateTimeOffset? EndedAt;
    public long LatencyMs = -1;
    public string? Model;
    public string? ResponseModel;
    public string? Provider;
    public long TokensIn = -1, TokensOut = -1, TokensCached = -1;
    public double CostUsd = double.NaN;
    public double TimeToFirstChunkS = double.NaN;
    public double Score = double.NaN;
    public object? Input;
    public object? Output;
    public string? ToolName;
    public string? Error;
    public string? Environment;
    public IReadOnlyList<string>? Tags;
    public IEnumerable<KeyValuePair<string, object?>>? Metadata;
}

/// <summary>Writes events as the ingest API's JSON (sdk/spec/events.schema.json), on the worker thread.</summary>
internal static class EventWriter
{
    /// <summary>Names longer than this are cut (the server's limit).</summary>
    public const int MaxNameLength = 256;

    public static void Write(Utf8JsonWriter w, SdkEvent e)
    {
        w.WriteStartObject();
        w.WriteString("id", e.Id);
        w.WriteString("type", TypeName(e.Kind));
        w.WriteString("timestamp", e.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        w.WriteString("run_id", e.RunId);
        w.WriteString("agent", e.Agent);
        if (e.ParentId is not null) w.WriteString("parent_id", e.ParentId);
        if (e.Name is not null) w.WriteString("name", Cut(e.Name, MaxNameLength));
        if (e.Status is not null) w.WriteString("status", e.Status);
        if (e.EndedAt is { } end) w.WriteString("ended_at", end.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        if (e.LatencyMs >= 0) w.WriteNumber("latency_ms", e.LatencyMs);
        if (e.Model is not null) w.WriteString("model", e.ResponseModel ?? e.Model);
        if (e.Provider is not null) w.WriteString("provider", e.Provider);
        if (e.TokensIn >= 0) w.WriteNumber("tokens_in", e.TokensIn);
        if (e.TokensOut >= 0) w.WriteNumber("tokens_out", e.TokensOut);
        if (e.TokensCached >= 0) w.WriteNumber("tokens_cached", e.TokensCached);
        if (!double.IsNaN(e.CostUsd)) w.WriteNumber("cost_usd", e.CostUsd);
        if (e.ToolName is not null) w.WriteString("tool_name", Cut(e.ToolName, 128));
        if (e.Input is not null) { w.WritePropertyName("input"); WriteValue(w, e.Input); }
        if (e.Output is not null) { w.WritePropertyName("output"); WriteValue(w, e.Output); }
        if (e.Error is not null) w.WriteString("error", Cut(e.Error, 8192));
        if (!double.IsNaN(e.Score)) w.WriteNumber("score", e.Score);
        if (e.Environment is not null) w.WriteString("environment", Cut(e.Environment, 64));
        if (e.Tags is { Count: > 0 } tags)
        {
            w.WriteStartArray("tags");
            foreach (var t in tags.Take(20)) w.WriteStringValue(Cut(t, 64));
            w.WriteEndArray();
        }
        if (e.Kind == EventKind.LlmCall || e.Metadata is not null)
        {
            w.WriteStartObject("metadata");
            if (e.Kind == EventKind.LlmCall) WriteGenAi(w, e);
            if (e.Metadata is not null)
                foreach (var (key, value) in e.Metadata)
                {
                    if (e.Kind == EventKind.LlmCall && key.StartsWith("gen_ai.", StringComparison.Ordinal)) continue;
                    w.WritePropertyName(key);
                    WriteValue(w, value);
                }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteGenAi(Utf8JsonWriter w, SdkEvent e)
    {
        w.WriteString(GenAi.OperationName, "chat");
        if (e.Provider is not null) w.WriteString(GenAi.ProviderName, e.Provider);
        if (e.Model is not null) w.WriteString(GenAi.RequestModel, e.Model);
        if ((e.ResponseModel ?? e.Model) is { } rm) w.WriteString(GenAi.ResponseModel, rm);
        if (e.TokensIn >= 0) w.WriteNumber(GenAi.InputTokens, e.TokensIn);
        if (e.TokensOut >= 0) w.WriteNumber(GenAi.OutputTokens, e.TokensOut);
        if (e.TokensCached >= 0) w.WriteNumber(GenAi.CacheReadInputTokens, e.TokensCached);
        if (!double.IsNaN(e.TimeToFirstChunkS)) w.WriteNumber(GenAi.TimeToFirstChunk, Math.Round(e.TimeToFirstChunkS, 6));
    }

    /// <summary>Strings as they are; JSON elements as they are; anything else through System.Text.Json, or its text if that fails.</summary>
    public static void WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); return;
            case string s: w.WriteStringValue(s); return;
            case bool b: w.WriteBooleanValue(b); return;
            case int i: w.WriteNumberValue(i); return;
            case long l: w.WriteNumberValue(l); return;
            case double d when double.IsFinite(d): w.WriteNumberValue(d); return;
            case float f when float.IsFinite(f): w.WriteNumberValue(f); return;
            case decimal m: w.WriteNumberValue(m); return;
            case JsonElement el: el.WriteTo(w); return;
            case JsonDocument doc: doc.RootElement.WriteTo(w); return;
        }
        byte[] bytes;
        try
        {
            bytes = JsonSerializer.SerializeToUtf8Bytes(value, value.GetType());
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or JsonException or ArgumentException)
        {
            w.WriteStringValue(value.ToString());
            return;
        }
        w.WriteRawValue(bytes, skipInputValidation: true);
    }

    public static string TypeName(EventKind kind) => kind switch
    {
        EventKind.RunStart => "run.start",
        EventKind.RunEnd => "run.end",
        EventKind.Span => "span",
        EventKind.LlmCall => "llm.call",
        EventKind.ToolCall => "tool.call",
        EventKind.ExternalAction => "external.action",
        EventKind.Log => "log",
        EventKind.Error => "error",
        _ => "score",
    };

    public static string Cut(string s, int max)
    {
        if (s.Length <= max) return s;
        // Never cut a surrogate pair in half: the server refuses lone surrogates.
        var n = char.IsHighSurrogate(s[max - 1]) ? max - 1 : max;
        return s[..n];
    }
}

/// <summary>The OpenTelemetry GenAI semantic-convention attribute names the SDK writes.</summary>
public static class GenAi
{
    /// <summary>gen_ai.operation.name (chat).</summary>
    public const string OperationName = "gen_ai.operation.name";
    /// <summary>gen_ai.provider.name (openai, anthropic, …).</summary>
    public const string ProviderName = "gen_ai.provider.name";
    /// <summary>gen_ai.request.model.</summary>
    public const string RequestModel = "gen_ai.request.model";
    /// <summary>gen_ai.response.model.</summary>
    public const string ResponseModel = "gen_ai.response.model";
    /// <summary>gen_ai.usage.input_tokens (all input tokens, cached included).</summary>
    public const string InputTokens = "gen_ai.usage.input_tokens";
    /// <summary>gen_ai.usage.output_tokens.</summary>
    public const string OutputTokens = "gen_ai.usage.output_tokens";
    /// <summary>gen_ai.usage.cache_read.input_tokens.</summary>
    public const string CacheReadInputTokens = "gen_ai.usage.cache_read.input_tokens";
    /// <summary>gen_ai.response.time_to_first_chunk, in seconds (streams).</summary>
    public const string TimeToFirstChunk = "gen_ai.response.time_to_first_chunk";
    /// <summary>gen_ai.tool.name.</summary>
    public const string ToolName = "gen_ai.tool.name";
    /// <summary>gen_ai.agent.name (the server's OTLP mapping takes the agent from it).</summary>
    public const string AgentName = "gen_ai.agent.name";
}
