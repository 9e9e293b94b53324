using System.Data;
using AgentOps.Platform.Events;

namespace AgentOps.Platform.Database;

/// <summary>
/// The application's only door to Postgres, and the only code that sets app.org_id (row-level security). Tenant work
/// runs in <see cref="InOrgAsync{T}"/>: one transaction with the organization set, so a query that forgets its org
/// filter still sees one tenant. Work that spans organizations (workers, sweepers, the batch processor) runs in
/// <see cref="AcrossOrgsAsync{T}"/> and enters each organization explicitly; before any org is known,
/// <see cref="WithoutOrgAsync{T}"/> reaches only the SECURITY DEFINER look-ups.
/// </summary>
public sealed class Db(NpgsqlDataSource dataSource, DomainEvents events)
{
    /// <summary>A Db whose transactions raise events to no one: for tools and tests that only read.</summary>
    public Db(NpgsqlDataSource dataSource) : this(dataSource, DomainEvents.None) { }

    public NpgsqlDataSource DataSource => dataSource;

    /// <param name="isolation">Read committed unless the work needs one snapshot for all its statements (repeatable read).</param>
    public async Task<T> InOrgAsync<T>(Guid orgId, Func<Tx, Task<T>> work, CancellationToken ct, IsolationLevel isolation = IsolationLevel.ReadCommitted)
    {
        AcrossOrgs.ThrowIfNoOrganization(orgId);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(isolation, ct);
        var raised = new RaisedEvents(events);
        var tx = await new AcrossOrgs(connection, transaction, raised).EnterAsync(orgId, ct);
        var result = await work(tx);
        await transaction.CommitAsync(ct);
        raised.Committed();
        return result;
    }

    /// <summary>
    /// One transaction for work that spans organizations. It starts in none (row-level security shows no tenant row;
    /// the SECURITY DEFINER queue and claim functions work); <see cref="AcrossOrgs.EnterAsync"/> switches it to one
    /// organization at a time, on the same transaction, so per-org work can share one commit (group commit).
    /// </summary>
    public async Task<T> AcrossOrgsAsync<T>(Func<AcrossOrgs, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var raised = new RaisedEvents(events);
        var result = await work(new AcrossOrgs(connection, transaction, raised));
        await transaction.CommitAsync(ct);
        raised.Committed();
        return result;
    }

    public Task AcrossOrgsAsync(Func<AcrossOrgs, Task> work, CancellationToken ct) =>
        AcrossOrgsAsync(async orgs => { await work(orgs); return true; }, ct);

    public Task InOrgAsync(Guid orgId, Func<Tx, Task> work, CancellationToken ct) =>
        InOrgAsync(orgId, async tx => { await work(tx); return true; }, ct);

    /// <summary>Work before any organization is known: only the SECURITY DEFINER auth_* look-ups return rows.</summary>
    public async Task<T> WithoutOrgAsync<T>(Func<Tx, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await work(new Tx(connection, null, Guid.Empty, new RaisedEvents(DomainEvents.None)));
    }
}

/// <summary>
/// The handle of a transaction that spans organizations (<see cref="Db.AcrossOrgsAsync{T}"/>). <see cref="EnterAsync"/>
/// is the one place app.org_id changes within a transaction: the organization entered last is the one in force for
/// the whole transaction, so a <see cref="Tx"/> of an organization left since must not be used again.
/// </summary>
public sealed class AcrossOrgs
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private readonly RaisedEvents _raised;

    internal AcrossOrgs(NpgsqlConnection connection, NpgsqlTransaction transaction, RaisedEvents raised)
    {
        _connection = connection;
        _transaction = transaction;
        _raised = raised;
        Unscoped = new Tx(connection, transaction, Guid.Empty, raised);
    }

    /// <summary>
    /// Statements of no organization: the SECURITY DEFINER queue and claim functions (ingest_take_batches, …), session
    /// settings, temporary tables, savepoints. It runs under whichever organization was entered last (none at first),
    /// so tenant rows are read and written only through the <see cref="Tx"/> that <see cref="EnterAsync"/> returns.
    /// </summary>
    public Tx Unscoped { get; }

    /// <summary>Sets app.org_id to <paramref name="orgId"/> for the rest of the transaction (until another is entered).</summary>
    public async Task<Tx> EnterAsync(Guid orgId, CancellationToken ct)
    {
        ThrowIfNoOrganization(orgId);
        var tx = new Tx(_connection, _transaction, orgId, _raised);
        await tx.ExecuteAsync("SELECT set_config('app.org_id', $1, true)", ct, orgId.ToString());
        return tx;
    }

    /// <summary>The empty id is no organization: cross-org work says so with <see cref="Db.AcrossOrgsAsync{T}"/>, not with a fake org.</summary>
    internal static void ThrowIfNoOrganization(Guid orgId)
    {
        if (orgId == Guid.Empty) throw new ArgumentException("Guid.Empty is no organization; work across organizations goes through Db.AcrossOrgsAsync.", nameof(orgId));
    }
}

/// <summary>A connection (and transaction) with positional-parameter helpers: SQL stays readable next to the feature.</summary>
public sealed class Tx
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction? _transaction;
    private readonly RaisedEvents _raised;

    internal Tx(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid orgId, RaisedEvents raised) =>
        (_connection, _transaction, OrgId, _raised) = (connection, transaction, orgId, raised);

    public Guid OrgId { get; }
    public NpgsqlConnection Connection => _connection;

    /// <summary>
    /// Publishes a domain event of this organization: its reactions run now, in this transaction (they commit with it
    /// or not at all); its after-commit handlers run once the transaction has committed, never if it rolls back.
    /// </summary>
    public async Task RaiseAsync<TEvent>(TEvent e, CancellationToken ct) where TEvent : IDomainEvent
    {
        if (_transaction is null || OrgId == Guid.Empty)
            throw new InvalidOperationException("Events are raised in an organization's transaction (InOrgAsync, AcrossOrgs.EnterAsync), not in a look-up or unscoped.");
        _raised.Add(OrgId, e);
        await _raised.Dispatcher.ReactAsync(this, e, ct);
    }

    /// <summary>A savepoint that also marks the events raised so far: rolling back to it forgets those raised since.</summary>
    public async Task<Savepoint> SavepointAsync(string name, CancellationToken ct)
    {
        await ExecuteAsync($"SAVEPOINT {name}", ct);
        return new Savepoint(name, _raised.Count);
    }

    public async Task RollbackToAsync(Savepoint savepoint, CancellationToken ct)
    {
        await ExecuteAsync($"ROLLBACK TO SAVEPOINT {savepoint.Name}", ct);
        _raised.ForgetFrom(savepoint.RaisedBefore);
    }

    public sealed record Savepoint(string Name, int RaisedBefore);

    /// <summary>The events of a type this transaction raised so far in this organization (what its reactions did).</summary>
    public IEnumerable<TEvent> Raised<TEvent>() where TEvent : IDomainEvent => _raised.OfType<TEvent>(OrgId);

    public NpgsqlCommand Command(string sql, params object?[] args)
    {
        var command = new NpgsqlCommand(sql, _connection, _transaction);
        foreach (var arg in args)
            command.Parameters.Add(arg is NpgsqlParameter p ? p : new NpgsqlParameter { Value = arg ?? DBNull.Value });
        return command;
    }

    public async Task<int> ExecuteAsync(string sql, CancellationToken ct, params object?[] args)
    {
        await using var command = Command(sql, args);
        return await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<T?> ScalarAsync<T>(string sql, CancellationToken ct, params object?[] args)
    {
        await using var command = Command(sql, args);
        var value = await command.ExecuteScalarAsync(ct);
        return value is null or DBNull ? default : (T)value;
    }

    public async Task<List<T>> ListAsync<T>(string sql, Func<NpgsqlDataReader, T> map, CancellationToken ct, params object?[] args)
    {
        await using var command = Command(sql, args);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct)) rows.Add(map(reader));
        return rows;
    }

    public async Task<T?> SingleAsync<T>(string sql, Func<NpgsqlDataReader, T> map, CancellationToken ct, params object?[] args) where T : class
    {
        var rows = await ListAsync(sql, map, ct, args);
        return rows.Count == 0 ? null : rows[0];
    }
}

public static class ReaderExtensions
{
    public static string? NullableString(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    public static Guid? NullableGuid(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetGuid(i);
    public static DateTimeOffset Time(this NpgsqlDataReader r, int i) => new(r.GetDateTime(i), TimeSpan.Zero);
    public static DateTimeOffset? NullableTime(this NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.Time(i);
}
