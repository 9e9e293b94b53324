
namespace AgentOps.Platform.Database;

/// <summary>
/// The application's only door to Postgres. Tenant work runs in <see cref="InOrgAsync{T}"/>: one transaction with
/// the organization set for row-level security, so a query that forgets its org filter still sees one tenant.
/// </summary>
public sealed class Db(NpgsqlDataSource dataSource)
{
    public NpgsqlDataSource DataSource => dataSource;

    public async Task<T> InOrgAsync<T>(Guid orgId, Func<Tx, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var tx = new Tx(connection, transaction, orgId);
        await tx.ExecuteAsync("SELECT set_config('app.org_id', $1, true)", ct, orgId.ToString());
        var result = await work(tx);
        await transaction.CommitAsync(ct);
        return result;
    }

    public Task InOrgAsync(Guid orgId, Func<Tx, Task> work, CancellationToken ct) =>
        InOrgAsync(orgId, async tx => { await work(tx); return true; }, ct);

    /// <summary>Work before any organization is known: only the SECURITY DEFINER auth_* look-ups return rows.</summary>
    public async Task<T> WithoutOrgAsync<T>(Func<Tx, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await work(new Tx(connection, null, Guid.Empty));
    }
}

/// <summary>A connection (and transaction) with positional-parameter helpers: SQL stays readable next to the feature.</summary>
public sealed class Tx(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid orgId)
{
    public Guid OrgId => orgId;
    public NpgsqlConnection Connection => connection;

    /// <summary>The same connection and transaction, for work in another organization (the caller sets app.org_id).</summary>
    public Tx ForOrg(Guid otherOrgId) => new(connection, transaction, otherOrgId);

    public NpgsqlCommand Command(string sql, params object?[] args)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
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
