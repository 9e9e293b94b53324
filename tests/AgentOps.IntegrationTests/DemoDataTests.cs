using AgentOps.Demo;
using AgentOps.Ingest;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform.Auth;
using AgentOps.Platform.Database;
using AgentOps.Providers;
using AgentOps.Providers.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.IntegrationTests;

[Collection(ApiCollection.Name)]
public class DemoDataTests(ApiFixture fx)
{
    [Fact]
    public async Task The_demo_organization_comes_with_agents_runs_costs_budgets_and_a_policy_once()
    {
        var services = fx.Factory.Services;
        var demo = new DemoData.Credentials(Tenants.NewEmail("demo"), Tenants.Password, Secrets.CreateApiKey().Key);
        Assert.True(await DemoData.EnsureAsync(services.GetRequiredService<Db>(), services.GetRequiredService<BatchProcessor>(), demo, default));
        Assert.False(await DemoData.EnsureAsync(services.GetRequiredService<Db>(), services.GetRequiredService<BatchProcessor>(), demo, default));

        var client = fx.Client();
        Assert.Equal(4, (await client.Get("/api/v1/agents", demo.ApiKey)).Expect(200).Body.GetProperty("items").GetArrayLength());
        var runs = (await client.Get("/api/v1/runs?limit=200", demo.ApiKey)).Expect(200).Body.GetProperty("items");
        Assert.Equal(DemoWorkload.Runs, runs.GetArrayLength());
        var budgets = (await client.Get("/api/v1/budgets", demo.ApiKey)).Expect(200).Body.GetProperty("items");
        Assert.Equal(2, budgets.GetArrayLength());
        var week = $"from={DateTime.UtcNow.AddDays(-7):yyyy-MM-dd}&to={DateTime.UtcNow:yyyy-MM-dd}";
        var costs = (await client.Get($"/api/v1/costs/summary?{week}", demo.ApiKey)).Expect(200).Body.GetProperty("report");
        Assert.True(costs.GetProperty("total").GetProperty("cost_usd").GetDecimal() > 0);
        Assert.Equal(3, costs.GetProperty("by_team").GetArrayLength());
        var policy = Assert.Single((await client.Get("/api/v1/policies", demo.ApiKey)).Expect(200).Body.GetProperty("items").EnumerateArray());
        // Written by the policies' own store: version 1 is kept as the API shows a policy.
        var version = Assert.Single((await client.Get($"/api/v1/policies/{policy.GetProperty("id").GetGuid()}", demo.ApiKey)).Expect(200).Body
            .GetProperty("versions").EnumerateArray());
        Assert.Equal("block", version.GetProperty("snapshot").GetProperty("action").GetString());
        Assert.All(budgets.EnumerateArray(), b => Assert.Equal([50, 80, 100], b.GetProperty("thresholds").EnumerateArray().Select(t => t.GetInt32())));

        // Models with no internet: a simulated connection with a default model per task, which resolves and answers.
        var connection = Assert.Single((await client.Get("/api/v1/providers/connections", demo.ApiKey)).Expect(200).Body.GetProperty("items").EnumerateArray());
        Assert.Equal("simulated", connection.GetProperty("kind").GetString());
        Assert.False(connection.GetProperty("has_secret").GetBoolean());
        var orgId = (await client.Get("/api/v1/orgs/profile", demo.ApiKey)).Expect(200).Id();
        var resolved = await services.GetRequiredService<IConnectionResolver>().ResolveAsync(orgId, "simulated", default);
        foreach (var task in new[] { "chat", "judge", "synthetic", "embedding" }) Assert.True(resolved.DefaultModels.ContainsKey(task), task);
        var answer = await resolved.Provider.CompleteAsync(new ModelRequest(resolved.DefaultModels["chat"], [ModelMessage.OfUser("Hello?")]), resolved.Credential);
        Assert.False(string.IsNullOrEmpty(answer.Content));
    }
}
