namespace AgentOps.Platform;

/// <summary>
/// What of a failure may be written to a log or stored (a dead letter, a job's error): workers, sweepers, both hosts'
/// triggers and the error middleware all say it the same way, without quoting data.
/// </summary>
public static class SafeErrors
{
    /// <summary>Database errors can quote row values in their detail; only the SQLSTATE and primary message text are kept.</summary>
    public static string Message(Exception e) => e is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : e.Message;
}
