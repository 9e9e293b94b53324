using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform.Database;
using AgentOps.Platform.Events;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AgentOps.IntegrationTests;

/// <summary>
/// The domain events' promise, on the real Postgres: reactions run inside the raising transaction (with its
/// organization) and may raise events of their own; after-commit handlers run only once the transaction committed,
/// in the order the events were raised, never for a rollback or for work rolled back to a savepoint; a failing
/// after-commit handler neither fails the committed call nor stops the others.
/// </summary>
[Collection(ApiCollection.Name)]
public class DomainEventsTests(ApiFixture fx) : IAsyncLifetime
{
    private sealed record Noted(string What) : IDomainEvent;
    private sealed record Echoed(string What) : IDomainEvent;

    private sealed class Recorder : IReaction<Noted>, IAfterCommit<Noted>, IAfterCommit<Echoed>
    {
        public readonly List<string> Reacted = [];
        public readonly List<string> Committed = [];

        public async Task ReactAsync(Tx tx, Noted e, CancellationToken ct)
        {
            Reacted.Add($"{e.What} in {await tx.ScalarAsync<string>("SELECT current_setting('app.org_id', true)", ct)}");
            await tx.RaiseAsync(new Echoed(e.What), ct);
        }

        void IAfterCommit<Noted>.Committed(Guid orgId, Noted e) => Committed.Add($"noted {e.What}");
        void IAfterCommit<Echoed>.Committed(Guid orgId, Echoed e) => Committed.Add($"echoed {e.What}");
    }

    private sealed class Failing : IAfterCommit<Noted>
    {
        public void Committed(Guid orgId, Noted e) => throw new InvalidOperationException("a handler that fails");
    }

    private NpgsqlDataSource _app = null!;
    private Recorder _recorder = null!;
    private Db _db = null!;

    public Task InitializeAsync()
    {
        _ = fx.Factory.Server; // migrations applied
        _app = NpgsqlDataSource.Create(TestDatabase.ConnectionString(TestDatabase.AppUrl));
        // The failing handler is registered first: the recorder after it must still be told.
        var services = new ServiceCollection().AddLogging()
            .AddAfterCommit<Failing, Noted>()
            .AddReaction<Recorder, Noted>().AddAfterCommit<Recorder, Noted>().AddAfterCommit<Recorder, Echoed>()
            .AddSingleton<DomainEvents>()
            .BuildServiceProvider();
        _recorder = services.GetRequiredService<Recorder>();
        _db = new Db(_app, services.GetRequiredService<DomainEvents>());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Reactions_run_in_the_transaction_and_after_commit_handlers_after_it_in_order()
    {
        var org = Guid.NewGuid();
        await _db.InOrgAsync(org, async tx =>
        {
            await tx.RaiseAsync(new Noted("a"), CancellationToken.None);
            await tx.RaiseAsync(new Noted("b"), CancellationToken.None);
            Assert.Empty(_recorder.Committed); // nothing before the commit
            Assert.Equal(["a", "b"], tx.Raised<Echoed>().Select(e => e.What));
        }, CancellationToken.None);
        Assert.Equal([$"a in {org}", $"b in {org}"], _recorder.Reacted);
        Assert.Equal(["noted a", "echoed a", "noted b", "echoed b"], _recorder.Committed);
    }

    [Fact]
    public async Task A_rolled_back_transaction_runs_no_after_commit_handler()
    {
        await Assert.ThrowsAsync<TimeoutException>(() => _db.InOrgAsync(Guid.NewGuid(), async tx =>
        {
            await tx.RaiseAsync(new Noted("lost"), CancellationToken.None);
            throw new TimeoutException("the work fails after raising");
        }, CancellationToken.None));
        Assert.Equal(["lost"], _recorder.Reacted.Select(r => r.Split(' ')[0]));
        Assert.Empty(_recorder.Committed);
    }

    [Fact]
    public async Task Events_raised_after_a_savepoint_that_is_rolled_back_are_forgotten()
    {
        await _db.InOrgAsync(Guid.NewGuid(), async tx =>
        {
            await tx.RaiseAsync(new Noted("kept"), CancellationToken.None);
            var savepoint = await tx.SavepointAsync("attempt", CancellationToken.None);
            await tx.RaiseAsync(new Noted("undone"), CancellationToken.None);
            await tx.RollbackToAsync(savepoint, CancellationToken.None);
            await tx.RaiseAsync(new Noted("after"), CancellationToken.None);
        }, CancellationToken.None);
        Assert.Equal(["noted kept", "echoed kept", "noted after", "echoed after"], _recorder.Committed);
    }

    [Fact]
    public async Task A_look_up_without_a_transaction_cannot_raise()
    {
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            _db.WithoutOrgAsync(async tx => { await tx.RaiseAsync(new Noted("nowhere"), CancellationToken.None); return 0; }, CancellationToken.None));
        Assert.Contains("transaction", refused.Message);
        Assert.Empty(_recorder.Reacted);
    }
}
