using System.Collections.Concurrent;
using System.Text;
using AgentOps.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace AgentOps.IntegrationTests;

/// <summary>The self-host as an operator runs it: a real process on Kestrel, real HTTP, SIGTERM to stop.</summary>
[Collection(ApiCollection.Name)]
public class ServerProcessTests
{
    [Fact]
    public async Task Serves_real_http_and_stops_cleanly_on_sigterm()
    {
        await using var server = ServerProcess.Start(TestDatabase.AppUrl);
        using var http = await server.WaitReadyAsync();
        var tenant = await http.SignupAsync();
        (await http.Get("/api/v1/orgs/profile", tenant.AdminToken)).Expect(200);

        Assert.Equal(0, server.Stop(TimeSpan.FromSeconds(20)));
        Assert.Contains("Application is shutting down", await server.OutputAsync());
    }

    [Fact]
    public async Task Refuses_to_run_as_a_role_that_bypasses_row_level_security()
    {
        foreach (var url in new[] { TestDatabase.AdminUrl, TestDatabase.OwnerUrl })
        {
            await using var server = ServerProcess.Start(url);
            Assert.NotEqual(0, server.WaitForExit(TimeSpan.FromSeconds(30)));
            Assert.Contains("BYPASSRLS role or the schema owner", await server.OutputAsync());
        }
    }

    [Fact]
    public async Task Exports_traces_and_metrics_over_otlp_when_an_endpoint_is_set()
    {
        // An OTLP/HTTP receiver: it keeps what exporters post to /v1/traces and /v1/metrics (protobuf bodies, whose
        // strings — scope, span and instrument names — stay readable as UTF-8).
        var received = new ConcurrentDictionary<string, string>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var receiver = builder.Build();
        receiver.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            var text = Encoding.UTF8.GetString(body.ToArray());
            received.AddOrUpdate(signal, text, (_, old) => old + text);
            return Results.Ok();
        });
        await receiver.StartAsync();

        await using var server = ServerProcess.Start(TestDatabase.AppUrl, new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Urls.First(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["OTEL_SERVICE_NAME"] = "agentops-otlp-test",
        });
        using var http = await server.WaitReadyAsync();
        var tenant = await http.SignupAsync();
        (await http.Get("/api/v1/orgs/profile", tenant.AdminToken)).Expect(200);

        bool Has(string signal, params string[] needles) => received.TryGetValue(signal, out var text) && needles.All(n => text.Contains(n, StringComparison.Ordinal));
        bool Arrived() => Has("traces", "Microsoft.AspNetCore", "Npgsql", "agentops-otlp-test") && Has("metrics", "agentops.access.decisions", "http.server.request.duration");
        for (var deadline = DateTime.UtcNow.AddSeconds(20); !Arrived() && DateTime.UtcNow < deadline;) await Task.Delay(200);
        server.Stop(TimeSpan.FromSeconds(20));
        Assert.True(Has("traces", "Microsoft.AspNetCore", "Npgsql", "agentops-otlp-test"), "traces from ASP.NET Core and Npgsql arrived");
        Assert.True(Has("metrics", "agentops.access.decisions", "http.server.request.duration"), "AgentOps' and ASP.NET Core's metrics arrived");
        Assert.DoesNotContain(tenant.AdminToken, received["traces"]);
    }
}
