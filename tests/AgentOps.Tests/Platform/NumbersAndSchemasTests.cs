using System.Text.Json;
using AgentOps.Platform;
using AgentOps.Platform.Http;

namespace AgentOps.Tests.Platform;

/// <summary>Numbers are JSON numbers; the OpenAPI rules for what a request may leave out.</summary>
public class NumbersAndSchemasTests
{
    private sealed record Body(string? Name, int? Count, decimal? Usd, string Kind, int Size, string Mode = "sync", Optional<string> Team = default);

    [Theory]
    [InlineData("""{"count":"5"}""", "$.count")]
    [InlineData("""{"usd":"9223372036854775808"}""", "$.usd")]
    [InlineData("""{"usd":"NaN"}""", "$.usd")]
    public void Numbers_in_strings_are_a_type_mismatch(string body, string path)
    {
        var e = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Body>(body, Json.Options));
        var problem = ErrorHandlingMiddleware.Translate(JsonAndErrorsTests.AsBinding(e));
        Assert.Equal((400, "type_mismatch"), (problem.Status, problem.Code));
        Assert.Equal([path], problem.Errors!.Keys);
    }

    [Fact]
    public void Numbers_as_numbers_still_read()
    {
        var body = JsonSerializer.Deserialize<Body>("""{"count":5,"usd":9223372036854775808}""", Json.Options)!;
        Assert.Equal((5, 9223372036854775808m), (body.Count, body.Usd));
    }

    [Theory]
    [InlineData("name", true)]   // string?: validation reports it missing (422), the body reads without it
    [InlineData("count", true)]  // int?
    [InlineData("mode", true)]   // has a default
    [InlineData("team", true)]   // a PATCH field
    [InlineData("kind", false)]  // non-nullable, no default: the request cannot leave it out
    [InlineData("size", false)]
    public void A_request_property_may_be_omitted_unless_non_nullable_without_a_default(string name, bool mayOmit) =>
        Assert.Equal(mayOmit, OpenApiSchemas.MayOmit(Contract.GetTypeInfo(typeof(Body)).Properties.Single(p => p.Name == name)));

    /// <summary>The API's options with the reflection contract the framework gives them (Json.Options may not be locked yet).</summary>
    private static readonly JsonSerializerOptions Contract = new(Json.Options) { TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() };

    [Fact]
    public void Optional_is_documented_as_its_value() =>
        Assert.Equal((typeof(string), null), (OpenApiSchemas.OptionalValueType(typeof(Optional<string>)), OpenApiSchemas.OptionalValueType(typeof(string))));
}
