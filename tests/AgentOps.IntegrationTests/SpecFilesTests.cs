using System.Text.Json;
using System.Text.RegularExpressions;
using AgentOps.IntegrationTests.Hostile;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform.Http;

namespace AgentOps.IntegrationTests;

/// <summary>
/// The contract in sdk/spec/ is what the server declares: the document served at /api/openapi.json, and the event schema
/// derived from it, equal the committed files (so every contract change shows up in review). Every operation has a
/// stable operationId, a typed success response and the problems it can answer. The committed contract is production's:
/// the collection's server has the test-only fault routes on (AGENTOPS_FAULT_INJECTION, ApiFixture), so the files are
/// compared with the document of a server started with the setting off, as ./agentops spec generates them (SDK code
/// generators must never put armFault into production clients). The checks of every operation read the collection's
/// document, fault routes included.
/// </summary>
[Collection(ApiCollection.Name)]
public partial class SpecFilesTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private async Task<string> ServedAsync()
    {
        var response = await _client.GetAsync("/api/openapi.json");
        Assert.Equal(200, (int)response.StatusCode);
        return OpenApiSpec.Canonical(await response.Content.ReadAsStringAsync());
    }

    /// <summary>/api/openapi.json of a server with the fault hook off: the production route set.</summary>
    private static async Task<string> ProductionServedAsync()
    {
        Environment.SetEnvironmentVariable(AgentOps.FaultInjection.FaultInjectionModule.SettingName, "false");
        try
        {
            await using var production = new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>();
            using var client = production.CreateClient();
            var response = await client.GetAsync("/api/openapi.json");
            Assert.Equal(200, (int)response.StatusCode);
            return OpenApiSpec.Canonical(await response.Content.ReadAsStringAsync());
        }
        finally
        {
            Environment.SetEnvironmentVariable(AgentOps.FaultInjection.FaultInjectionModule.SettingName, "true");
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AgentOps.sln"))) return dir.FullName;
        throw new InvalidOperationException("AgentOps.sln not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public async Task The_committed_spec_files_are_what_the_server_declares()
    {
        var served = await ProductionServedAsync();
        Assert.DoesNotContain("/api/v1/test/faults", served, StringComparison.Ordinal);
        var generated = AgentOpsSpec.Files(served);
        var directory = Path.Combine(RepositoryRoot(), "sdk", "spec");
        var stale = new List<string>();
        foreach (var (name, text) in generated)
        {
            var path = Path.Combine(directory, name);
            var committed = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : null;
            if (committed == text) continue;
            stale.Add(committed is null ? $"sdk/spec/{name}: missing" : $"sdk/spec/{name}: differs from the generated file, first at line {FirstDifference(committed, text)}");
        }
        Assert.True(stale.Count == 0,
            "The API contract changed but sdk/spec/ was not regenerated:\n  " + string.Join("\n  ", stale) +
            "\nRun ./agentops spec, review `git diff -- sdk/spec` (every change there is a change SDK users see) and commit it.");
    }

    private static int FirstDifference(string a, string b)
    {
        var (left, right) = (a.Split('\n'), b.Split('\n'));
        var i = 0;
        while (i < left.Length && i < right.Length && left[i] == right[i]) i++;
        return i + 1;
    }

    private static IEnumerable<(string Route, JsonElement Operation)> Operations(JsonElement doc) =>
        doc.GetProperty("paths").EnumerateObject().SelectMany(p => p.Value.EnumerateObject()
            .Where(o => o.Name is "get" or "post" or "put" or "patch" or "delete")
            .Select(o => ($"{o.Name.ToUpperInvariant()} {p.Name}", o.Value)));

    [Fact]
    public async Task Every_operation_has_a_stable_id_and_a_typed_success_response()
    {
        using var doc = JsonDocument.Parse(await ServedAsync());
        var faults = new List<string>();
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (route, op) in Operations(doc.RootElement))
        {
            if (!op.TryGetProperty("operationId", out var id) || id.GetString() is not { } name) { faults.Add($"{route}: no operationId (add .WithName)"); continue; }
            if (!OperationId().IsMatch(name)) faults.Add($"{route}: operationId {name} is not verbNoun camelCase (docs/api.md)");
            if (!ids.TryAdd(name, route)) faults.Add($"{route}: operationId {name} is also {ids[name]}'s");
            var successes = op.GetProperty("responses").EnumerateObject().Where(r => r.Name.StartsWith('2')).ToList();
            if (successes.Count == 0) faults.Add($"{route}: no success response");
            foreach (var success in successes.Where(r => r.Name != "204"))
                if (!success.Value.TryGetProperty("content", out var content) || !content.EnumerateObject().Any(c => c.Value.TryGetProperty("schema", out _)))
                    faults.Add($"{route}: success response {success.Name} has no schema (return TypedResults, or declare .Produces<T>)");
        }
        Assert.True(faults.Count == 0, string.Join("\n", faults));
    }

    [Fact]
    public async Task Every_operation_lists_the_problems_its_declarations_imply()
    {
        var text = await ServedAsync();
        using var doc = JsonDocument.Parse(text);
        var problem = doc.RootElement.GetProperty("components").GetProperty("schemas").GetProperty(OpenApiProblems.SchemaName);
        Assert.Contains("code", problem.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        var declared = ApiOperations.From(doc.RootElement, fx.Factory.Services).ToDictionary(o => o.Route);
        var faults = new List<string>();
        foreach (var (route, op) in Operations(doc.RootElement))
        {
            var responses = op.GetProperty("responses");
            var problems = responses.EnumerateObject().Where(r => r.Name[0] is '4' or '5').ToList();
            foreach (var p in problems)
                if (!p.Value.GetProperty("content").TryGetProperty(OpenApiProblems.ContentType, out var media)
                    || media.GetProperty("schema").GetProperty("$ref").GetString() != "#/components/schemas/" + OpenApiProblems.SchemaName)
                    faults.Add($"{route} {p.Name}: not an {OpenApiProblems.ContentType} Problem");
            var statuses = problems.Select(p => p.Name).ToHashSet();
            var o = declared[route.TrimEnd('/')];
            var expected = new List<string> { "400" };
            if (!o.Anonymous) expected.AddRange(["401", "403"]);
            if (o.PathParameters.Count > 0) expected.Add("404");
            if (o.DeclaresBody) expected.AddRange(["413", "415", "422"]);
            if (o.Query.Count > 0) expected.Add("422");
            faults.AddRange(expected.Where(s => !statuses.Contains(s)).Select(s => $"{route}: does not list {s}"));
        }
        Assert.True(faults.Count == 0, string.Join("\n", faults));
        // What no declaration implies is declared by the route: a conflict, and the rate limit of keys.
        Assert.True(Operations(doc.RootElement).Single(o => o.Route == "POST /api/v1/agents").Operation.GetProperty("responses").TryGetProperty("409", out _));
        Assert.True(Operations(doc.RootElement).Single(o => o.Route == "POST /api/v1/ingest").Operation.GetProperty("responses").TryGetProperty("429", out _));
    }

    [GeneratedRegex("^[a-z]+[A-Z][A-Za-z]*$")]
    private static partial Regex OperationId();
}
