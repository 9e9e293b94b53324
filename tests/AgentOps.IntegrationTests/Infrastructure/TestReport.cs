namespace AgentOps.IntegrationTests.Infrastructure;

/// <summary>
/// Figures a test wants seen in the CI log even when it passes (xunit shows a passing test's output to nobody):
/// written to $AGENTOPS_TEST_REPORT_DIR, which ./agentops test prints after the suites.
/// </summary>
public static class TestReport
{
    public static void Write(string fileName, IEnumerable<string> lines)
    {
        if (Environment.GetEnvironmentVariable("AGENTOPS_TEST_REPORT_DIR") is not { Length: > 0 } dir) return;
        Directory.CreateDirectory(dir);
        File.WriteAllLines(Path.Combine(dir, fileName), lines);
    }
}
