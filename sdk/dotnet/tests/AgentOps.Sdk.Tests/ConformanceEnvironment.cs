namespace AgentOps.Sdk.Tests;

/// <summary>The variables the conformance suite (and the OpenTelemetry export test) need: the self-host and its credentials.</summary>
internal static class ConformanceEnvironment
{
    public static readonly string[] Variables =
        ["AGENTOPS_SDK_TEST_URL", "AGENTOPS_SDK_TEST_API_KEY", "AGENTOPS_SDK_TEST_ADMIN_EMAIL", "AGENTOPS_SDK_TEST_ADMIN_PASSWORD"];

    public static string? Missing => Variables.FirstOrDefault(v => string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(v)));

    public static Uri Url => new(Environment.GetEnvironmentVariable("AGENTOPS_SDK_TEST_URL")!.TrimEnd('/') + "/");
    public static string ApiKey => Environment.GetEnvironmentVariable("AGENTOPS_SDK_TEST_API_KEY")!;
    public static string AdminEmail => Environment.GetEnvironmentVariable("AGENTOPS_SDK_TEST_ADMIN_EMAIL")!;
    public static string AdminPassword => Environment.GetEnvironmentVariable("AGENTOPS_SDK_TEST_ADMIN_PASSWORD")!;

    /// <summary>sdk/conformance/scenarios, found by walking up from the test binaries to the repository root.</summary>
    public static string ScenarioDirectory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "sdk", "conformance", "scenarios");
                if (Directory.Exists(candidate)) return candidate;
            }
            throw new DirectoryNotFoundException("sdk/conformance/scenarios was not found above " + AppContext.BaseDirectory);
        }
    }
}

/// <summary>A theory skipped, naming the variable, when the conformance environment is not set (as the provider smoke tests do).</summary>
public sealed class ConformanceTheoryAttribute : TheoryAttribute
{
    public ConformanceTheoryAttribute()
    {
        if (ConformanceEnvironment.Missing is { } variable)
            Skip = $"Skipped: {variable} is not set, so the conformance scenarios against a real AgentOps server did not run. `./agentops test` sets it.";
    }
}

/// <summary>A fact skipped, naming the variable, when the conformance environment is not set.</summary>
public sealed class ConformanceFactAttribute : FactAttribute
{
    public ConformanceFactAttribute()
    {
        if (ConformanceEnvironment.Missing is { } variable)
            Skip = $"Skipped: {variable} is not set, so this test against a real AgentOps server did not run. `./agentops test` sets it.";
    }
}

/// <summary>
/// Tests against the real server run alone, after the others: an OpenTelemetry pipeline listening to the SDK's source
/// exports every activity of the process, and the conformance scenarios count their runs' events exactly.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealServerCollection
{
    public const string Name = "real server";
}
