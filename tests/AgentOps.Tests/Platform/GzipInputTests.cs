using System.IO.Compression;
using System.Text;
using AgentOps.Platform.Http;
using Microsoft.AspNetCore.Http;

namespace AgentOps.Tests.Platform;

/// <summary>The input gate's gzip reading (Platform/Http/RequestEncoding): bounded after decompression, with the JSON rules on what it decompressed.</summary>
public class GzipInputTests
{
    private const long Limit = 5 * 1024 * 1024;

    /// <summary>A body stream that counts what the reader took from it.</summary>
    private sealed class CountingStream(byte[] data) : MemoryStream(data, writable: false)
    {
        public long Taken { get; private set; }

        public override int Read(byte[] buffer, int offset, int count) => Count(base.Read(buffer, offset, count));
        public override int Read(Span<byte> buffer) => Count(base.Read(buffer));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Task.FromResult(Count(base.Read(buffer, offset, count)));
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => ValueTask.FromResult(Count(base.Read(buffer.Span)));

        private int Count(int read)
        {
            Taken += read;
            return read;
        }
    }

    private static byte[] Gzip(Action<Stream> write)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal)) write(gzip);
        return output.ToArray();
    }

    private static DefaultHttpContext Request(Stream body, string encoding = "gzip")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.ContentType = "application/json";
        context.Request.Headers.ContentEncoding = encoding;
        context.Request.Body = body;
        return context;
    }

    [Fact]
    public async Task A_gzip_body_is_decompressed_checked_and_handed_on_as_plain_json()
    {
        var json = """{"batch":[{"id":"a"}]}"""u8.ToArray();
        var context = Request(new MemoryStream(Gzip(s => s.Write(json))));
        await InputGate.CheckAsync(context, Limit, "batch", decodesContentEncoding: false, acceptsGzip: true);
        Assert.Equal(Encoding.UTF8.GetString(json), await new StreamReader(context.Request.Body).ReadToEndAsync());
        Assert.Equal(json.Length, context.Request.ContentLength);
        Assert.Equal("", context.Request.Headers.ContentEncoding.ToString());
    }

    [Fact]
    public async Task A_zip_bomb_is_refused_after_reading_a_sliver_of_it()
    {
        // 1 GiB of spaces compresses to about 1 MiB: under the 5 MiB sent, 200 times the limit once inflated.
        var chunk = new byte[1024 * 1024];
        Array.Fill(chunk, (byte)' ');
        var bomb = Gzip(s =>
        {
            s.Write("{\"batch\":["u8);
            for (var i = 0; i < 1024; i++) s.Write(chunk);
        });
        Assert.True(bomb.Length < Limit, $"{bomb.Length} bytes compressed");
        var body = new CountingStream(bomb);
        var problem = await Assert.ThrowsAsync<ApiProblem>(() => InputGate.CheckAsync(Request(body), Limit, "batch", false, acceptsGzip: true));
        Assert.Equal((413, "payload_too_large"), (problem.Status, problem.Code));
        // Reading stopped at the limit: measured, 16 KiB of the 1 MiB compressed stream were consumed (two of the gzip
        // reader's 8 KiB reads).
        Assert.True(body.Taken < bomb.Length / 20, $"read {body.Taken} of {bomb.Length} compressed bytes");
    }

    [Theory]
    [InlineData("{\"batch\":[]}")]
    [InlineData("\u001f garbage")]
    public async Task A_broken_gzip_stream_is_400_malformed_gzip(string plain)
    {
        var problem = await Assert.ThrowsAsync<ApiProblem>(() =>
            InputGate.CheckAsync(Request(new MemoryStream(Encoding.UTF8.GetBytes(plain))), Limit, null, false, acceptsGzip: true));
        Assert.Equal((400, "malformed_gzip"), (problem.Status, problem.Code));
    }

    /// <summary>
    /// .NET's gzip decoder ends quietly when the stream is cut short (no trailer check), so a truncated body reaches the
    /// JSON rules as truncated JSON: still a 400, never a partial batch accepted.
    /// </summary>
    [Fact]
    public async Task A_truncated_gzip_stream_is_refused_as_truncated_json()
    {
        var whole = Gzip(s => s.Write(Encoding.UTF8.GetBytes("{\"batch\":[" + string.Join(",", Enumerable.Range(0, 5000).Select(i => $"{{\"id\":\"{i}\"}}")) + "]}")));
        var problem = await Assert.ThrowsAsync<ApiProblem>(() =>
            InputGate.CheckAsync(Request(new MemoryStream(whole[..(whole.Length / 2)])), Limit, "batch", false, acceptsGzip: true));
        Assert.Equal((400, "malformed_json"), (problem.Status, problem.Code));
    }

    [Fact]
    public async Task The_json_rules_apply_to_the_decompressed_body()
    {
        var duplicate = Gzip(s => s.Write("""{"batch":[],"batch":[]}"""u8));
        var problem = await Assert.ThrowsAsync<ApiProblem>(() => InputGate.CheckAsync(Request(new MemoryStream(duplicate)), Limit, "batch", false, acceptsGzip: true));
        Assert.Equal((400, "duplicate_key"), (problem.Status, problem.Code));
        var deep = Gzip(s => s.Write(Encoding.UTF8.GetBytes(new string('[', 40) + new string(']', 40))));
        problem = await Assert.ThrowsAsync<ApiProblem>(() => InputGate.CheckAsync(Request(new MemoryStream(deep)), Limit, null, false, acceptsGzip: true));
        Assert.Equal((400, "too_deep"), (problem.Status, problem.Code));
    }

    [Theory]
    [InlineData("br", true)]
    [InlineData("deflate", true)]
    [InlineData("gzip", false)]
    public async Task Other_encodings_and_gzip_where_not_taken_are_415(string encoding, bool acceptsGzip)
    {
        var problem = await Assert.ThrowsAsync<ApiProblem>(() =>
            InputGate.CheckAsync(Request(new MemoryStream(Gzip(s => s.Write("{}"u8))), encoding), Limit, null, false, acceptsGzip));
        Assert.Equal((415, "unsupported_content_encoding"), (problem.Status, problem.Code));
    }
}
