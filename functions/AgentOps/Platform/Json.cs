using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentOps.Platform;

/// <summary>
/// The JSON rules of the API and of everything it stores as JSON (audit snapshots, webhook bodies), in one place: snake_case names, enums as snake_case strings, numbers only as JSON numbers
/// ("5" for a number is 400 type_mismatch, as the OpenAPI document says), and unknown fields in a request body are
/// rejected (400 unknown_field) so that a misspelt field never silently does nothing. What a body may hold at all
/// (UTF-8, text Postgres can store, numbers a double holds, depth, no duplicate keys) is <see cref="JsonInput"/>'s rule.
/// </summary>
public static class Json
{
    public static void Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        o.DictionaryKeyPolicy = null;
        o.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        // JsonSerializerDefaults.Web also reads numbers from strings; the API does not.
        o.NumberHandling = JsonNumberHandling.Strict;
        o.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        o.MaxDepth = MaxOutputDepth;
    }

    /// <summary>
    /// The nesting a response may have. Input is held to <see cref="JsonInput.MaxDepth"/> (32) by the input gate, so a
    /// stored value plus the few levels a response wraps around it (a page, an audit entry's before/after) always fits:
    /// what was accepted can always be read back.
    /// </summary>
    public const int MaxOutputDepth = 64;

    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(o);
        // Read-only from the start, with the reflection resolver: GetTypeInfo (the contract tests, the spec) must not
        // depend on whether something was serialized first, and nobody may change the options after they were shared.
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }
}
