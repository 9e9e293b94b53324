namespace AgentOps.Sdk.Tests;

/// <summary>
/// The shared conformance suite: one case per file in sdk/conformance/scenarios, each interpreted by
/// <see cref="ScenarioRunner"/> against AGENTOPS_SDK_TEST_URL. New scenario files become new cases without code.
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed class ConformanceTests
{
    public static TheoryData<string> Scenarios()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(ConformanceEnvironment.ScenarioDirectory, "*.json").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(file));
        return data;
    }

    [ConformanceTheory]
    [MemberData(nameof(Scenarios))]
    public async Task Scenario(string name)
    {
        var path = Path.Combine(ConformanceEnvironment.ScenarioDirectory, name + ".json");
        await using var runner = new ScenarioRunner(name, await File.ReadAllTextAsync(path));
        await runner.RunAsync();
    }

    [Fact]
    public void Every_scenario_file_is_a_case()
    {
        var files = Directory.GetFiles(ConformanceEnvironment.ScenarioDirectory, "*.json");
        Assert.NotEmpty(files);
        Assert.Equal(files.Length, Scenarios().Count);
    }
}

public sealed class ConformanceVocabularyTests
{
    [Fact]
    public void Every_scenario_uses_only_operations_the_runner_knows()
    {
        foreach (var file in Directory.GetFiles(ConformanceEnvironment.ScenarioDirectory, "*.json"))
            Assert.Empty(ScenarioRunner.UnknownOps(File.ReadAllText(file)));
        Assert.Single(ScenarioRunner.UnknownOps("""{"steps":[{"op":"client"},{"op":"teleport"}]}"""));
    }
}
