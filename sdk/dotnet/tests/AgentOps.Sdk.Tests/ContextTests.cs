using System.Diagnostics;
using System.Text.Json;

namespace AgentOps.Sdk.Tests;

/// <summary>Runs and spans follow Activity.Current across await, Task.Run and threads; other instrumentation nests under them.</summary>
public sealed class ContextTests
{
    [Fact]
    public async Task Sixteen_concurrent_tasks_keep_their_own_spans()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClient.Create(server.Url, o => o.MaxQueueEvents = 50_000);
        string runId;
        using (var run = client.StartRun("concurrent"))
        {
            runId = run.Id;
            var tasks = Enumerable.Range(0, 16).Select(k => Task.Run(async () =>
            {
                using var span = client.StartSpan($"task-{k}");
                for (var i = 0; i < 50; i++)
                {
                    client.Log($"t{k}-{i}");
                    if (i % 10 == 0) await Task.Yield();
                    if (i == 25) await Task.Delay(1);
                }
                // A thread started inside keeps the context too (ExecutionContext flows to it).
                var thread = new Thread(() => client.Log($"t{k}-thread"));
                thread.Start();
                thread.Join();
            })).ToArray();
            await Task.WhenAll(tasks);
        }
        Assert.Equal(0, (await client.FlushAsync(TimeSpan.FromSeconds(10))).Unsent);
        var events = server.Requests.SelectMany(r => r.Json.GetProperty("batch").EnumerateArray()).ToList();
        Assert.Equal(2 + 16 + 16 * 51, events.Count);
        var spans = events.Where(e => e.GetProperty("type").GetString() == "span")
            .ToDictionary(e => e.GetProperty("id").GetString()!, e => e.GetProperty("name").GetString()!);
        Assert.Equal(16, spans.Count);
        foreach (var log in events.Where(e => e.GetProperty("type").GetString() == "log"))
        {
            var name = log.GetProperty("name").GetString()!;
            var k = name[1..name.IndexOf('-', StringComparison.Ordinal)];
            Assert.Equal($"task-{k}", spans[log.GetProperty("parent_id").GetString()!]);
        }
        Assert.All(events, e => Assert.Equal(runId, e.GetProperty("run_id").GetString()));
        Assert.Null(Activity.Current);
    }

    [Fact]
    public async Task Spans_nest_and_ending_them_restores_the_enclosing_one()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClient.Create(server.Url);
        var outer = new Activity("request").Start(); // e.g. ASP.NET Core's request activity
        var run = client.StartRun("nested");
        Assert.NotEqual(outer.TraceId, run.Activity.TraceId); // a run is its own trace...
        Assert.Contains(run.Activity.Links, l => l.Context.TraceId == outer.TraceId); // ...linked to the caller's
        using (var plan = client.StartSpan("plan"))
        {
            using (var draft = client.StartSpan("draft"))
            {
                Assert.Same(draft, Activity.Current);
                await Task.Delay(1);
                client.RecordLlmCall("m", "openai", 1, 1, 0, TimeSpan.FromMilliseconds(1));
            }
            Assert.Same(plan, Activity.Current);
            // Foreign instrumentation in between (an HttpClient activity, say) does not hide the span.
            using (var foreign = new ActivitySource("Other").StartActivity("GET") ?? new Activity("GET").Start())
                client.Log("under foreign");
        }
        Assert.Same(run.Activity, Activity.Current);
        run.End();
        Assert.Same(outer, Activity.Current);
        outer.Stop();
        await client.FlushAsync(TimeSpan.FromSeconds(5));
        var events = server.Requests.SelectMany(r => r.Json.GetProperty("batch").EnumerateArray()).ToList();
        string? Parent(JsonElement e) => e.TryGetProperty("parent_id", out var p) ? p.GetString() : null;
        var byName = events.Where(e => e.TryGetProperty("name", out _)).ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.Null(Parent(byName["plan"]));
        Assert.Equal(byName["plan"].GetProperty("id").GetString(), Parent(byName["draft"]));
        Assert.Equal(byName["draft"].GetProperty("id").GetString(), Parent(events.Single(e => e.GetProperty("type").GetString() == "llm.call")));
        Assert.Equal(byName["plan"].GetProperty("id").GetString(), Parent(byName["under foreign"]));
    }

    [Fact]
    public async Task Http_client_activities_nest_under_the_current_span()
    {
        await using var server = await FakeServer.StartAsync();
        await using var client = TestClient.Create(TestClient.Unreachable());
        var stopped = new System.Collections.Concurrent.ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);
        using var run = client.StartRun("http");
        using var span = client.StartSpan("fetch");
        using var http = new HttpClient();
        await http.GetAsync(new Uri(server.Url, "/anything"));
        // (The SDK's own sends to its dead endpoint are HTTP activities too, in no trace of the caller's.)
        var httpActivity = Assert.Single(stopped, a => a.TraceId == span.TraceId);
        Assert.Equal(span.SpanId, httpActivity.ParentSpanId);
        Assert.Equal(run.Id, httpActivity.TraceId.ToHexString());
    }

    [Fact]
    public async Task Llm_calls_are_child_activities_with_gen_ai_tags_when_a_pipeline_listens()
    {
        await using var client = TestClient.Create(TestClient.Unreachable());
        var stopped = new System.Collections.Concurrent.ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == AgentOpsClient.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);
        using var run = client.StartRun("otel");
        Activity span;
        using (span = client.StartSpan("draft"))
            client.RecordLlmCall("gpt-4o-mini", "openai", 1200, 300, 200, TimeSpan.FromMilliseconds(850), TimeSpan.FromMilliseconds(120), responseModel: "gpt-4o-mini-2024-07-18");
        Assert.Same(run.Activity, Activity.Current);
        var llm = Assert.Single(stopped, a => a.DisplayName == "chat gpt-4o-mini");
        Assert.Equal(span.SpanId, llm.ParentSpanId);
        Assert.Equal(ActivityKind.Client, llm.Kind);
        Assert.Equal(TimeSpan.FromMilliseconds(850), llm.Duration);
        Assert.Equal("chat", llm.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("openai", llm.GetTagItem("gen_ai.provider.name"));
        Assert.Equal("gpt-4o-mini", llm.GetTagItem("gen_ai.request.model"));
        Assert.Equal("gpt-4o-mini-2024-07-18", llm.GetTagItem("gen_ai.response.model"));
        Assert.Equal(1200L, llm.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(300L, llm.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(200L, llm.GetTagItem("gen_ai.usage.cache_read.input_tokens"));
        Assert.Equal(0.12, (double)llm.GetTagItem("gen_ai.response.time_to_first_chunk")!, 6);
        Assert.Equal("unit-agent", run.Activity.GetTagItem("gen_ai.agent.name"));
    }
}
