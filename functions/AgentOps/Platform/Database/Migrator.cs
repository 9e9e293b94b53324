using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace AgentOps.Platform.Database;

/// <summary>
/// Forward-only numbered SQL migrations (embedded NNNN_name.sql). Applied in order under an advisory lock, each in its
/// own transaction, and recorded with a SHA-256 checksum; an applied file that changed afterwards stops the run.
/// </summary>
public static class Migrator
{
    /// <summary>Advisory lock key: one migrator at a time across every replica.</summary>
    private const long LockKey = 0x4167_656E_744F_7073; // "AgentOps"

    public sealed record Migration(int Version, string Name, string Sql, string Checksum);

    /// <summary>
    /// Numbers taken by a branch that has not landed yet (branches merge in any order): the only gaps allowed. Remove a
    /// number once its file is in. 0008: reserved for the jobs work while analytics (0009) lands first.
    /// </summary>
    public static readonly IReadOnlySet<int> Reserved = new HashSet<int> { 8 };

    public static IReadOnlyList<Migration> Embedded { get; } = Load();

    public static int LatestVersion => Embedded[^1].Version;

    private static List<Migration> Load()
    {
        var assembly = typeof(Migrator).Assembly;
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("migrations/", StringComparison.Ordinal)))
        {
            var file = resource["migrations/".Length..];
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var sql = reader.ReadToEnd();
            var version = int.Parse(file[..4], System.Globalization.CultureInfo.InvariantCulture);
            list.Add(new Migration(version, Path.GetFileNameWithoutExtension(file), sql,
                Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)))));
        }
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        var expected = 1;
        foreach (var m in list)
        {
            while (m.Version > expected && Reserved.Contains(expected)) expected++;
            if (m.Version != expected) throw new InvalidOperationException($"Migrations must be numbered 0001, 0002, ... without gaps; found {m.Name}.");
            expected++;
        }
        return list;
    }

    /// <summary>Applies what is missing; returns the versions applied now.</summary>
    public static async Task<IReadOnlyList<int>> ApplyAsync(string ownerConnectionString, ILogger logger, CancellationToken ct)
    {
        using var activity = Telemetry.AgentOpsTelemetry.Source.StartActivity("agentops.migrate");
        await using var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.OpenAsync(ct);
        await Exec(connection, "SELECT pg_advisory_lock($1)", ct, LockKey);
        try
        {
            await Exec(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                  version     integer PRIMARY KEY,
                  name        text NOT NULL,
                  checksum    text NOT NULL,
                  applied_at  timestamptz NOT NULL DEFAULT now())
                """, ct);
            var applied = new Dictionary<int, string>();
            await using (var cmd = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection))
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) applied[reader.GetInt32(0)] = reader.GetString(1);

            var unknown = applied.Keys.Where(v => v > LatestVersion).ToList();
            if (unknown.Count > 0)
                throw new InvalidOperationException($"The database has migration {unknown.Max()} but this build knows only up to {LatestVersion}: run a newer build.");

            var now = new List<int>();
            foreach (var m in Embedded)
            {
                if (applied.TryGetValue(m.Version, out var checksum))
                {
                    if (checksum != m.Checksum)
                        throw new InvalidOperationException($"Migration {m.Name} changed after it was applied (checksum differs). Migrations are forward-only: add a new one.");
                    continue;
                }
                await using var tx = await connection.BeginTransactionAsync(ct);
                await using (var cmd = new NpgsqlCommand(m.Sql, connection, tx)) await cmd.ExecuteNonQueryAsync(ct);
                await using (var cmd = new NpgsqlCommand("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", connection, tx))
                {
                    cmd.Parameters.Add(new() { Value = m.Version });
                    cmd.Parameters.Add(new() { Value = m.Name });
                    cmd.Parameters.Add(new() { Value = m.Checksum });
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
                logger.LogInformation("Applied migration {Migration}", m.Name);
                now.Add(m.Version);
            }
            // The readiness probe (running as the application role) reads the version table.
            await Exec(connection, "GRANT SELECT ON schema_migrations TO agentops_app", ct);
            return now;
        }
        finally
        {
            await Exec(connection, "SELECT pg_advisory_unlock($1)", CancellationToken.None, LockKey);
        }
    }

    /// <summary>The version the database is at, as seen by any role that can read schema_migrations.</summary>
    public static async Task<int> CurrentVersionAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT coalesce(max(version), 0) FROM schema_migrations");
        try { return (int)(await cmd.ExecuteScalarAsync(ct))!; }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable) { return 0; }
    }

    private static async Task Exec(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] args)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
