using AgentOps.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace AgentOps.IntegrationTests.Hostile;

/// <summary>
/// The project's own hostile-input suite (issue 11): every route of the OpenAPI document against a corpus of
/// malformed encodings, nesting, sizes, numbers, dates, NUL characters, duplicate keys, wrong types and content types,
/// malformed path and query parameters and bad credentials. No 5xx, a problem on every 4xx, no partial write, and no
/// read poisoned afterwards.
/// </summary>
[Collection(ApiCollection.Name)]
public class HostileInputTests(ApiFixture fx, ITestOutputHelper output)
{
    private readonly HttpClient _client = fx.Client();

    [Fact]
    public async Task Every_route_of_the_openapi_document_can_be_seeded()
    {
        var ops = ApiOperations.From((await _client.Get("/api/openapi.json")).Expect(200).Body, fx.Factory.Services);
        var gaps = ops.SelectMany(HostileTables.Gaps).Concat(HostileTables.StaleEntries(ops)).ToList();
        Assert.True(gaps.Count == 0, "The hostile-input suite cannot seed these routes:" + Environment.NewLine + string.Join(Environment.NewLine, gaps));
    }

    [Fact]
    public async Task Every_route_survives_the_hostile_corpus()
    {
        var report = await new HostileSweep(fx).RunAsync();
        report.WriteReportFile();
        output.WriteLine(report.Summary);
        output.WriteLine($"took {report.Elapsed.TotalSeconds:F0} s");
        foreach (var note in report.Notes) output.WriteLine(note);
        foreach (var line in report.GroupedFindings()) output.WriteLine(line);
        Assert.True(report.Findings.Count == 0, report.FailureMessage());
    }
}
