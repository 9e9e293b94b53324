using AgentOps.Analytics.ClickHouse;

namespace AgentOps.IntegrationTests.Infrastructure;

/// <summary>
/// The real ClickHouse the tests run against, as ./agentops test provides it (AGENTOPS_TEST_CLICKHOUSE_URL, a private
/// clickhouse-server 18.16). Tests that need it fail with a message naming the variable, never skip.
/// </summary>
public static class TestClickHouse
{
    public static string Url => Environment.GetEnvironmentVariable("AGENTOPS_TEST_CLICKHOUSE_URL") is { Length: > 0 } url
        ? url
        : throw new InvalidOperationException("This test needs a real ClickHouse: AGENTOPS_TEST_CLICKHOUSE_URL is not set. Run the tests with `./agentops test`, which starts one.");

    public static ClickHouseSettings Settings(int maxAttempts = ClickHouseSettings.DefaultMaxAttempts, TimeSpan? timeout = null)
    {
        var errors = new List<string>();
        var settings = ClickHouseSettings.Parse(Url, "AGENTOPS_TEST_CLICKHOUSE_URL", errors);
        if (errors.Count > 0) throw new InvalidOperationException(string.Join("; ", errors));
        return settings with { MaxAttempts = maxAttempts, RequestTimeout = timeout ?? settings.RequestTimeout };
    }

    private static readonly Lazy<Task<ClickHouseClient>> Shared = new(async () =>
    {
        var client = new ClickHouseClient(Settings());
        await ClickHouseSchema.EnsureAsync(client, CancellationToken.None);
        return client;
    });

    /// <summary>One client for the run, with the schema ensured (tests isolate themselves by organization).</summary>
    public static Task<ClickHouseClient> ClientAsync() => Shared.Value;

    public static async Task<long> ScalarAsync(this ClickHouseClient client, string sql) =>
        (await client.QueryAsync(sql, r => r.EnumerateObject().First().Value.GetInt64(), CancellationToken.None))[0];
}
