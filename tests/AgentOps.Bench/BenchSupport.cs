using AgentOps.Platform;

namespace AgentOps.Bench;

/// <summary>What the benches share: the settings the ./agentops script hands them.</summary>
public static class BenchSupport
{
    public static string Env(string name, string bench) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v
        ? v : throw new InvalidOperationException($"{name} is required (./agentops bench {bench} sets it).");

    /// <summary>A postgresql:// URL as an Npgsql connection string.</summary>
    public static string Normalize(string url)
    {
        var errors = new List<string>();
        var cs = ConnectionStrings.Normalize(url, "bench url", errors);
        return errors.Count == 0 ? cs : throw new InvalidOperationException(string.Join("; ", errors));
    }
}
