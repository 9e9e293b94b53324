using AgentOps.Analytics;
using AgentOps.Analytics.ClickHouse;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform.Database;
using Microsoft.AspNetCore.Hosting;
using Npgsql;

namespace AgentOps.IntegrationTests;

/// <summary>/api/v1/analytics over HTTP: data sent through the real ingest path, answered by Postgres (the default) and
/// by ClickHouse (a second host configured with AGENTOPS_CLICKHOUSE_URL) with the same body.</summary>
[Collection(ApiCollection.Name)]
public class AnalyticsApiTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    [Fact]
    public async Task Summary_of_ingested_runs_is_the_same_from_both_stores()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        (await _client.IngestAsync(key,
            Ingesting.Event("a1", "run.start", 0, "run-a"),
            Ingesting.Event("a2", "llm.call", 1, "run-a", extra: new { model = "gpt-4o", provider = "openai", tokens_in = 1000, tokens_out = 500, cost_usd = 0.25 }),
            Ingesting.Event("a3", "run.end", 3, "run-a", extra: new { status = "succeeded" }),
            Ingesting.Event("b1", "run.start", 10, "run-b", "other-bot"),
            Ingesting.Event("b2", "run.end", 12.5, "run-b", "other-bot", extra: new { status = "failed", error = "boom" }))).Expect(202);
        await _client.WaitForRunAsync(key, "run-a", r => r.GetProperty("run").GetProperty("status").GetString() == "succeeded");
        await _client.WaitForRunAsync(key, "run-b", r => r.GetProperty("run").GetProperty("status").GetString() == "failed");

        var query = $"from={Uri.EscapeDataString(Ingesting.T0.AddMinutes(-5).ToString("O"))}&to={Uri.EscapeDataString(Ingesting.T0.AddMinutes(55).ToString("O"))}";
        var pg = (await _client.Get($"/api/v1/analytics/summary?{query}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal("postgres", pg.GetProperty("store").GetString());
        Assert.Equal("hour", pg.GetProperty("bucket").GetString());
        var totals = pg.GetProperty("totals");
        Assert.Equal((2, 1, 0.5, 250_000L), (totals.GetProperty("runs").GetInt32(), totals.GetProperty("failed_runs").GetInt32(),
            totals.GetProperty("error_rate").GetDouble(), totals.GetProperty("cost_micros").GetInt64()));
        // Durations 3000 and 2500 ms: nearest rank takes the 1st for p50, the 2nd for p99, each reported to within 1 %
        // as the middle of its latency bucket (2516 and 3001 ms).
        var latency = pg.GetProperty("latency");
        Assert.Equal((2L, LatencyHistogram.Round(2500), LatencyHistogram.Round(3000)), (latency.GetProperty("runs").GetInt64(), latency.GetProperty("p50_ms").GetInt64(), latency.GetProperty("p99_ms").GetInt64()));
        var top = pg.GetProperty("top_agents")[0];
        Assert.Equal(("support-bot", 0.25m), (top.GetProperty("name").GetString(), top.GetProperty("cost_usd").GetDecimal()));

        // The same organization exported to ClickHouse, asked through a host that reads ClickHouse.
        var ch = await TestClickHouse.ClientAsync();
        await using var app = NpgsqlDataSource.Create(TestDatabase.ConnectionString(TestDatabase.AppUrl));
        var db = new Db(app);
        var export = new ClickHouseExport(ch);
        await AnalyticsData.ExportAllAsync(db, export, tenant.OrgId, ExportSource.Runs, 100);
        await AnalyticsData.ExportAllAsync(db, export, tenant.OrgId, ExportSource.Events, 100);
        await using var withClickHouse = fx.Factory.WithWebHostBuilder(b => b.UseSetting("AGENTOPS_CLICKHOUSE_URL", TestClickHouse.Url));
        var chReply = (await withClickHouse.CreateClient().Get($"/api/v1/analytics/summary?{query}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal("clickhouse", chReply.GetProperty("store").GetString());
        Assert.Equal(pg.ToString().Replace("\"postgres\"", "\"clickhouse\"", StringComparison.Ordinal), chReply.ToString());

        var models = (await withClickHouse.CreateClient().Get($"/api/v1/analytics/timeseries?{query}&by=model", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal("gpt-4o", models.GetProperty("points")[0].GetProperty("key").GetString());
        var byRuns = (await _client.Get($"/api/v1/analytics/top-agents?{query}&by=runs&limit=1", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(1, byRuns.GetProperty("agents").GetArrayLength());

        // One agent's series and latency; the same from ClickHouse.
        var agentId = top.GetProperty("agent_id").GetString();
        var ofAgent = (await _client.Get($"/api/v1/analytics/timeseries?{query}&agent={agentId}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(agentId, ofAgent.GetProperty("agent").GetString());
        Assert.Equal(1, ofAgent.GetProperty("points").EnumerateArray().Sum(p => p.GetProperty("count").GetInt32()));
        var latencyQuery = $"/api/v1/analytics/latency?{query}&bucket=hour&agent={agentId}";
        var pgLatency = (await _client.Get(latencyQuery, tenant.AdminToken)).Expect(200).Body;
        var point = Assert.Single(pgLatency.GetProperty("points").EnumerateArray());
        Assert.Equal((1L, LatencyHistogram.Round(3000), LatencyHistogram.Round(3000)), (point.GetProperty("runs").GetInt64(), point.GetProperty("p50_ms").GetInt64(), point.GetProperty("p99_ms").GetInt64()));
        var chLatency = (await withClickHouse.CreateClient().Get(latencyQuery, tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(pgLatency.ToString().Replace("\"postgres\"", "\"clickhouse\"", StringComparison.Ordinal), chLatency.ToString());

        // Another organization asking for this agent's series sees nothing of it.
        var other = await _client.SignupAsync();
        var foreign = (await _client.Get($"/api/v1/analytics/timeseries?{query}&agent={agentId}", other.AdminToken)).Expect(200).Body;
        Assert.Equal(0, foreign.GetProperty("points").EnumerateArray().Sum(p => p.GetProperty("count").GetInt32()));
        Assert.Equal(0, (await _client.Get(latencyQuery, other.AdminToken)).Expect(200).Body.GetProperty("points").GetArrayLength());
    }

    [Theory]
    [InlineData("bucket=week", "bucket")]
    [InlineData("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "to")]
    [InlineData("from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to")]
    [InlineData("from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&bucket=hour", "bucket")]
    public async Task Bad_ranges_and_buckets_are_problems(string query, string field)
    {
        var tenant = await _client.SignupAsync();
        var reply = (await _client.Get($"/api/v1/analytics/summary?{query}", tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        Assert.True(reply.Body.GetProperty("errors").TryGetProperty(field, out _), reply.ToString());
    }

    [Fact]
    public async Task Timeseries_and_top_agents_check_their_parameters()
    {
        var tenant = await _client.SignupAsync();
        (await _client.Get("/api/v1/analytics/timeseries?by=team", tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        (await _client.Get("/api/v1/analytics/top-agents?limit=0", tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        foreach (var route in new[] { "timeseries", "latency" })
        {
            var bad = (await _client.Get($"/api/v1/analytics/{route}?agent=support-bot", tenant.AdminToken)).ExpectProblem(422, "validation_failed");
            Assert.True(bad.Body.GetProperty("errors").TryGetProperty("agent", out _), bad.ToString());
        }
        Assert.Equal(0, (await _client.Get("/api/v1/analytics/latency", tenant.AdminToken)).Expect(200).Body.GetProperty("points").GetArrayLength());
        var empty = (await _client.Get("/api/v1/analytics/timeseries", tenant.AdminToken)).Expect(200).Body;
        // The last 24 hours by hour, gaps filled: 25 buckets (24 when now is exactly on the hour).
        Assert.InRange(empty.GetProperty("points").GetArrayLength(), 24, 25);
    }
}
