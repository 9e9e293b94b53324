using System.Collections.Concurrent;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AgentOps.Platform.Http;

/// <summary>
/// Makes the OpenAPI document say what the API reads and writes. Two rules (docs/api.md "OpenAPI"):
/// <list type="bullet">
/// <item>A request body property is <c>required</c> only when its type is non-nullable and it has no default, i.e.
/// when leaving it out cannot be read at all. Fields whose absence the validation refuses (422, with every error
/// at once) are nullable on purpose and stay optional in the schema; their rules are in docs/api.md. Responses keep
/// every property required: null fields are written as null, never left out.</item>
/// <item>A PATCH field (<see cref="Optional{T}"/>) is documented as its value, <c>T</c> or null, never as the wrapper.</item>
/// </list>
/// Enums are strings (their wire names), and say so. Numbers are JSON numbers only (<see cref="Json"/> reads them strictly), so the generator no longer offers strings.
/// </summary>
public static class OpenApiSchemas
{
    public static void Configure(OpenApiOptions options)
    {
        // Optional<T> has no shape of its own: it is never a component (the property takes T's schema instead).
        // Components are named after the type's short name: two types of one name (nested in different classes) would
        // silently share one schema, and the document would describe one of them wrongly. Generating it fails instead.
        var defaultIds = options.CreateSchemaReferenceId;
        var named = new ConcurrentDictionary<string, Type>(StringComparer.Ordinal);
        options.CreateSchemaReferenceId = info =>
        {
            if (OptionalValueType(info.Type) is not null) return null;
            var id = defaultIds(info);
            var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
            if (id is not null && named.GetOrAdd(id, type) is var first && first != type)
                throw new InvalidOperationException($"Two types would share the OpenAPI schema '{id}': {first.FullName} and {type.FullName}. Rename one (schema names are part of the contract).");
            return id;
        };
        options.AddSchemaTransformer(TransformAsync);
    }

    /// <summary>T for <see cref="Optional{T}"/>, else null.</summary>
    public static Type? OptionalValueType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Optional<>) ? type.GetGenericArguments()[0] : null;

    /// <summary>Whether a request may leave the property out: nullable, defaulted or a PATCH field.</summary>
    public static bool MayOmit(JsonPropertyInfo property)
    {
        if (OptionalValueType(property.PropertyType) is not null) return true;
        if (property.AssociatedParameter is { } parameter) return parameter.HasDefaultValue || parameter.IsNullable;
        return property.PropertyType.IsValueType ? Nullable.GetUnderlyingType(property.PropertyType) is not null : property.IsSetNullable;
    }

    private static async Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        // Enums are written as their names (Json's string enum converter): say so, as code generators need the type
        // to make a string union rather than an untyped one.
        if ((Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) ?? context.JsonTypeInfo.Type).IsEnum && schema.Enum is { Count: > 0 } values && schema.Type is null
            && values.All(v => v?.GetValueKind() == System.Text.Json.JsonValueKind.String))
            schema.Type = JsonSchemaType.String;
        if (context.JsonTypeInfo.Kind != JsonTypeInfoKind.Object || schema.Properties is not { Count: > 0 } properties) return;
        var isRequestBody = context.ParameterDescription?.Source == BindingSource.Body;
        foreach (var property in context.JsonTypeInfo.Properties)
        {
            if (!properties.ContainsKey(property.Name)) continue;
            if (OptionalValueType(property.PropertyType) is { } valueType)
            {
                // Null is readable wherever T can be null (reference types, T?): the validation decides what it means.
                var value = await context.GetOrCreateSchemaAsync(valueType, null, ct);
                if (!valueType.IsValueType || Nullable.GetUnderlyingType(valueType) is not null)
                {
                    if (value is OpenApiSchema { Type: { } type } inline) inline.Type = type | JsonSchemaType.Null;
                    else value = new OpenApiSchema { OneOf = [new OpenApiSchema { Type = JsonSchemaType.Null }, value] };
                }
                properties[property.Name] = value;
            }
            if (isRequestBody && schema.Required is { } required && MayOmit(property)) required.Remove(property.Name);
        }
    }
}
