using System.Text.Json;
using System.Text.RegularExpressions;

namespace AgentOps.Providers;

/// <summary>Who speaks in a conversation. A tool message carries a tool's result back to the model.</summary>
public enum ChatRole { System, User, Assistant, Tool }

/// <summary>One part of a message's content.</summary>
public abstract record ContentPart;

public sealed record TextPart(string Text) : ContentPart;

/// <summary>An image, by URL or as base64 data with its media type (image/png, image/jpeg, …).</summary>
public sealed record ImagePart(string? Url = null, string? MediaType = null, string? Base64Data = null) : ContentPart;

/// <summary>
/// One message. An assistant message may hold the tool calls the model made (<see cref="ToolCalls"/>); a tool message
/// answers one of them (<see cref="ToolCallId"/>), <see cref="IsError"/> when the tool failed.
/// </summary>
public sealed record ModelMessage(ChatRole Role, IReadOnlyList<ContentPart> Content)
{
    public IReadOnlyList<ToolCall> ToolCalls { get; init; } = [];

    public string? ToolCallId { get; init; }

    public bool IsError { get; init; }

    /// <summary>The text parts, joined.</summary>
    public string Text => string.Concat(Content.OfType<TextPart>().Select(p => p.Text));

    public static ModelMessage OfSystem(string text) => new(ChatRole.System, [new TextPart(text)]);

    public static ModelMessage OfUser(string text) => new(ChatRole.User, [new TextPart(text)]);

    public static ModelMessage OfAssistant(string text, params ToolCall[] toolCalls) =>
        new(ChatRole.Assistant, text.Length == 0 ? [] : [new TextPart(text)]) { ToolCalls = toolCalls };

    public static ModelMessage OfToolResult(string toolCallId, string text, bool isError = false) =>
        new(ChatRole.Tool, [new TextPart(text)]) { ToolCallId = toolCallId, IsError = isError };
}

/// <summary>A tool the model may call: its parameters are a JSON Schema of type object.</summary>
public sealed record ToolDefinition(string Name, string? Description, JsonElement Parameters);

public enum ToolChoiceKind { Auto, None, Required, Named }

/// <summary>Whether the model may, must not, must, or must call this one tool.</summary>
public sealed record ToolChoice(ToolChoiceKind Kind, string? Name = null)
{
    public static ToolChoice Auto { get; } = new(ToolChoiceKind.Auto);

    public static ToolChoice None { get; } = new(ToolChoiceKind.None);

    public static ToolChoice Required { get; } = new(ToolChoiceKind.Required);

    public static ToolChoice Named(string name) => new(ToolChoiceKind.Named, name);
}

public enum ResponseFormatKind { Text, JsonObject, JsonSchema }

/// <summary>Plain text, any JSON object, or JSON that fits a schema (<see cref="Name"/>, <see cref="Schema"/>, <see cref="Strict"/>).</summary>
public sealed record ResponseFormat(ResponseFormatKind Kind, string? Name = null, JsonElement? Schema = null, bool Strict = false)
{
    public static ResponseFormat Text { get; } = new(ResponseFormatKind.Text);

    public static ResponseFormat JsonObject { get; } = new(ResponseFormatKind.JsonObject);

    public static ResponseFormat JsonSchema(string name, JsonElement schema, bool strict = true) => new(ResponseFormatKind.JsonSchema, name, schema, strict);
}

/// <summary>
/// A provider-neutral model call. <see cref="ToolChoice"/> null leaves the provider's default (auto when tools are
/// given); <see cref="Metadata"/> is passed where the provider takes it (OpenAI's metadata; Anthropic's user_id only).
/// </summary>
public sealed partial record ModelRequest(string Model, IReadOnlyList<ModelMessage> Messages)
{
    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];

    public ToolChoice? ToolChoice { get; init; }

    public ResponseFormat? ResponseFormat { get; init; }

    public int? MaxTokens { get; init; }

    public double? Temperature { get; init; }

    public IReadOnlyList<string> Stop { get; init; } = [];

    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>What is wrong with the request, by field; empty when it may be sent.</summary>
    public IReadOnlyList<string> Errors()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Model)) errors.Add("model: is required.");
        if (Messages.Count == 0) errors.Add("messages: at least one message is required.");
        for (var i = 0; i < Messages.Count; i++)
        {
            var m = Messages[i];
            if (m.Role == ChatRole.Tool && string.IsNullOrEmpty(m.ToolCallId)) errors.Add($"messages[{i}]: a tool message needs the tool call id it answers.");
            if (m.Role != ChatRole.Assistant && m.ToolCalls.Count > 0) errors.Add($"messages[{i}]: only assistant messages hold tool calls.");
            if (m.Role is ChatRole.System or ChatRole.Tool && m.Content.OfType<ImagePart>().Any()) errors.Add($"messages[{i}]: images belong in user messages.");
            foreach (var image in m.Content.OfType<ImagePart>())
                if (image.Url is null == (image.Base64Data is null) || image.Base64Data is not null && string.IsNullOrEmpty(image.MediaType))
                    errors.Add($"messages[{i}]: an image is a URL, or base64 data with its media type.");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Tools.Count; i++)
        {
            var t = Tools[i];
            if (!ToolName().IsMatch(t.Name)) errors.Add($"tools[{i}].name: must match ^[a-zA-Z0-9_-]{{1,64}}$.");
            else if (!names.Add(t.Name)) errors.Add($"tools[{i}].name: '{t.Name}' is defined twice.");
            if (!IsObjectSchema(t.Parameters)) errors.Add($"tools[{i}].parameters: must be a JSON Schema object of type \"object\".");
        }
        switch (ToolChoice)
        {
            case { Kind: ToolChoiceKind.Required or ToolChoiceKind.Named } when Tools.Count == 0:
                errors.Add("tool_choice: requires tools."); break;
            case { Kind: ToolChoiceKind.Named, Name: var name } when name is null || !names.Contains(name):
                errors.Add($"tool_choice: names no defined tool ('{name}')."); break;
        }
        if (ResponseFormat is { Kind: ResponseFormatKind.JsonSchema } f)
        {
            if (f.Name is null || !ToolName().IsMatch(f.Name)) errors.Add("response_format.name: must match ^[a-zA-Z0-9_-]{1,64}$.");
            if (f.Schema is not { } s || !IsObjectSchema(s)) errors.Add("response_format.schema: must be a JSON Schema object of type \"object\".");
        }
        if (MaxTokens is <= 0) errors.Add("max_tokens: must be positive.");
        if (Temperature is < 0 or > 2 || Temperature is { } temp && double.IsNaN(temp)) errors.Add("temperature: must be between 0 and 2.");
        if (Stop.Any(string.IsNullOrEmpty)) errors.Add("stop: sequences must not be empty.");
        return errors;
    }

    /// <summary>Refuses an invalid request before anything is sent (<see cref="ProviderErrorKind.BadRequest"/>, no status).</summary>
    public void ThrowIfInvalid()
    {
        var errors = Errors();
        if (errors.Count > 0) throw new ProviderException(ProviderErrorKind.BadRequest, "Invalid model request: " + string.Join(" ", errors));
    }

    private static bool IsObjectSchema(JsonElement schema) =>
        schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("type", out var type)
        && type.ValueKind == JsonValueKind.String && type.GetString() == "object";

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex ToolName();
}
