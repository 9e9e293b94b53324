using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

/// <summary>
/// /api/openapi.json says what the API reads and writes: numbers are numbers (never "integer or string"), a request
/// field is required only when the body cannot be read without it, PATCH fields are their values, and responses list
/// every property (null fields are written, never left out).
/// </summary>
[Collection(ApiCollection.Name)]
public class OpenApiDocumentTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private async Task<JsonElement> DocumentAsync() => (await _client.Get("/api/openapi.json")).Expect(200).Body;

    private static JsonElement Schema(JsonElement doc, string name) => doc.GetProperty("components").GetProperty("schemas").GetProperty(name);

    private static string[] Types(JsonElement schema) => schema.TryGetProperty("type", out var t)
        ? t.ValueKind switch
        {
            JsonValueKind.Array => [.. t.EnumerateArray().Select(x => x.GetString()!).Order()],
            JsonValueKind.String => [t.GetString()!],
            _ => [], // a property that is named "type"
        }
        : [];

    private static string[] Required(JsonElement schema) =>
        schema.TryGetProperty("required", out var r) ? [.. r.EnumerateArray().Select(x => x.GetString()!)] : [];

    private static IEnumerable<JsonElement> Walk(JsonElement e)
    {
        yield return e;
        if (e.ValueKind == JsonValueKind.Object) foreach (var p in e.EnumerateObject()) foreach (var x in Walk(p.Value)) yield return x;
        if (e.ValueKind == JsonValueKind.Array) foreach (var i in e.EnumerateArray()) foreach (var x in Walk(i)) yield return x;
    }

    /// <summary>The component names a part of the document refers to, followed through other components.</summary>
    private static HashSet<string> Components(JsonElement doc, IEnumerable<JsonElement> roots)
    {
        var found = new HashSet<string>();
        var queue = new Queue<JsonElement>(roots);
        while (queue.TryDequeue(out var e))
            foreach (var r in Walk(e).Where(x => x.ValueKind == JsonValueKind.Object && x.TryGetProperty("$ref", out _)))
                if (found.Add(r.GetProperty("$ref").GetString()!.Split('/')[^1])) queue.Enqueue(Schema(doc, r.GetProperty("$ref").GetString()!.Split('/')[^1]));
        return found;
    }

    private static IEnumerable<JsonElement> Operations(JsonElement doc) =>
        doc.GetProperty("paths").EnumerateObject().SelectMany(p => p.Value.EnumerateObject().Select(o => o.Value));

    [Fact]
    public async Task Numbers_are_json_numbers_only()
    {
        var doc = await DocumentAsync();
        var mixed = Walk(doc).Where(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out _))
            .Select(Types).Where(t => t.Contains("string") && (t.Contains("integer") || t.Contains("number"))).ToList();
        Assert.Empty(mixed);
        var budget = Schema(doc, "BudgetRequest").GetProperty("properties");
        Assert.Equal(["null", "number"], Types(budget.GetProperty("max_amount_usd")));
        Assert.Equal(["integer", "null"], Types(budget.GetProperty("rolling_days")));
        Assert.False(budget.GetProperty("rolling_days").TryGetProperty("pattern", out _));
        var limit = doc.GetProperty("paths").GetProperty("/api/v1/agents").GetProperty("get").GetProperty("parameters").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == "limit");
        Assert.Equal(["integer"], Types(limit.GetProperty("schema")));
    }

    [Fact]
    public async Task Request_fields_are_required_only_when_the_body_cannot_be_read_without_them()
    {
        var doc = await DocumentAsync();
        // Every field of a create is nullable so that validation reports all that are missing at once (422).
        Assert.Empty(Required(Schema(doc, "BudgetRequest")));
        Assert.Empty(Required(Schema(doc, "SignupRequest")));
        var requests = Components(doc, Operations(doc).Where(o => o.TryGetProperty("requestBody", out _)).Select(o => o.GetProperty("requestBody")));
        foreach (var name in requests)
        {
            var schema = Schema(doc, name);
            foreach (var field in Required(schema))
                Assert.DoesNotContain("null", Types(schema.GetProperty("properties").GetProperty(field)));
        }
        // The rule tells requests from responses: no object schema is both (JsonElement is any JSON).
        var responses = Components(doc, Operations(doc).Select(o => o.GetProperty("responses")));
        Assert.Equal(["JsonElement"], requests.Intersect(responses));
    }

    [Fact]
    public async Task Patch_fields_are_their_values_and_responses_list_every_property()
    {
        var doc = await DocumentAsync();
        Assert.DoesNotContain(doc.GetProperty("components").GetProperty("schemas").EnumerateObject(), s => s.Name.StartsWith("Optional", StringComparison.Ordinal));
        var patch = Schema(doc, "UpdateBudgetRequest");
        Assert.Empty(Required(patch));
        Assert.Equal(["null", "string"], Types(patch.GetProperty("properties").GetProperty("team")));
        Assert.Equal(["number"], Types(patch.GetProperty("properties").GetProperty("max_amount_usd")));
        Assert.Equal(["array", "null"], Types(patch.GetProperty("properties").GetProperty("thresholds")));

        var view = Schema(doc, "BudgetView");
        Assert.Equal(view.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(), Required(view).Order());
        Assert.Equal(["null", "string"], Types(view.GetProperty("properties").GetProperty("team")));
    }
}
