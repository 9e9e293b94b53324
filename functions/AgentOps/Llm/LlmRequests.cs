using System.Text.Json;
using AgentOps.Guardrails.Envelope;
using AgentOps.Guardrails.Pipeline;
using AgentOps.Providers;

namespace AgentOps.Llm;

public sealed record LlmToolCallBody(string? Id, string? Name, JsonElement? Arguments);

/// <summary>A message: content is a string, or an array of parts ({"type":"text","text"} / {"type":"image","url"|"data"+"media_type"}).</summary>
public sealed record LlmMessageBody(string? Role, JsonElement? Content, LlmToolCallBody[]? ToolCalls, string? ToolCallId, bool? IsError);

public sealed record LlmContextPartBody(string? Name, string? Content);

public sealed record LlmPromptBody(string? System, string? Task, string? Constraints, string? OutputSchema, LlmContextPartBody[]? Context);

public sealed record LlmToolBody(string? Name, string? Description, JsonElement? Parameters);

public sealed record LlmResponseFormatBody(string? Type, string? Name, JsonElement? Schema, bool? Strict);

/// <summary>Another connection and model to fall back to when the one before is exhausted or fails (streams: only before the first byte).</summary>
public sealed record LlmFallbackBody(string? Connection, string? Model);

/// <summary>A scope the call counts against (an eval run, a job) and its caps; absent caps are not enforced.</summary>
public sealed record LlmBudgetBody(string? Scope, long? MaxCalls, long? MaxInputTokens, long? MaxOutputTokens);

/// <summary>
/// POST /llm/complete. The connection by name or id; the model, or a task whose default model the connection names
/// (default task: chat). Either messages or prompt (labelled sections). tool_choice: "auto", "none", "required" or
/// {"name": tool}.
/// </summary>
public sealed record LlmCompleteRequest(
    string? Connection, string? Model, string? Task, LlmMessageBody[]? Messages, LlmPromptBody? Prompt, LlmToolBody[]? Tools, JsonElement? ToolChoice,
    LlmResponseFormatBody? ResponseFormat, int? MaxTokens, double? Temperature, string[]? Stop, bool? Cache, int? MaxReasks, int? MaxInputTokens, string? Agent,
    LlmBudgetBody? Budget, LlmFallbackBody[]? Fallbacks, string? Priority, int? TimeoutSeconds);

/// <summary>The request's parts that choose where the call goes and how patiently.</summary>
public sealed record LlmRouting(string Connection, string? Model, string Task, IReadOnlyList<(string Connection, string? Model)> Fallbacks, bool Batch, TimeSpan Timeout);

/// <summary>The request's shape checked and turned into the pipeline's input: every error at its JSON path, all at once.</summary>
public static class LlmRequests
{
    public const int MaxNameLength = 200;
    public const int MaxTools = 128;
    public const int MaxStopSequences = 4;
    public const string DefaultTask = "chat";
    public const int MaxFallbacks = 4;

    /// <summary>The whole call's deadline (retries and fallbacks included) when the request names none, and the most it may name.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(600);

    public static (LlmCallInput Input, LlmRouting Routing) Parse(LlmCompleteRequest body)
    {
        var v = new Validation();
        var connection = v.RequiredText("$.connection", body.Connection, MaxNameLength);
        var model = v.Text("$.model", body.Model, MaxNameLength);
        var task = v.Text("$.task", body.Task, 64) ?? DefaultTask;
        var agent = v.Text("$.agent", body.Agent, MaxNameLength) ?? LlmCallLimits.DefaultAgent;
        if (body.Fallbacks is { Length: > MaxFallbacks }) v.Add("$.fallbacks", $"at most {MaxFallbacks}.");
        var fallbacks = (body.Fallbacks ?? []).Take(MaxFallbacks).Select((f, i) => (v.RequiredText($"$.fallbacks[{i}].connection", f?.Connection, MaxNameLength) ?? "",
            v.Text($"$.fallbacks[{i}].model", f?.Model, MaxNameLength))).ToList();
        if (body.Priority is not (null or "interactive" or "batch")) v.Add("$.priority", "must be interactive or batch.");
        if (body.TimeoutSeconds is < 1 || body.TimeoutSeconds > MaxTimeout.TotalSeconds) v.Add("$.timeout_seconds", $"must be from 1 to {MaxTimeout.TotalSeconds}.");
        if (body.Messages is null == (body.Prompt is null)) v.Add("$.messages", "give messages or prompt (labelled sections), one of the two.");
        if (body.Messages is { Length: > LlmCallLimits.MaxMessages }) v.Add("$.messages", $"at most {LlmCallLimits.MaxMessages} messages.");
        if (body.Tools is { Length: > MaxTools }) v.Add("$.tools", $"at most {MaxTools} tools.");
        if (body.Stop is { Length: > MaxStopSequences }) v.Add("$.stop", $"at most {MaxStopSequences} sequences.");
        if (body.MaxReasks is < 0 or > LlmCallLimits.MaxReasks) v.Add("$.max_reasks", $"must be from 0 to {LlmCallLimits.MaxReasks}.");
        if (body.MaxInputTokens is < 1 or > LlmCallLimits.MaxInputTokensPerCall) v.Add("$.max_input_tokens", $"must be from 1 to {LlmCallLimits.MaxInputTokensPerCall}.");
        if (body.MaxTokens is < 1 or > LlmCallLimits.MaxOutputTokensPerCall) v.Add("$.max_tokens", $"must be from 1 to {LlmCallLimits.MaxOutputTokensPerCall}.");
        if (body.Temperature is { } t && (double.IsNaN(t) || t < 0 || t > 2)) v.Add("$.temperature", "must be from 0 to 2.");

        ScopeCaps? scope = null;
        if (body.Budget is { } b)
        {
            var name = v.RequiredText("$.budget.scope", b.Scope, ScopeBudgets.MaxScopeLength);
            foreach (var (path, cap) in new[] { ("max_calls", b.MaxCalls), ("max_input_tokens", b.MaxInputTokens), ("max_output_tokens", b.MaxOutputTokens) })
                if (cap is < 1) v.Add("$.budget." + path, "must be positive.");
            if (name is not null) scope = new ScopeCaps(name, b.MaxCalls, b.MaxInputTokens, b.MaxOutputTokens);
        }
        var messages = (body.Messages ?? []).Select((m, i) => Message(v, $"$.messages[{i}]", m)).ToList();
        PromptSections? sections = null;
        if (body.Prompt is { } p)
        {
            var context = new List<ContextPart>();
            for (var i = 0; i < (p.Context?.Length ?? 0); i++)
            {
                var part = p.Context![i];
                var name = v.RequiredText($"$.prompt.context[{i}].name", part?.Name, MaxNameLength);
                var content = Raw(v, $"$.prompt.context[{i}].content", part?.Content, required: false);
                if (name is not null && !CallSteps.IsPartName(name)) v.Add($"$.prompt.context[{i}].name", "must not hold <, >, quotes, & or control characters.");
                else if (name is not null && WellFormed(v, $"$.prompt.context[{i}]", name, content)) context.Add(new ContextPart(name, content));
            }
            var system = p.System ?? "";
            var taskText = Raw(v, "$.prompt.task", p.Task, required: true);
            var constraints = p.Constraints ?? "";
            var schema = p.OutputSchema ?? "";
            if (WellFormed(v, "$.prompt", system, taskText, constraints, schema)) sections = new PromptSections(system, taskText, constraints, schema, context);
        }
        var tools = (body.Tools ?? []).Select((t, i) => new ToolDefinition(v.RequiredText($"$.tools[{i}].name", t?.Name, 64) ?? "", t?.Description,
            t?.Parameters is { ValueKind: JsonValueKind.Object } schema ? schema.Clone() : Invalid(v, $"$.tools[{i}].parameters", "must be a JSON Schema object."))).ToList();
        WellFormed(v, "$.model", model ?? "");
        WellFormed(v, "$.stop", body.Stop ?? []);
        for (var i = 0; i < tools.Count; i++) WellFormed(v, $"$.tools[{i}]", tools[i].Name, tools[i].Description ?? "");
        var request = new ModelRequest(model ?? "", messages)
        {
            Tools = tools, ToolChoice = ToolChoiceOf(v, body.ToolChoice), ResponseFormat = FormatOf(v, body.ResponseFormat), MaxTokens = body.MaxTokens,
            Temperature = body.Temperature, Stop = body.Stop ?? [],
        };
        v.ThrowIfInvalid();
        var input = new LlmCallInput(request, sections) { UseCache = body.Cache ?? true, MaxReasks = body.MaxReasks ?? 1, MaxInputTokens = body.MaxInputTokens, Agent = agent, Scope = scope };
        return (input, new LlmRouting(connection!, model, task, fallbacks, body.Priority == "batch",
            body.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : DefaultTimeout));
    }

    private static ModelMessage Message(Validation v, string path, LlmMessageBody? m)
    {
        if (m is null) { v.Add(path, "is required."); return ModelMessage.OfUser(""); }
        ChatRole? role = m.Role switch { "system" => ChatRole.System, "user" => ChatRole.User, "assistant" => ChatRole.Assistant, "tool" => ChatRole.Tool, _ => null };
        if (role is null) v.Add(path + ".role", "must be system, user, assistant or tool.");
        var parts = new List<ContentPart>();
        switch (m.Content)
        {
            case { ValueKind: JsonValueKind.String } s: parts.Add(new TextPart(s.GetString()!)); break;
            case { ValueKind: JsonValueKind.Array } a:
                var i = 0;
                foreach (var part in a.EnumerateArray())
                {
                    var at = $"{path}.content[{i++}]";
                    var type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var ty) && ty.ValueKind == JsonValueKind.String ? ty.GetString() : null;
                    string? Str(string name) => part.ValueKind == JsonValueKind.Object && part.TryGetProperty(name, out var x) && x.ValueKind == JsonValueKind.String ? x.GetString() : null;
                    if (type == "text" && Str("text") is { } text) parts.Add(new TextPart(text));
                    else if (type == "image") parts.Add(new ImagePart(Str("url"), Str("media_type"), Str("data")));
                    else v.Add(at, "must be {\"type\":\"text\",\"text\"} or {\"type\":\"image\",\"url\"} or {\"type\":\"image\",\"data\",\"media_type\"}.");
                }
                break;
            case null or { ValueKind: JsonValueKind.Null }: break;
            default: v.Add(path + ".content", "must be a string or an array of parts."); break;
        }
        foreach (var text in parts.OfType<TextPart>()) WellFormed(v, path + ".content", text.Text);
        foreach (var image in parts.OfType<ImagePart>()) WellFormed(v, path + ".content", image.Url ?? "", image.MediaType ?? "");
        WellFormed(v, path + ".tool_call_id", m.ToolCallId ?? "");
        foreach (var (c, i) in (m.ToolCalls ?? []).Select((c, i) => (c, i))) WellFormed(v, $"{path}.tool_calls[{i}]", c?.Id ?? "", c?.Name ?? "");
        var calls = (m.ToolCalls ?? []).Select((c, i) => new ToolCall(v.RequiredText($"{path}.tool_calls[{i}].id", c?.Id, MaxNameLength) ?? "",
            v.RequiredText($"{path}.tool_calls[{i}].name", c?.Name, 64) ?? "", c?.Arguments is { } args ? args.GetRawText() : "{}")).ToList();
        return new ModelMessage(role ?? ChatRole.User, parts) { ToolCalls = calls, ToolCallId = m.ToolCallId, IsError = m.IsError ?? false };
    }

    private static ToolChoice? ToolChoiceOf(Validation v, JsonElement? choice) => choice switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } s => s.GetString() switch
        {
            "auto" => ToolChoice.Auto, "none" => ToolChoice.None, "required" => ToolChoice.Required,
            _ => Invalid<ToolChoice?>(v, "$.tool_choice", "must be auto, none, required or {\"name\": tool}.", null),
        },
        { ValueKind: JsonValueKind.Object } o when o.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String => ToolChoice.Named(n.GetString()!),
        _ => Invalid<ToolChoice?>(v, "$.tool_choice", "must be auto, none, required or {\"name\": tool}.", null),
    };

    private static ResponseFormat? FormatOf(Validation v, LlmResponseFormatBody? f) => f?.Type switch
    {
        null when f is null => null,
        "text" => ResponseFormat.Text,
        "json_object" => ResponseFormat.JsonObject,
        "json_schema" when f.Schema is { ValueKind: JsonValueKind.Object } schema => ResponseFormat.JsonSchema(f.Name ?? "output", schema.Clone(), f.Strict ?? true),
        "json_schema" => Invalid<ResponseFormat?>(v, "$.response_format.schema", "must be a JSON Schema object.", null),
        _ => Invalid<ResponseFormat?>(v, "$.response_format.type", "must be text, json_object or json_schema.", null),
    };

    /// <summary>A prompt text as given (never trimmed: the model reads it, and its hash is of it), within the call's limit.</summary>
    private static string Raw(Validation v, string path, string? value, bool required)
    {
        if (value is null || value.Length == 0) { if (required) v.Add(path, "is required."); return ""; }
        if (value.Length > LlmCallLimits.MaxPromptChars) v.Add(path, $"must be at most {LlmCallLimits.MaxPromptChars} characters.");
        return value;
    }

    private static JsonElement Invalid(Validation v, string path, string message) => Invalid(v, path, message, JsonDocument.Parse("{}").RootElement);

    private static T Invalid<T>(Validation v, string path, string message, T fallback)
    {
        v.Add(path, message);
        return fallback;
    }

    /// <summary>Texts with a lone surrogate cannot be hashed faithfully (the envelope refuses them): a 400 here, not a 500 there.</summary>
    private static bool WellFormed(Validation v, string path, params string[] texts)
    {
        foreach (var text in texts)
            for (var i = 0; i < text.Length; i++)
            {
                if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
                if (char.IsSurrogate(text[i])) { v.Add(path, "holds a lone surrogate (not well-formed UTF-16)."); return false; }
            }
        return true;
    }
}
