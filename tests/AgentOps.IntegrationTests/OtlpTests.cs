using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
using Google.Protobuf;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using ProtoResource = OpenTelemetry.Proto.Resource.V1.Resource;
using OpenTelemetry.Proto.Trace.V1;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AgentOps.IntegrationTests;

/// <summary>
/// OTLP/HTTP trace ingest, end to end: the real .NET OpenTelemetry exporter against the endpoint, hand-written JSON
/// (gzip-compressed) and protobuf exports, and the errors an exporter can meet.
/// </summary>
[Collection(ApiCollection.Name)]
public class OtlpTests(ApiFixture fx)
{
    private const string Path = "/api/v1/otlp/v1/traces";
    private readonly HttpClient _client = fx.Client();

    [Fact]
    public async Task A_real_OpenTelemetry_exporter_sends_a_genai_trace_that_becomes_a_priced_run()
    {
        var tenant = await _client.SignupAsync();
        // An ingest-only key, as an exporter should hold: the agent is registered beforehand (such a key may not register it).
        (await _client.Post("/api/v1/agents", new { name = "support-bot" }, tenant.AdminToken)).Expect(201);
        var (_, key) = await _client.CreateKeyAsync(tenant.AdminToken, "ingest");

        using var source = new ActivitySource("AgentOps.Tests.Otlp." + Guid.NewGuid().ToString("N"));
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("support-bot"))
            .AddSource(source.Name)
            .AddOtlpExporter(o =>
            {
                o.Endpoint = new Uri(_client.BaseAddress!, Path);
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
                o.Headers = $"Authorization=Bearer {key}";
                o.HttpClientFactory = () => new HttpClient(new SynchronousHandler(fx.Factory.Server.CreateHandler()));
            })
            .Build();

        string traceId, rootEventId;
        using (var root = source.StartActivity("support ticket 42")!)
        {
            traceId = root.TraceId.ToHexString();
            rootEventId = $"{traceId}-{root.SpanId.ToHexString()}";
            using (var chat = source.StartActivity("chat gpt-4o", ActivityKind.Client)!)
            {
                chat.SetTag("gen_ai.operation.name", "chat");
                chat.SetTag("gen_ai.provider.name", "openai");
                chat.SetTag("gen_ai.request.model", "gpt-4o");
                chat.SetTag("gen_ai.response.model", "gpt-4o-2024-08-06");
                chat.SetTag("gen_ai.usage.input_tokens", 1000);
                chat.SetTag("gen_ai.usage.output_tokens", 200);
                chat.SetTag("gen_ai.usage.cache_read.input_tokens", 400);
            }
            using (var call = source.StartActivity("execute_tool lookup_order")!)
            {
                call.SetTag("gen_ai.operation.name", "execute_tool");
                call.SetTag("gen_ai.tool.name", "lookup_order");
                call.SetTag("gen_ai.tool.call.arguments", """{"order":7}""");
            }
        }
        Assert.True(tracing.ForceFlush(10_000), "the exporter flushed");

        var detail = await WaitForRunAsync(tenant.AdminToken, traceId, d => Run(d).GetProperty("status").GetString() == "succeeded"
                                                                             && Run(d).GetProperty("event_count").GetInt32() == 5);
        var run = Run(detail);
        Assert.Equal("support-bot", run.GetProperty("agent_name").GetString());
        Assert.Equal("support ticket 42", run.GetProperty("name").GetString());
        Assert.Equal((1, 1), (run.GetProperty("llm_calls").GetInt32(), run.GetProperty("tool_calls").GetInt32()));
        // gpt-4o: 600 uncached × $2.50 + 400 cached × $1.25 + 200 out × $10, per 1M tokens = 1,500 + 500 + 2,000 µ$.
        Assert.Equal(4000, run.GetProperty("cost_micros").GetInt64());
        Assert.Equal(0.004m, run.GetProperty("cost_usd").GetDecimal());

        var events = detail.GetProperty("timeline").EnumerateArray().Select(t => t.GetProperty("event")).ToList();
        var llm = Assert.Single(events, e => e.GetProperty("type").GetString() == "llm.call");
        Assert.Equal("gpt-4o-2024-08-06", llm.GetProperty("model").GetString());
        Assert.Equal("openai", llm.GetProperty("provider").GetString());
        Assert.Equal((1000, 200, 400), (llm.GetProperty("tokens_in").GetInt64(), llm.GetProperty("tokens_out").GetInt64(), llm.GetProperty("tokens_cached").GetInt64()));
        Assert.Equal(4000, llm.GetProperty("cost_micros").GetInt64());
        Assert.Equal("computed", llm.GetProperty("cost_source").GetString());
        Assert.Equal(rootEventId, llm.GetProperty("parent_id").GetString());
        var tool = Assert.Single(events, e => e.GetProperty("type").GetString() == "tool.call");
        Assert.Equal("lookup_order", tool.GetProperty("tool_name").GetString());
        Assert.Equal("""{"order":7}""", tool.GetProperty("input").GetString());
        Assert.Equal(rootEventId, tool.GetProperty("parent_id").GetString());

        // Another organization does not see it, not even that it exists.
        var other = await _client.SignupAsync();
        (await _client.Get($"/api/v1/runs/{traceId}", other.AdminToken)).ExpectProblem(404, "not_found");
        var (_, otherKey) = await _client.CreateKeyAsync(other.AdminToken, "read");
        (await _client.Get($"/api/v1/runs/{traceId}", otherKey)).ExpectProblem(404, "not_found");
    }

    [Fact]
    public async Task A_gzipped_json_export_is_accepted_and_refused_spans_are_counted_in_partial_success()
    {
        var tenant = await _client.SignupAsync();
        var (_, key) = await _client.CreateKeyAsync(tenant.AdminToken, "ingest", "write"); // write: the agent registers itself
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var start = DateTimeOffset.UtcNow.AddMinutes(-5);
        var json = $$$"""
            {"resourceSpans":[{
              "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"json-agent"}}]},
              "scopeSpans":[{"scope":{"name":"hand-written"},"spans":[
                {"traceId":"{{{traceId}}}","spanId":"1111111111111111","name":"answer","kind":1,
                 "startTimeUnixNano":"{{{Nanos(start)}}}","endTimeUnixNano":{{{Nanos(start.AddSeconds(3))}}},
                 "status":{"code":2,"message":"model refused"}},
                {"traceId":"{{{traceId}}}","spanId":"2222222222222222","parentSpanId":"1111111111111111","name":"chat",
                 "startTimeUnixNano":"{{{Nanos(start.AddSeconds(1))}}}","endTimeUnixNano":"{{{Nanos(start.AddSeconds(2))}}}",
                 "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},
                               {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},
                               {"key":"gen_ai.usage.input_tokens","value":{"intValue":"10"}}]},
                {"traceId":"{{{traceId}}}","spanId":"00","name":"broken","startTimeUnixNano":"1"}
              ]}]}]}
            """;
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new ByteArrayContent(Gzip(Encoding.UTF8.GetBytes(json))) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Content.Headers.ContentEncoding.Add("gzip");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var response = await _client.SendAsync(request);

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var partial = body.GetProperty("partialSuccess");
        Assert.Equal("1", partial.GetProperty("rejectedSpans").GetString()); // int64 as a string, as OTLP/JSON writes it
        Assert.Contains("invalid_span", partial.GetProperty("errorMessage").GetString());

        var run = Run(await WaitForRunAsync(tenant.AdminToken, traceId, d => Run(d).GetProperty("status").GetString() == "failed"));
        Assert.Equal("json-agent", run.GetProperty("agent_name").GetString());
        Assert.Equal("model refused", run.GetProperty("error").GetString());
        Assert.Equal(3000, run.GetProperty("duration_ms").GetInt64());
    }

    [Fact]
    public async Task Spans_of_a_paused_or_unknown_agent_are_refused_in_partial_success_as_protobuf()
    {
        var tenant = await _client.SignupAsync();
        var paused = (await _client.Post("/api/v1/agents", new { name = "paused-bot", status = "paused" }, tenant.AdminToken)).Expect(201);
        Assert.Equal("paused", paused.Str("status"));
        var (_, key) = await _client.CreateKeyAsync(tenant.AdminToken, "ingest");

        var reply = await PostProtobufAsync(key, Export("paused-bot", RootSpan(NewTraceId(), "work")));
        Assert.Equal(1, reply.PartialSuccess.RejectedSpans); // a root span is three events, all refused, but one span
        reply = await PostProtobufAsync(key, Export("paused-bot", RootSpan(NewTraceId(), "a"), RootSpan(NewTraceId(), "b")));
        Assert.Equal(2, reply.PartialSuccess.RejectedSpans);
        Assert.StartsWith("2 of 2 spans rejected. agent_paused (2 spans): The agent is paused", reply.PartialSuccess.ErrorMessage);

        // An ingest-only key cannot register a new agent: the exporter is told how to fix it.
        reply = await PostProtobufAsync(key, Export("brand-new-bot", RootSpan(NewTraceId(), "a")));
        Assert.Equal(1, reply.PartialSuccess.RejectedSpans);
        Assert.Contains("unknown_agent", reply.PartialSuccess.ErrorMessage);
        Assert.Contains("write scope", reply.PartialSuccess.ErrorMessage);
    }

    [Fact]
    public async Task Above_the_organizations_rate_the_exporter_gets_429_with_retry_after()
    {
        var tenant = await _client.SignupAsync();
        await TestDatabase.ExecuteAsync(TestDatabase.OwnerUrl, "UPDATE organizations SET ingest_events_per_second = 10, ingest_burst = 20 WHERE id = $1", tenant.OrgId);
        var (_, key) = await _client.CreateKeyAsync(tenant.AdminToken, "ingest", "write");
        Span[] Roots(int n) => [.. Enumerable.Range(0, n).Select(i => RootSpan(NewTraceId(), $"root {i}"))];

        var first = await PostProtobufAsync(key, Export("rate-bot", Roots(5))); // 15 events of the 20-event burst
        Assert.Null(first.PartialSuccess);
        using var limited = await SendAsync(key, Export("rate-bot", Roots(5)).ToByteArray(), "application/x-protobuf");
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "Retry-After is set");
        await ExpectProblemAsync(limited, 429, "rate_limited");
        // An export that could never pass is told so, rather than retried forever.
        using var tooBig = await SendAsync(key, Export("rate-bot", Roots(7)).ToByteArray(), "application/x-protobuf");
        await ExpectProblemAsync(tooBig, 413, "batch_exceeds_burst");
    }

    [Fact]
    public async Task Wrong_content_types_are_415_and_unreadable_bodies_400_while_access_is_checked_first()
    {
        var tenant = await _client.SignupAsync();
        var (_, key) = await _client.CreateKeyAsync(tenant.AdminToken, "ingest");
        var (_, readKey) = await _client.CreateKeyAsync(tenant.AdminToken, "read");

        await ExpectProblemAsync(await SendAsync(key, "hello"u8.ToArray(), "text/plain"), 415, "unsupported_media_type");
        await ExpectProblemAsync(await SendAsync(key, [0x0a, 0xff, 0xff], "application/x-protobuf"), 400, "malformed_protobuf");
        await ExpectProblemAsync(await SendAsync(key, "{\"resourceSpans\":"u8.ToArray(), "application/json"), 400, "malformed_json");
        await ExpectProblemAsync(await SendAsync(key, "not gzip"u8.ToArray(), "application/x-protobuf", gzip: true), 400, "malformed_gzip");
        await ExpectProblemAsync(await SendAsync(key, [], "application/x-protobuf", encoding: "br"), 415, "unsupported_content_encoding");
        await ExpectProblemAsync(await SendAsync(readKey, [], "application/x-protobuf"), 403, "forbidden");
        await ExpectProblemAsync(await SendAsync(null, [], "text/plain"), 401, "missing_credentials");

        // An empty export is a valid one, in either encoding.
        using var empty = await SendAsync(key, [], "application/x-protobuf");
        Assert.Equal(200, (int)empty.StatusCode);
        Assert.Equal("application/x-protobuf", empty.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await empty.Content.ReadAsByteArrayAsync());
        using var emptyJson = await SendAsync(key, "{}"u8.ToArray(), "application/json; charset=utf-8");
        Assert.Equal(200, (int)emptyJson.StatusCode);
    }

    [Fact]
    public async Task A_decompressed_body_above_the_limit_is_413()
    {
        var tenant = await _client.SignupAsync();
        var (_, key) = await _client.CreateKeyAsync(tenant.AdminToken, "ingest");
        // 6 MiB of zeros gzip to a few KiB: the limit applies to what the body expands to as well.
        using var response = await SendAsync(key, Gzip(new byte[6 * 1024 * 1024]), "application/x-protobuf", gzip: true);
        await ExpectProblemAsync(response, 413, "payload_too_large");
    }

    /// <summary>
    /// One trace: an invoke_agent root span that names its agent (gen_ai.agent.name "planner") and a chat span that does
    /// not, from a service named "svc". Whatever the encoding and whichever span arrives first (in exports of their own,
    /// the first stored before the second is sent, or in one export), the run, its events, the hourly stats and the
    /// costs all belong to planner, and svc is left with nothing.
    /// </summary>
    [Theory]
    [InlineData("protobuf", "root first")]
    [InlineData("protobuf", "child first")]
    [InlineData("protobuf", "together")]
    [InlineData("json", "root first")]
    [InlineData("json", "child first")]
    [InlineData("json", "together")]
    public async Task A_trace_belongs_to_its_gen_ai_agent_in_runs_stats_and_costs_whatever_the_order_and_encoding(string encoding, string order)
    {
        var tenant = await _client.SignupAsync();
        var (_, key) = await _client.CreateKeyAsync(tenant.AdminToken, "ingest", "write");
        var traceId = NewTraceId();
        var trace = Convert.ToHexStringLower(traceId);
        var start = DateTimeOffset.UtcNow.AddMinutes(-2);
        var root = new Span
        {
            TraceId = ByteString.CopyFrom(traceId), SpanId = ByteString.CopyFrom(Convert.FromHexString("1111111111111111")), Name = "invoke_agent planner",
            StartTimeUnixNano = Nanos(start), EndTimeUnixNano = Nanos(start.AddSeconds(3)),
            Attributes =
            {
                new KeyValue { Key = "gen_ai.operation.name", Value = new AnyValue { StringValue = "invoke_agent" } },
                new KeyValue { Key = "gen_ai.agent.name", Value = new AnyValue { StringValue = "planner" } },
            },
        };
        var child = new Span
        {
            TraceId = ByteString.CopyFrom(traceId), SpanId = ByteString.CopyFrom(Convert.FromHexString("2222222222222222")),
            ParentSpanId = ByteString.CopyFrom(Convert.FromHexString("1111111111111111")), Name = "chat gpt-4o-mini",
            StartTimeUnixNano = Nanos(start.AddSeconds(1)), EndTimeUnixNano = Nanos(start.AddSeconds(2)),
            Attributes =
            {
                new KeyValue { Key = "gen_ai.operation.name", Value = new AnyValue { StringValue = "chat" } },
                new KeyValue { Key = "gen_ai.request.model", Value = new AnyValue { StringValue = "gpt-4o-mini" } },
                new KeyValue { Key = "gen_ai.usage.input_tokens", Value = new AnyValue { IntValue = 1000 } },
                new KeyValue { Key = "gen_ai.usage.output_tokens", Value = new AnyValue { IntValue = 100 } },
            },
        };
        async Task SendAsync(params Span[] spans)
        {
            var export = Export("svc", spans);
            if (encoding == "protobuf")
            {
                Assert.Equal(0, (await PostProtobufAsync(key, export)).PartialSuccess?.RejectedSpans ?? 0);
                return;
            }
            using var response = await this.SendAsync(key, Encoding.UTF8.GetBytes(OtlpJsonOf(export)), "application/json");
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == 200 && !text.Contains("rejectedSpans", StringComparison.Ordinal), text);
        }
        async Task StoredAsync(int events) =>
            await WaitForRunAsync(key, trace, d => Run(d).GetProperty("event_count").GetInt32() == events);

        switch (order)
        {
            case "root first": await SendAsync(root); await StoredAsync(3); await SendAsync(child); break;
            case "child first": await SendAsync(child); await StoredAsync(1); await SendAsync(root); break;
            default: await SendAsync(root, child); break;
        }
        var run = Run(await WaitForRunAsync(key, trace, d => Run(d).GetProperty("event_count").GetInt32() == 4));
        Assert.Equal("planner", run.GetProperty("agent_name").GetString());
        Assert.True(run.GetProperty("cost_micros").GetInt64() > 0, run.ToString());

        async Task<Dictionary<string, long>> ByAgent(string sql)
        {
            await using var connection = await TestDatabase.OpenAsync(TestDatabase.OwnerUrl);
            await using var command = new Npgsql.NpgsqlCommand(sql, connection) { Parameters = { new() { Value = tenant.OrgId } } };
            await using var reader = await command.ExecuteReaderAsync();
            var result = new Dictionary<string, long>();
            while (await reader.ReadAsync()) result[reader.GetString(0)] = reader.GetInt64(1);
            return result;
        }
        var cost = run.GetProperty("cost_micros").GetInt64();
        var expected = new Dictionary<string, long> { ["planner"] = cost };
        Assert.Equal(expected, await ByAgent("SELECT a.name, sum(c.cost_micros)::bigint FROM cost_daily c JOIN agents a ON a.id = c.agent_id WHERE c.org_id = $1 GROUP BY 1 HAVING sum(c.cost_micros) <> 0 OR sum(c.calls) <> 0"));
        Assert.Equal(expected, await ByAgent("SELECT a.name, sum(h.cost_micros)::bigint FROM agent_stats_hourly h JOIN agents a ON a.id = h.agent_id WHERE h.org_id = $1 GROUP BY 1 HAVING sum(h.cost_micros) <> 0 OR sum(h.events) <> 0"));
        Assert.Equal(new Dictionary<string, long> { ["planner"] = 4 },
            await ByAgent("SELECT a.name, sum(h.events)::bigint FROM agent_stats_hourly h JOIN agents a ON a.id = h.agent_id WHERE h.org_id = $1 GROUP BY 1 HAVING sum(h.events) <> 0"));
        Assert.Equal(new Dictionary<string, long> { ["planner"] = 4 },
            await ByAgent("SELECT a.name, count(*) FROM events e JOIN agents a ON a.id = e.agent_id WHERE e.org_id = $1 GROUP BY 1"));
        // The costs API agrees: the agent's cost is the run's.
        var planner = (await _client.Get("/api/v1/agents", tenant.AdminToken)).Expect(200).Body.GetProperty("items").EnumerateArray()
            .Single(a => a.GetProperty("name").GetString() == "planner").GetProperty("id").GetGuid();
        var byAgent = (await _client.Get($"/api/v1/costs/by-agent/{planner}?from={start.AddDays(-1):yyyy-MM-dd}&to={start.AddDays(1):yyyy-MM-dd}", tenant.AdminToken)).Expect(200).Body;
        Assert.Equal(cost, byAgent.GetProperty("report").GetProperty("total").GetProperty("cost_micros").GetInt64());
    }

    /// <summary>OTLP/JSON of an export (hex ids, as the JSON exporters write them).</summary>
    private static string OtlpJsonOf(ExportTraceServiceRequest export)
    {
        static string Value(AnyValue v) => v.ValueCase == AnyValue.ValueOneofCase.IntValue
            ? $$"""{"intValue":"{{v.IntValue}}"}""" : $$"""{"stringValue":{{JsonSerializer.Serialize(v.StringValue)}}}""";
        static string Attributes(IEnumerable<KeyValue> attributes) =>
            "[" + string.Join(",", attributes.Select(a => $$"""{"key":{{JsonSerializer.Serialize(a.Key)}},"value":{{Value(a.Value)}}}""")) + "]";
        var resourceSpans = export.ResourceSpans.Select(rs => $$"""
            {"resource":{"attributes":{{Attributes(rs.Resource.Attributes)}}},"scopeSpans":[{{string.Join(",", rs.ScopeSpans.Select(ss => $$"""
            {"spans":[{{string.Join(",", ss.Spans.Select(sp => $$"""
            {"traceId":"{{Convert.ToHexStringLower(sp.TraceId.Span)}}","spanId":"{{Convert.ToHexStringLower(sp.SpanId.Span)}}",{{(sp.ParentSpanId.IsEmpty ? "" : $"\"parentSpanId\":\"{Convert.ToHexStringLower(sp.ParentSpanId.Span)}\",")}}
             "name":{{JsonSerializer.Serialize(sp.Name)}},"startTimeUnixNano":"{{sp.StartTimeUnixNano}}","endTimeUnixNano":"{{sp.EndTimeUnixNano}}","attributes":{{Attributes(sp.Attributes)}}}
            """))}}]}
            """))}}]}
            """);
        return $$"""{"resourceSpans":[{{string.Join(",", resourceSpans)}}]}""";
    }

    private static JsonElement Run(JsonElement detail) => detail.GetProperty("run");

    private static ulong Nanos(DateTimeOffset t) => (ulong)(t - DateTimeOffset.UnixEpoch).Ticks * 100;

    private static byte[] NewTraceId() => Guid.NewGuid().ToByteArray();

    private static Span RootSpan(byte[] traceId, string name)
    {
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        return new Span
        {
            TraceId = ByteString.CopyFrom(traceId), SpanId = ByteString.CopyFrom(Guid.NewGuid().ToByteArray()[..8]), Name = name,
            StartTimeUnixNano = Nanos(start), EndTimeUnixNano = Nanos(start.AddSeconds(1)),
        };
    }

    private static ExportTraceServiceRequest Export(string service, params Span[] spans)
    {
        var scope = new ScopeSpans();
        scope.Spans.AddRange(spans);
        var resource = new ProtoResource();
        resource.Attributes.Add(new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } });
        var request = new ExportTraceServiceRequest();
        request.ResourceSpans.Add(new ResourceSpans { Resource = resource, ScopeSpans = { scope } });
        return request;
    }

    private async Task<ExportTraceServiceResponse> PostProtobufAsync(string key, ExportTraceServiceRequest export)
    {
        using var response = await SendAsync(key, export.ToByteArray(), "application/x-protobuf");
        Assert.True((int)response.StatusCode == 200, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        return ExportTraceServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync());
    }

    private async Task<HttpResponseMessage> SendAsync(string? key, byte[] body, string contentType, bool gzip = false, string? encoding = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (gzip || encoding is not null) request.Content.Headers.ContentEncoding.Add(encoding ?? "gzip");
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await _client.SendAsync(request);
    }

    private static async Task ExpectProblemAsync(HttpResponseMessage response, int status, string code)
    {
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(code, JsonDocument.Parse(text).RootElement.GetProperty("code").GetString());
        }
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }

    /// <summary>Polls the run until it satisfies the condition: ingest workers store events asynchronously.</summary>
    private async Task<JsonElement> WaitForRunAsync(string bearer, string runId, Func<JsonElement, bool> until, int seconds = 10)
    {
        Reply last = null!;
        for (var deadline = DateTime.UtcNow.AddSeconds(seconds); DateTime.UtcNow < deadline; await Task.Delay(50))
        {
            last = await _client.Get($"/api/v1/runs/{runId}", bearer);
            if (last.Code == 200 && until(last.Body)) return last.Body;
        }
        throw new TimeoutException($"Run {runId} did not reach the expected state within {seconds} s: {last}");
    }

    /// <summary>
    /// The exporter sends synchronously (HttpClient.Send, from its own export thread); the in-process test server only
    /// answers asynchronously. Blocking on that thread is what the exporter does with a real socket anyway.
    /// </summary>
    private sealed class SynchronousHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
            SendAsync(request, cancellationToken).GetAwaiter().GetResult();
    }
}
