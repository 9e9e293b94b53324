namespace AgentOps.Health;

/// <summary>Liveness (the process answers) and readiness (the database answers and its schema is current).</summary>
public static class HealthApi
{
    /// <summary>Readiness gives up on the database after this long, so a probe never hangs.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(3);

    public static void MapHealthApi(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("/api/health").WithTags("Health");
        health.MapGet("/", Live).Anonymous().WithName("getHealth");
        health.MapGet("/ready", ReadyAsync).Anonymous().WithName("getReadiness").Problems(503);
    }

    public sealed record HealthStatus(string Status, int? SchemaVersion, int ExpectedSchemaVersion);

    public static Ok<HealthStatus> Live() => TypedResults.Ok(new HealthStatus("ok", null, Migrator.LatestVersion));

    public static async Task<Ok<HealthStatus>> ReadyAsync(Db db, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ReadyTimeout);
        int version;
        try { version = await Migrator.CurrentVersionAsync(db.DataSource, timeout.Token); }
        catch (Exception e) when (e is Npgsql.NpgsqlException or OperationCanceledException or TimeoutException && !ct.IsCancellationRequested)
        {
            throw new ApiProblem(503, "database_unavailable", "Not ready", "The database does not answer.") { RetryAfterSeconds = 1 };
        }
        if (version != Migrator.LatestVersion)
            throw new ApiProblem(503, "migrations_pending", "Not ready",
                $"The database schema is at version {version}; this build needs {Migrator.LatestVersion}. Run ./agentops migrate.") { RetryAfterSeconds = 5 };
        return TypedResults.Ok(new HealthStatus("ready", version, Migrator.LatestVersion));
    }
}
