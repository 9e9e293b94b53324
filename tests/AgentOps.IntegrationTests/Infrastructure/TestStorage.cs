namespace AgentOps.IntegrationTests.Infrastructure;

/// <summary>
/// The real Azure Storage emulator the tests run against, as ./agentops test provides it
/// (AGENTOPS_TEST_STORAGE_CONNECTION_STRING, Azurite). Tests that need it fail with a message naming the variable.
/// </summary>
public static class TestStorage
{
    public static string ConnectionString => Environment.GetEnvironmentVariable("AGENTOPS_TEST_STORAGE_CONNECTION_STRING") is { Length: > 0 } s
        ? s
        : throw new InvalidOperationException("This test needs Azurite: AGENTOPS_TEST_STORAGE_CONNECTION_STRING is not set. Run the tests with `./agentops test`, which starts it.");

    /// <summary>
    /// The task hub every server of this test run shares (the in-process one and each ServerProcess, which inherits the
    /// environment), as servers sharing a database must; new per run, so a previous run's orchestrations never wake up.
    /// </summary>
    public static readonly string TaskHubName = $"t{Guid.NewGuid():N}"[..20];
}
