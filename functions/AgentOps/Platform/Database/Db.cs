using AgentOps.Platform.Events;

namespace AgentOps.Platform.Database;

/// <summary>
/// The application's only door to Postgres. Tenant work runs in <see cref="InOrgAsync{T}"/>: one transaction with
/// the organization set for row-level security, so a query that forgets its org filter still sees one tenant.
/// </summary>
public sealed class Db(NpgsqlDataSource dataSource, DomainEvents events)
{
    /// <summary>A Db whose transactions raise events to no one: for tools and tests that only read.</summary>
    public Db(NpgsqlDataSource dataSource) : this(dataSource, DomainEvents.None) { }

    public NpgsqlDataSource DataSource => dataSource;

    public async Task<T> InOrgAsync<T>(Guid orgId, Func<Tx, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var raised = new RaisedEvents(events);
        var tx = new Tx(connection, transaction, orgId, raised);
        await tx.ExecuteAsync("SELECT set_config('app.org_id', $1, true)", ct, orgId.ToString());
        var result = await work(tx);
        await transaction.CommitAsync(ct);
        raised.Committed();
        return result;
    }

    public Task InOrgAsync(Guid orgId, Func<Tx, Task> work, CancellationToken ct) =>
        InOrgAsync(orgId, async tx => { await work(tx); return true; }, ct);

    /// <summary>Work before any organization is known: only the SECURITY DEFINER auth_* look-ups return rows.</summary>
    public async Task<T> WithoutOrgAsync<T>(Func<Tx, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await work(new Tx(connection, null, Guid.Empty, new RaisedEvents(DomainEvents.None)));
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

    /// <summary>The same connection and transaction, for work in another organization (the caller sets app.org_id).</summary>
    public Tx ForOrg(Guid otherOrgId) => new(_connection, _transaction, otherOrgId, _raised);

    /// <summary>
    /// Publishes a domain event of this organization: its reactions run now, in this transaction (they commit with it
    /// or not at all); its after-commit handlers run once the transaction has committed, never if it rolls back.
    /// </summary>
    public async Task RaiseAsync<TEvent>(TEvent e, CancellationToken ct) where TEvent : IDomainEvent
    {
        if (_transaction is null) throw new InvalidOperationException("Events are raised in a transaction (InOrgAsync), not in a look-up without one.");
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
