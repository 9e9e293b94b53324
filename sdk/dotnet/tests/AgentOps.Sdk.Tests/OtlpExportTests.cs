using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AgentOps.Sdk.Tests;

/// <summary>
/// The SDK's activities exported through a plain OpenTelemetry pipeline (OTLP/HTTP protobuf) to the server's OTLP
/// endpoint arrive as events, the LLM call with its GenAI attributes (docs/otlp.md).
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed class OtlpExportTests
{
    [ConformanceFact]
    public async Task Spans_exported_with_OpenTelemetry_arrive_with_their_gen_ai_attributes()
    {
        var agent = "conf-csharp-otlp-" + Guid.NewGuid().ToString("N")[..8];
        using var tracing = OpenTelemetry.Sdk.CreateTracerProviderBuilder()
            .AddSource(AgentOpsClient.SourceName)
            .SetSampler(new OneTraceSampler("otel export"))
            .ConfigureResource(r => r.AddService(agent))
            .AddOtlpExporter(o =>
            {
                o.Endpoint = new Uri(ConformanceEnvironment.Url, "api/v1/otlp/v1/traces");
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.Headers = "Authorization=Bearer " + ConformanceEnvironment.ApiKey;
                o.ExportProcessorType = ExportProcessorType.Simple;
            })
            .Build();
        // The SDK's own transport is pointed nowhere: only the OpenTelemetry pipeline delivers.
        await using var client = TestClient.Create(TestClient.Unreachable(), o => o.Agent = agent);
        string runId;
        using (var run = client.StartRun("otel export"))
        {
            runId = run.Id;
            using (client.StartSpan("plan"))
                client.RecordLlmCall("gpt-4o-mini", "openai", 1200, 300, 200, TimeSpan.FromMilliseconds(850), TimeSpan.FromMilliseconds(120));
        }
        Assert.True(tracing.ForceFlush(10_000));

        using var api = new HttpClient { BaseAddress = ConformanceEnvironment.Url };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ConformanceEnvironment.ApiKey);
        var sw = Stopwatch.StartNew();
        JsonElement[] events = [];
        while (sw.Elapsed < TimeSpan.FromSeconds(30))
        {
            var response = await api.GetAsync($"api/v1/events/{runId}?limit=1000");
            if (response.IsSuccessStatusCode)
            {
                events = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("items").EnumerateArray().ToArray();
                if (events.Any(e => e.GetProperty("type").GetString() == "llm.call")) break;
            }
            await Task.Delay(250);
        }
        var llm = Assert.Single(events, e => e.GetProperty("type").GetString() == "llm.call");
        Assert.Equal("gpt-4o-mini", llm.GetProperty("model").GetString());
        Assert.Equal("openai", llm.GetProperty("provider").GetString());
        Assert.Equal(1200, llm.GetProperty("tokens_in").GetInt64());
        Assert.Equal(300, llm.GetProperty("tokens_out").GetInt64());
        Assert.Equal(200, llm.GetProperty("tokens_cached").GetInt64());
        var meta = llm.GetProperty("metadata");
        Assert.True(meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("gen_ai.response.time_to_first_chunk", out _), llm.ToString());
        var names = events.Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Contains("plan", names);
        Assert.Contains("otel export", names);
    }
}

/// <summary>Samples the trace whose root has <paramref name="rootName"/> and nothing else (other tests' runs are not exported).</summary>
internal sealed class OneTraceSampler(string rootName) : Sampler
{
    private ActivityTraceId _trace;

    public override SamplingResult ShouldSample(in SamplingParameters parameters)
    {
        if (parameters.Name == rootName) _trace = parameters.TraceId;
        return new SamplingResult(parameters.TraceId == _trace ? SamplingDecision.RecordAndSample : SamplingDecision.Drop);
    }
}
