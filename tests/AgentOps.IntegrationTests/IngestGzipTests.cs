using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
using static AgentOps.IntegrationTests.Infrastructure.Ingesting;

namespace AgentOps.IntegrationTests;

/// <summary>Content-Encoding: gzip on POST /ingest and /ingest/run (docs/ingest.md "Compression"), as the SDKs send batches.</summary>
[Collection(ApiCollection.Name)]
public class IngestGzipTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }

    private async Task<Reply> SendAsync(string path, byte[] body, string key, string? encoding = "gzip")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (encoding is not null) request.Content.Headers.TryAddWithoutValidation("Content-Encoding", encoding);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var response = await _client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Reply(response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    private static byte[] Batch(string runId, int events, int payloadBytes = 0) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        batch = Enumerable.Range(0, events).Select(i => i == 0
            ? Event($"{runId}-start", "run.start", 0, runId, extra: new { name = "gzipped" })
            : Event($"{runId}-{i}", "log", i * 0.001, runId, extra: new { input = new string('x', payloadBytes) })).ToArray(),
    });

    [Fact]
    public async Task A_gzip_batch_is_accepted_and_stored_like_a_plain_one()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        // 1,000 events of 4 KiB each: 4 MiB of JSON, far less compressed.
        var plain = Batch("gz-run", 1000, 4000);
        var compressed = Gzip(plain);
        Assert.True(compressed.Length < plain.Length / 20);
        var reply = (await SendAsync("/api/v1/ingest", compressed, key)).Expect(202);
        Assert.Equal(1000, reply.Body.GetProperty("accepted").GetInt32());
        var run = await _client.WaitForRunAsync(key, "gz-run", d => d.GetProperty("run").GetProperty("event_count").GetInt32() == 1000, seconds: 30);
        Assert.Equal("gzipped", run.GetProperty("run").GetProperty("name").GetString());
        Assert.Equal(1000L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM events WHERE org_id = $1", tenant.OrgId));

        // The run form too.
        var single = JsonSerializer.SerializeToUtf8Bytes(new
        {
            run = new { id = "gz-single", agent = "support-bot", name = "one call", started_at = At(0), ended_at = At(2), status = "success" },
            events = new[] { new { id = "gz-single-llm", type = "llm.call", timestamp = At(1), model = "gpt-4o", tokens_in = 10, tokens_out = 5 } },
        });
        (await SendAsync("/api/v1/ingest/run", Gzip(single), key)).Expect(202);
        await _client.WaitForRunAsync(key, "gz-single", d => d.GetProperty("run").GetProperty("status").GetString() == "succeeded");
    }

    [Fact]
    public async Task A_zip_bomb_is_413_and_a_body_over_the_limit_once_inflated_too()
    {
        var (tenant, key) = await _client.SdkTenantAsync();
        // 64 MiB of spaces inside a batch: about 64 KiB compressed.
        using var raw = new MemoryStream();
        raw.Write("{\"batch\":["u8);
        raw.Write(new byte[64 * 1024 * 1024].Select(_ => (byte)' ').ToArray());
        raw.Write("]}"u8);
        var bomb = Gzip(raw.ToArray());
        (await SendAsync("/api/v1/ingest", bomb, key)).ExpectProblem(413, "payload_too_large");
        // Just over 5 MiB once decompressed: a real batch that is too large is refused the same way.
        (await SendAsync("/api/v1/ingest", Gzip(Batch("big-run", 700, 8000)), key)).ExpectProblem(413, "payload_too_large");
        Assert.Equal(0L, await TestDatabase.ScalarAsync<long>(TestDatabase.OwnerUrl, "SELECT count(*) FROM ingest_batches WHERE org_id = $1", tenant.OrgId));
    }

    [Fact]
    public async Task A_broken_gzip_stream_is_400_and_other_encodings_are_415()
    {
        var (_, key) = await _client.SdkTenantAsync();
        var plain = Batch("enc-run", 2);
        (await SendAsync("/api/v1/ingest", plain, key)).ExpectProblem(400, "malformed_gzip"); // labelled gzip, but plain
        // Cut short: the decoder ends quietly and the JSON rules refuse the truncated JSON (GzipInputTests).
        var truncated = Gzip(plain);
        (await SendAsync("/api/v1/ingest", truncated[..(truncated.Length / 2)], key)).ExpectProblem(400, "malformed_json");
        (await SendAsync("/api/v1/ingest/run", Encoding.UTF8.GetBytes("garbage"), key)).ExpectProblem(400, "malformed_gzip");
        foreach (var encoding in new[] { "br", "deflate", "compress", "gzip, br" })
        {
            (await SendAsync("/api/v1/ingest", Gzip(plain), key, encoding)).ExpectProblem(415, "unsupported_content_encoding");
            (await SendAsync("/api/v1/ingest/run", Gzip(plain), key, encoding)).ExpectProblem(415, "unsupported_content_encoding");
        }
        // Other routes still refuse gzip.
        (await SendAsync("/api/v1/agents", Gzip("""{"name":"zipped"}"""u8.ToArray()), key)).ExpectProblem(415, "unsupported_content_encoding");
        // Plain and identity stay as they were.
        (await SendAsync("/api/v1/ingest", plain, key, encoding: null)).Expect(202);
        (await SendAsync("/api/v1/ingest", plain, key, encoding: "identity")).Expect(202);
    }

    [Fact]
    public async Task The_json_rules_apply_to_the_decompressed_body()
    {
        var (_, key) = await _client.SdkTenantAsync();
        (await SendAsync("/api/v1/ingest", Gzip("""{"batch":[],"batch":[]}"""u8.ToArray()), key)).ExpectProblem(400, "duplicate_key");
        (await SendAsync("/api/v1/ingest", Gzip(Encoding.UTF8.GetBytes("{\"batch\":" + new string('[', 40) + new string(']', 40) + "}")), key)).ExpectProblem(400, "too_deep");
        (await SendAsync("/api/v1/ingest", Gzip([.. "{\"batch\":[\""u8, 0xC3, 0x28, .. "\"]}"u8]), key)).ExpectProblem(400, "invalid_encoding");
        (await SendAsync("/api/v1/ingest/run", Gzip("""{"run":{"id":"r","agent":"a","started_at":"2026-01-01T00:00:00Z","name":"a\u0000b"}}"""u8.ToArray()), key))
            .ExpectProblem(400, "invalid_text");
        // Per item inside a batch, as for a plain body: the bad item is refused, its neighbour kept.
        var mixed = JsonSerializer.SerializeToUtf8Bytes(new { batch = new[] { Event("ok-1", "log", 0, "mixed"), Event("bad-1", "log", 0, "mixed", extra: new { name = "a\u0000b" }) } });
        var reply = (await SendAsync("/api/v1/ingest", Gzip(mixed), key)).Expect(207);
        Assert.Equal((1, 1), (reply.Body.GetProperty("accepted").GetInt32(), reply.Body.GetProperty("rejected").GetInt32()));
    }
}
