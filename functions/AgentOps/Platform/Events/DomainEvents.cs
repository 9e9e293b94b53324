using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace AgentOps.Platform.Events;

/// <summary>
/// A fact a feature publishes in the transaction that made it true (costs accrued, agents paused, approvals decided).
/// The types features share live in <c>AgentOps.Contracts</c>, so that publishing and reacting need no reference
/// between the features.
/// </summary>
public interface IDomainEvent;

/// <summary>
/// A reaction inside the raising transaction: it commits with the change that caused it, or not at all (the same
/// atomicity as a direct call). It may raise events of its own. Reactions must not depend on each other's order.
/// </summary>
public interface IReaction<in TEvent> where TEvent : IDomainEvent
{
    Task ReactAsync(Tx tx, TEvent e, CancellationToken ct);
}

/// <summary>
/// What follows the commit on this replica: caches forgotten, waiters woken, buffered events queued. Runs only when
/// the transaction committed, in the order the events were raised; it must be quick and must not do I/O that can fail
/// (an exception is logged and the rest still run: the change is committed and the caller answered).
/// </summary>
public interface IAfterCommit<in TEvent> where TEvent : IDomainEvent
{
    void Committed(Guid orgId, TEvent e);
}

/// <summary>
/// Finds the reactions and after-commit handlers registered for an event type (the features' modules register them as
/// singletons). A new reaction is a new registration: the code that raises the event does not change.
/// </summary>
public sealed class DomainEvents(IServiceProvider services, ILogger<DomainEvents> logger)
{
    /// <summary>No reactions at all: for tools and tests that read through a bare <see cref="Db"/>.</summary>
    public static readonly DomainEvents None = new(new ServiceCollection().BuildServiceProvider(), Microsoft.Extensions.Logging.Abstractions.NullLogger<DomainEvents>.Instance);

    internal async Task ReactAsync<TEvent>(Tx tx, TEvent e, CancellationToken ct) where TEvent : IDomainEvent
    {
        foreach (var reaction in services.GetServices<IReaction<TEvent>>()) await reaction.ReactAsync(tx, e, ct);
    }

    internal void Committed<TEvent>(Guid orgId, TEvent e) where TEvent : IDomainEvent
    {
        foreach (var handler in services.GetServices<IAfterCommit<TEvent>>())
        {
            try { handler.Committed(orgId, e); }
            catch (Exception error)
            {
                logger.LogError("After-commit handler {Handler} failed on {Event}: {Error}", handler.GetType().Name, typeof(TEvent).Name, SafeErrors.Message(error));
            }
        }
    }
}

/// <summary>The events one transaction raised (shared by the org-scoped views of it), for after its commit.</summary>
internal sealed class RaisedEvents(DomainEvents dispatcher)
{
    private readonly List<(Guid OrgId, IDomainEvent Event, Action Committed)> _raised = [];

    public DomainEvents Dispatcher => dispatcher;

    public void Add<TEvent>(Guid orgId, TEvent e) where TEvent : IDomainEvent => _raised.Add((orgId, e, () => dispatcher.Committed(orgId, e)));

    public int Count => _raised.Count;

    /// <summary>Forgets the events raised from <paramref name="index"/> on (their savepoint was rolled back).</summary>
    public void ForgetFrom(int index) => _raised.RemoveRange(index, _raised.Count - index);

    public IEnumerable<TEvent> OfType<TEvent>(Guid orgId) where TEvent : IDomainEvent =>
        _raised.Where(r => r.OrgId == orgId).Select(r => r.Event).OfType<TEvent>();

    /// <summary>Runs the after-commit handlers of every event raised, in order (call once, after the commit).</summary>
    public void Committed()
    {
        foreach (var (_, _, committed) in _raised) committed();
        _raised.Clear();
    }
}

public static class DomainEventRegistration
{
    /// <summary>Registers <typeparamref name="TReaction"/> (one singleton per type, whatever it reacts to) as a reaction to <typeparamref name="TEvent"/>.</summary>
    public static IServiceCollection AddReaction<TReaction, TEvent>(this IServiceCollection services)
        where TReaction : class, IReaction<TEvent> where TEvent : IDomainEvent
    {
        services.TryAddSingleton<TReaction>();
        return services.AddSingleton<IReaction<TEvent>>(sp => sp.GetRequiredService<TReaction>());
    }

    /// <summary>Registers the singleton <typeparamref name="THandler"/> as an after-commit handler of <typeparamref name="TEvent"/>.</summary>
    public static IServiceCollection AddAfterCommit<THandler, TEvent>(this IServiceCollection services)
        where THandler : class, IAfterCommit<TEvent> where TEvent : IDomainEvent
    {
        services.TryAddSingleton<THandler>();
        return services.AddSingleton<IAfterCommit<TEvent>>(sp => sp.GetRequiredService<THandler>());
    }
}
