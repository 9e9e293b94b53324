using Npgsql;

namespace AgentOps.IntegrationTests.Infrastructure;

/// <summary>
/// The real Postgres the tests run against, as ./agentops test provides it: the application role (no BYPASSRLS), the
/// schema owner, and the superuser (for what only an attacker with database access could do).
/// </summary>
public static class TestDatabase
{
    public static string AppUrl => Require("AGENTOPS_TEST_DATABASE_URL");
    public static string OwnerUrl => Require("AGENTOPS_TEST_OWNER_DATABASE_URL");
    public static string AdminUrl => Require("AGENTOPS_TEST_ADMIN_DATABASE_URL");

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"Integration tests need a real Postgres: {name} is not set. Run them with `./agentops test`, which starts one.");

    public static string ConnectionString(string url)
    {
        var errors = new List<string>();
        var cs = AgentOps.Platform.ConnectionStrings.Normalize(url, "test url", errors);
        return errors.Count == 0 ? cs : throw new InvalidOperationException(string.Join("; ", errors));
    }

    public static async Task<NpgsqlConnection> OpenAsync(string url)
    {
        var connection = new NpgsqlConnection(ConnectionString(url));
        await connection.OpenAsync();
        return connection;
    }

    public static async Task<T?> ScalarAsync<T>(string url, string sql, params object[] args)
    {
        await using var connection = await OpenAsync(url);
        await using var cmd = new NpgsqlCommand(sql, connection);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        var value = await cmd.ExecuteScalarAsync();
        return value is DBNull or null ? default : (T)value;
    }

    public static async Task ExecuteAsync(string url, string sql, params object[] args)
    {
        await using var connection = await OpenAsync(url);
        await using var cmd = new NpgsqlCommand(sql, connection);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        await cmd.ExecuteNonQueryAsync();
    }
}
