using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform.Http;
using static AgentOps.IntegrationTests.Infrastructure.Ingesting;

namespace AgentOps.IntegrationTests;

/// <summary>
/// The one input gate over real HTTP: what Postgres cannot store, what is not UTF-8, too deep or names a key twice is
/// refused before any endpoint reads it, as a 400 problem naming where (ingest: as the one item's error), and what
/// was accepted can always be read back.
/// </summary>
[Collection(ApiCollection.Name)]
public class InputGateTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private async Task<Reply> SendBytes(HttpMethod method, string path, byte[] body, string bearer, string contentType = "application/json", bool gzip = false)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(gzip ? Gzip(body) : body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (gzip) request.Content.Headers.ContentEncoding.Add("gzip");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        var response = await _client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Reply(response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }

    private static string Nested(string innermost, int levels) => string.Concat(Enumerable.Repeat("""{"n":""", levels)) + innermost + new string('}', levels);

    [Fact]
    public async Task An_event_postgres_cannot_store_is_refused_alone_and_its_neighbours_are_stored()
    {
        var (_, key) = await _client.SdkTenantAsync();
        var body = $$$"""
            {"batch":[
              {"id":"ok-1","type":"run.start","timestamp":"{{{At(0)}}}","run_id":"gate-run","agent":"gate-bot"},
              {"id":"bad-1","type":"log","timestamp":"{{{At(1)}}}","run_id":"gate-run","agent":"gate-bot","metadata":{"a":"\ud800"}},
              {"id":"bad-2","type":"log","timestamp":"{{{At(1)}}}","run_id":"gate-run","agent":"gate-bot","name":"x\u0000y"},
              {"id":"ok-2","type":"log","timestamp":"{{{At(2)}}}","run_id":"gate-run","agent":"gate-bot"}
            ]}
            """;
        var reply = (await SendBytes(HttpMethod.Post, "/api/v1/ingest", Encoding.UTF8.GetBytes(body), key)).Expect(207);
        Assert.Equal((2, 2), (reply.Body.GetProperty("accepted").GetInt32(), reply.Body.GetProperty("rejected").GetInt32()));
        var results = reply.Body.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(("invalid_text", "$.metadata.a"), (results[1].GetProperty("code").GetString(), results[1].GetProperty("path").GetString()));
        Assert.Equal(("invalid_text", "$.name"), (results[2].GetProperty("code").GetString(), results[2].GetProperty("path").GetString()));
        await _client.WaitForRunAsync(key, "gate-run", r => r.GetProperty("run").GetProperty("event_count").GetInt32() == 2);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF })] // never UTF-8
    [InlineData(new byte[] { 0xC0, 0xAF })] // overlong
    [InlineData(new byte[] { 0xE2, 0x82 })] // truncated
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // an encoded surrogate
    public async Task Invalid_utf8_is_a_400_on_every_kind_of_body(byte[] bad)
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        byte[] With(string before, string after) => [.. Encoding.UTF8.GetBytes(before), .. bad, .. Encoding.UTF8.GetBytes(after)];
        var cases = new (HttpMethod, string, byte[], string)[]
        {
            (HttpMethod.Post, "/api/v1/agents", With("""{"name":"a""", "\"}"), tenant.AdminToken),
            (HttpMethod.Post, "/api/v1/ingest", With("""{"batch":[{"id":"x""", "\"}]}"), key),
            (HttpMethod.Post, "/api/v1/ingest/run", With("""{"run":{"id":"x""", "\"}}"), key),
            (HttpMethod.Post, "/api/v1/policy/check", With("""{"run_id":"r","agent":"a","action":{"type":"x""", "\"}}"), key),
            (HttpMethod.Post, "/api/v1/jobs", With("""{"kind":"reindex","payload":{"a":"x""", "\"}}"), tenant.AdminToken),
            (HttpMethod.Post, "/api/v1/otlp/v1/traces", With("{\"resourceSpans\":[{\"x\":\"", "\"}]}"), key),
        };
        foreach (var (method, path, body, bearer) in cases)
            (await SendBytes(method, path, body, bearer)).ExpectProblem(400, "invalid_encoding");
        (await SendBytes(HttpMethod.Post, "/api/v1/otlp/v1/traces", With("{\"resourceSpans\":[{\"x\":\"", "\"}]}"), key, gzip: true)).ExpectProblem(400, "invalid_encoding");
    }

    [Fact]
    public async Task Text_postgres_cannot_store_is_a_400_naming_the_field()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        var token = tenant.AdminToken;
        var cases = new (string Path, string Body, string Bearer, string Where)[]
        {
            ("/api/v1/agents", """{"name":"a","tags":["a\u0000b"]}""", token, "$.tags[0]"),
            ("/api/v1/agents", """{"name":"a","config":{"a":"x\u0000y"}}""", token, "$.config.a"),
            ("/api/v1/agents", """{"name":"a","config":{"k\u0000":1}}""", token, "$.config.k\\u0000"),
            ("/api/v1/agents", """{"name":"\udc00"}""", token, "$.name"),
            ("/api/v1/model-prices", """{"provider":"p","model":"m","input_per_mtok_usd":1,"output_per_mtok_usd":1,"aliases":["a\u0000b"]}""", token, "$.aliases[0]"),
            ("/api/v1/policy/check", """{"run_id":"r","agent":"a","action":{"type":"\ud800"}}""", key, "$.action.type"),
            ("/api/v1/policy/check", """{"run_id":"r","agent":"a","action":{"type":"x"},"context":{"\ud800x":1}}""", key, "$.context.\\ud800x"),
            ("/api/v1/ingest/run", """{"run":{"id":"r","agent":"a","started_at":"2026-01-01T00:00:00Z","input":"\ud800"}}""", key, "$.run.input"),
        };
        foreach (var (path, body, bearer, where) in cases)
        {
            var reply = (await SendBytes(HttpMethod.Post, path, Encoding.UTF8.GetBytes(body), bearer)).ExpectProblem(400, "invalid_text");
            Assert.True(reply.Body.GetProperty("errors").TryGetProperty(where, out _), $"{path} {body}: {reply}");
        }
        // Nothing was written: the organization has no agents and no audit entries for them.
        Assert.Equal(0, (await _client.Get("/api/v1/agents", token)).Expect(200).Body.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task An_encoded_body_is_refused_unless_the_endpoint_decodes_it()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/agents") { Content = new ByteArrayContent("""{"name":"a","name":"b"}"""u8.ToArray()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Content.Headers.ContentEncoding.Add("br");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tenant.AdminToken);
        var response = await _client.SendAsync(request);
        Assert.Equal(415, (int)response.StatusCode);
        Assert.Contains("unsupported_content_encoding", await response.Content.ReadAsStringAsync());
        // OTLP decodes gzip itself, and checks what it decoded; the gate decodes it for ingest (IngestGzipTests).
        (await SendBytes(HttpMethod.Post, "/api/v1/otlp/v1/traces", """{"resourceSpans":[]}"""u8.ToArray(), key, gzip: true)).Expect(200);
        (await SendBytes(HttpMethod.Post, "/api/v1/ingest", """{"batch":[]}"""u8.ToArray(), key, gzip: true)).ExpectProblem(422, "validation_failed");
    }

    [Fact]
    public async Task Unknown_routes_and_methods_are_404_and_405_whatever_the_body()
    {
        var tenant = await _client.SignupAsync();
        (await SendBytes(HttpMethod.Post, "/api/v1/nope", """{"a":1,"a":2}"""u8.ToArray(), tenant.AdminToken)).ExpectProblem(404, "route_not_found");
        (await SendBytes(HttpMethod.Put, "/api/v1/agents", "{"u8.ToArray(), tenant.AdminToken)).ExpectProblem(405, "method_not_allowed");
    }

    [Fact]
    public async Task A_number_postgres_would_refuse_or_blow_up_is_a_400()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        (await SendBytes(HttpMethod.Post, "/api/v1/agents", """{"name":"n","config":{"a":1e131072}}"""u8.ToArray(), tenant.AdminToken)).ExpectProblem(400, "invalid_number");
        (await SendBytes(HttpMethod.Post, "/api/v1/agents", """{"name":"n","config":{"a":1e131071}}"""u8.ToArray(), tenant.AdminToken)).ExpectProblem(400, "invalid_number");
        foreach (var number in new[] { "1e-400", "0e-20000", "1." + new string('0', 16_384) })
        {
            var batch = $$$"""{"batch":[{"id":"n-1","type":"log","timestamp":"{{{At(0)}}}","run_id":"n","agent":"n","metadata":{"x":{{{number}}}}}]}""";
            (await SendBytes(HttpMethod.Post, "/api/v1/ingest", Encoding.UTF8.GetBytes(batch), key)).ExpectProblem(400, "invalid_number");
        }
    }

    [Theory]
    [InlineData("/api/v1/agents?tag=a%00b")]
    [InlineData("/api/v1/agents?environment=%00")]
    [InlineData("/api/v1/runs?q=%00")]
    [InlineData("/api/v1/runs?agent=x%00")]
    [InlineData("/api/v1/audit-logs?action=%00")]
    [InlineData("/api/v1/budgets?scope=%00")]
    [InlineData("/api/v1/approvals/pending?run_id=%00")]
    [InlineData("/api/v1/notifications?kind=%00")]
    public async Task A_nul_in_a_query_or_path_value_is_a_400(string path)
    {
        var tenant = await _client.SignupAsync();
        (await _client.Get(path, tenant.AdminToken)).ExpectProblem(400, "invalid_text");
    }

    [Fact]
    public async Task A_key_named_twice_is_refused_everywhere()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        (await SendBytes(HttpMethod.Post, "/api/v1/otlp/v1/traces", """{"resourceSpans":[],"resourceSpans":[]}"""u8.ToArray(), key)).ExpectProblem(400, "duplicate_key");
        (await SendBytes(HttpMethod.Post, "/api/v1/otlp/v1/traces", """{"resourceSpans":[],"resourceSpans":[]}"""u8.ToArray(), key, gzip: true)).ExpectProblem(400, "duplicate_key");
        (await SendBytes(HttpMethod.Post, "/api/v1/agents", """{"name":"a","name":"b"}"""u8.ToArray(), tenant.AdminToken)).ExpectProblem(400, "duplicate_key");
        (await SendBytes(HttpMethod.Post, "/api/v1/ingest", """{"batch":[{"id":"a","id":"b"}]}"""u8.ToArray(), key)).ExpectProblem(400, "duplicate_key");
    }

    [Fact]
    public async Task The_deepest_accepted_value_reads_back_everywhere_and_one_level_more_is_refused()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        var token = tenant.AdminToken;
        // {"name":…,"config":<value>}: the body is one level more than the value.
        var deepest = Nested("1", JsonInput.MaxDepth - 1);
        var agent = (await SendBytes(HttpMethod.Post, "/api/v1/agents", Encoding.UTF8.GetBytes($$"""{"name":"deep","config":{{deepest}}}"""), token)).Expect(201).Id();
        (await SendBytes(HttpMethod.Post, "/api/v1/agents", Encoding.UTF8.GetBytes($$"""{"name":"deeper","config":{{Nested("1", JsonInput.MaxDepth)}}}"""), token))
            .ExpectProblem(400, "too_deep");
        (await SendBytes(HttpMethod.Patch, $"/api/v1/agents/{agent}", Encoding.UTF8.GetBytes($$"""{"config":{{Nested("2", JsonInput.MaxDepth)}}}"""), token))
            .ExpectProblem(400, "too_deep");
        (await _client.Get("/api/v1/agents", token)).Expect(200);
        (await _client.Get($"/api/v1/agents/{agent}", token)).Expect(200);
        (await _client.Get("/api/v1/audit-logs", token)).Expect(200);

        // {"batch":[{…,"metadata":<value>}]}: three levels around it.
        var metadata = Nested("1", JsonInput.MaxDepth - 3);
        var batch = $$"""{"batch":[{"id":"d-1","type":"run.start","timestamp":"{{At(0)}}","run_id":"deep-run","agent":"deep-bot","metadata":{{metadata}}}]}""";
        (await SendBytes(HttpMethod.Post, "/api/v1/ingest", Encoding.UTF8.GetBytes(batch), key)).Expect(202);
        var tooDeep = batch.Replace(metadata, Nested("1", JsonInput.MaxDepth - 2), StringComparison.Ordinal).Replace("d-1", "d-2", StringComparison.Ordinal);
        (await SendBytes(HttpMethod.Post, "/api/v1/ingest", Encoding.UTF8.GetBytes(tooDeep), key)).ExpectProblem(400, "too_deep");
        await _client.WaitForRunAsync(key, "deep-run");
        (await _client.Get("/api/v1/events/deep-run", key)).Expect(200);
        (await _client.Get("/api/v1/runs", key)).Expect(200);
    }
}
