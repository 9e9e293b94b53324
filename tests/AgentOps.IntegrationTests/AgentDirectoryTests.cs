using AgentOps.Agents;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform.Database;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace AgentOps.IntegrationTests;

/// <summary>
/// The front door's agent cache against the real Postgres: an ageing entry is re-read in the background while it goes
/// on serving, an expired one is read before answering, and an invalidation is seen at once. A status change made by
/// another replica (here: straight in the database) must reach this one within AgentDirectory.Freshness.
/// </summary>
[Collection(ApiCollection.Name)]
public class AgentDirectoryTests(ApiFixture fx) : IAsyncLifetime
{
    private NpgsqlDataSource _app = null!;
    private Db _db = null!;
    private readonly ManualTime _time = new(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));

    public Task InitializeAsync()
    {
        _ = fx.Factory.Server; // migrations applied
        _app = NpgsqlDataSource.Create(TestDatabase.ConnectionString(TestDatabase.AppUrl));
        _db = new Db(_app);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<(Guid Org, Guid Agent)> AgentAsync(string name)
    {
        var org = await AnalyticsData.NewOrgAsync();
        var agent = Guid.NewGuid();
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "INSERT INTO agents (id, org_id, name, status) VALUES ($1, $2, $3, 'active')", agent, org, name);
        return (org, agent);
    }

    private static Task SetStatusAsync(Guid agent, string status) =>
        TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE agents SET status = $2 WHERE id = $1", agent, status);

    private async Task<string?> StatusAsync(AgentDirectory directory, Guid org, string key) =>
        (await directory.ResolveAsync(org, [key], null, default))[key]?.Status;

    [Fact]
    public async Task An_ageing_entry_keeps_serving_while_it_is_re_read_in_the_background()
    {
        var (org, agent) = await AgentAsync("dir-ageing");
        var directory = new AgentDirectory(_db, _time, NullLogger<AgentDirectory>.Instance);
        Assert.Equal("active", await StatusAsync(directory, org, "dir-ageing"));

        await SetStatusAsync(agent, "paused"); // another replica pauses it
        _time.Now += RefreshAfter / 2;
        Assert.Equal("active", await StatusAsync(directory, org, "dir-ageing")); // young: served, not re-read

        _time.Now += RefreshAfter; // past RefreshAfter, within Freshness
        Assert.Equal("active", await StatusAsync(directory, org, "dir-ageing")); // served at once; the re-read starts
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await StatusAsync(directory, org, "dir-ageing") != "paused")
        {
            Assert.True(DateTime.UtcNow < deadline, "the background re-read never replaced the entry");
            await Task.Delay(10);
        }
        // The successor counts from its own read: it serves a further Freshness without another read.
        await SetStatusAsync(agent, "active");
        _time.Now += RefreshAfter - TimeSpan.FromMilliseconds(1);
        Assert.Equal("paused", await StatusAsync(directory, org, "dir-ageing"));
    }

    [Fact]
    public async Task An_expired_entry_is_read_before_answering_and_an_invalidation_is_seen_at_once()
    {
        var (org, agent) = await AgentAsync("dir-expired");
        var directory = new AgentDirectory(_db, _time, NullLogger<AgentDirectory>.Instance);
        Assert.Equal("active", await StatusAsync(directory, org, agent.ToString()));

        await SetStatusAsync(agent, "paused");
        _time.Now += AgentDirectory.Freshness;
        Assert.Equal("paused", await StatusAsync(directory, org, agent.ToString()));

        await SetStatusAsync(agent, "active");
        directory.Invalidate(org); // this replica made the change
        Assert.Equal("active", await StatusAsync(directory, org, agent.ToString()));
    }

    [Fact]
    public async Task A_renamed_agent_is_no_longer_served_under_its_old_name()
    {
        var (org, agent) = await AgentAsync("dir-old-name");
        var directory = new AgentDirectory(_db, _time, NullLogger<AgentDirectory>.Instance);
        Assert.Equal("active", await StatusAsync(directory, org, "dir-old-name"));

        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE agents SET name = 'dir-new-name' WHERE id = $1", agent);
        _time.Now += RefreshAfter;
        Assert.Equal("active", await StatusAsync(directory, org, "dir-old-name")); // served; the re-read finds no such name
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await StatusAsync(directory, org, "dir-old-name") is not null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the entry under the old name was never dropped");
            await Task.Delay(10);
        }
    }

    /// <summary>ReadCache re-reads an entry once it is half its freshness old.</summary>
    private static readonly TimeSpan RefreshAfter = AgentDirectory.Freshness / 2;

    private sealed class ManualTime(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
