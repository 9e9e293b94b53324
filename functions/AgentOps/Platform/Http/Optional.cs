using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentOps.Platform.Http;

/// <summary>
/// A PATCH field: absent (leave as is) is different from present-and-null (clear it). System.Text.Json calls the
/// converter only for properties present in the body, so a default instance means "absent".
/// </summary>
[JsonConverter(typeof(OptionalConverterFactory))]
public readonly record struct Optional<T>(bool IsSet, T? Value)
{
    public static Optional<T> Of(T? value) => new(true, value);
    public T? Or(T? current) => IsSet ? Value : current;
}

public sealed class OptionalConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(Optional<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(OptionalConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

    private sealed class OptionalConverter<T> : JsonConverter<Optional<T>>
    {
        public override bool HandleNull => true;

        public override Optional<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null) return Optional<T>.Of(default);
            try { return Optional<T>.Of(JsonSerializer.Deserialize<T>(ref reader, options)); }
            // The nested call reports its own path ("$"); a bare exception lets the outer serializer name the field.
            catch (JsonException) { throw new JsonException(); }
        }

        public override void Write(Utf8JsonWriter writer, Optional<T> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.Value, options);
    }
}
