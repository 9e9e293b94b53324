using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform;
using AgentOps.Platform.Database;
using AgentOps.Runs;
using Npgsql;

namespace AgentOps.IntegrationTests;

/// <summary>
/// A text search reads every run the other filters leave (inputs, outputs, metadata): one that runs past its time is
/// refused as too broad (422 search_too_broad naming q), not left holding a connection; without text no limit applies.
/// </summary>
[Collection(ApiCollection.Name)]
public class RunSearchTests(ApiFixture fx)
{
    [Fact]
    public async Task A_search_past_its_time_is_refused_as_too_broad_naming_q()
    {
        _ = fx.Factory.Server;
        var org = await AnalyticsData.NewOrgAsync();
        await AnalyticsData.GenerateAsync(org, DateTimeOffset.UtcNow.AddDays(-3), 20_000);
        await using var app = NpgsqlDataSource.Create(TestDatabase.ConnectionString(TestDatabase.AppUrl));
        // The blob store is not used by listing (null here); the timeout is set so small that the scan cannot finish.
        var runs = new RunService(new Db(app), null!) { SearchTimeout = TimeSpan.FromMilliseconds(1) };
        RunFilter Search(string? text) => new(null, null, null, null, null, null, null, text);

        var refused = await Assert.ThrowsAsync<DomainError>(() => runs.PageAsync(org, Search("%no such text%"), RunSort.StartedAt, true, null, 50, default));
        Assert.Equal("search_too_broad", refused.Code);
        Assert.Equal(["q"], refused.Errors.Keys);

        // The same list without text, and the same search with the default time, answer.
        Assert.Equal(50, (await runs.PageAsync(org, Search(null), RunSort.StartedAt, true, null, 50, default)).Count);
        Assert.Empty(await new RunService(new Db(app), null!).PageAsync(org, Search("no such text"), RunSort.StartedAt, true, null, 50, default));
    }
}
