using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using AgentOps.Platform;
using AgentOps.Ingest;
using AgentOps.Ingest.Contracts;
using AgentOps.Platform.Http;

namespace AgentOps.Tests.Ingest;

/// <summary>
/// The ingest event has two descriptions that must agree: the contract type <see cref="IngestEventInput"/> (the OpenAPI
/// document and sdk/spec/events.schema.json are generated from it) and <see cref="EventParser"/>, the hand parser that
/// actually reads events (benchmarked, an error per item). A field added to one and not the other fails here.
/// </summary>
public partial class EventContractTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-06-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static readonly JsonTypeInfo Contract = Json.Options.GetTypeInfo(typeof(IngestEventInput));

    private static readonly string[] ContractFields = [.. Contract.Properties.Select(p => p.Name).Order(StringComparer.Ordinal)];

    private static readonly string[] RequiredFields = [.. Contract.Properties.Where(p => p.IsRequired).Select(p => p.Name).Order(StringComparer.Ordinal)];

    /// <summary>The smallest valid event: a log line.</summary>
    private static Dictionary<string, object?> Minimal() => new()
    {
        ["id"] = "e1", ["type"] = "log", ["timestamp"] = "2026-06-01T10:00:00Z", ["run_id"] = "r1", ["agent"] = "bot",
    };

    private static ParsedItem Parse(Dictionary<string, object?> item) => EventParser.Parse(JsonSerializer.SerializeToElement(item), Now);

    /// <summary>A valid value for a field of the contract, by its type.</summary>
    private static object Sample(JsonPropertyInfo property) => (Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType) switch
    {
        var t when t == typeof(string) => "x",
        var t when t == typeof(DateTimeOffset) => "2026-06-01T11:00:00Z",
        var t when t == typeof(long) => 1,
        var t when t == typeof(decimal) || t == typeof(double) => 0.5,
        var t when t == typeof(JsonElement) => "text",
        var t when t == typeof(Dictionary<string, JsonElement>) => new Dictionary<string, string> { ["k"] = "v" },
        var t when t == typeof(string[]) => new[] { "tag" },
        var t when t == typeof(EventType) => "log",
        var t => throw new InvalidOperationException($"No sample for {property.Name} ({t}): extend Sample."),
    };

    [Fact]
    public void Every_field_the_contract_names_is_accepted_by_the_parser()
    {
        foreach (var property in Contract.Properties)
        {
            var item = Minimal();
            item[property.Name] = Sample(property);
            var parsed = Parse(item);
            Assert.True(parsed.Error is null, $"{property.Name}: the parser refused a valid value: {parsed.Error}");
        }
    }

    [Fact]
    public void Every_field_the_parser_reads_is_in_the_contract_and_no_other_is_accepted()
    {
        var source = File.ReadAllText(Path.Combine(Repository.Root, "functions", "AgentOps", "Ingest", "EventParser.cs"));
        var parsed = CaseLabels().Matches(source[source.IndexOf("switch (p.Name)", StringComparison.Ordinal)..source.IndexOf("default:", StringComparison.Ordinal)])
            .SelectMany(m => FieldNames().Matches(m.Value)).Select(m => m.Groups[1].Value).Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(ContractFields, parsed);
        var item = Minimal();
        item["not_a_field"] = 1;
        Assert.Equal("unknown_field", Parse(item).Error?.Code);
    }

    [Fact]
    public void The_fields_the_contract_requires_are_the_ones_the_parser_misses()
    {
        Assert.Null(Parse(Minimal()).Error);
        var missing = Minimal().Keys.Where(name =>
        {
            var item = Minimal();
            item.Remove(name);
            return Parse(item).Error is { Code: "missing_field" } e && e.Path == "$." + name;
        }).Order(StringComparer.Ordinal);
        Assert.Equal(RequiredFields, missing);
    }

    [Fact]
    public void The_contracts_event_types_are_the_parsers()
    {
        var wire = typeof(EventType).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()!.Name).Order(StringComparer.Ordinal);
        Assert.Equal(EventTypes.All.Order(StringComparer.Ordinal), wire);
    }

    [Fact]
    public void The_committed_event_schema_names_the_contracts_fields()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repository.Root, "sdk", "spec", AgentOpsSpec.EventSchemaFile)));
        var root = schema.RootElement;
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", root.GetProperty("$schema").GetString());
        Assert.Equal(ContractFields, root.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(RequiredFields, root.GetProperty("required").EnumerateArray().Select(p => p.GetString()!).Order(StringComparer.Ordinal));
        Assert.False(root.GetProperty("additionalProperties").GetBoolean());
    }

    /// <summary>case "a": / case "a" or "b": in the parser's switch on field names.</summary>
    [GeneratedRegex(@"case\s+""[a-z_]+""(\s+or\s+""[a-z_]+"")*\s*:")]
    private static partial Regex CaseLabels();

    [GeneratedRegex(@"""([a-z_]+)""")]
    private static partial Regex FieldNames();
}

/// <summary>The checkout the tests run from (where AgentOps.sln is).</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AgentOps.sln"))) return dir.FullName;
        throw new InvalidOperationException("AgentOps.sln not found above " + AppContext.BaseDirectory);
    }
}
