using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AgentOps.IntegrationTests.Infrastructure;
using AgentOps.Platform.Http;

namespace AgentOps.IntegrationTests;

/// <summary>
/// Errors at the web server layer, against the real server process on Kestrel with raw bytes on a socket: what the
/// application can shape is an RFC 9457 problem (long targets, large headers, undecodable header values, broken
/// chunked bodies); what only Kestrel answers is exactly the short list in docs/api.md, with an empty body.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class WebServerErrorsTests(WebServerErrorsTests.Server fx) : IClassFixture<WebServerErrorsTests.Server>
{
    /// <summary>One server process for the class, without ingest or job workers (it only answers these requests).</summary>
    public sealed class Server : IAsyncLifetime
    {
        public ServerProcess Process { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Process = ServerProcess.Start(TestDatabase.AppUrl, new() { ["AGENTOPS_INGEST_WORKERS"] = "0", ["AGENTOPS_JOB_WORKERS"] = "0" });
            try { (await Process.WaitReadyAsync()).Dispose(); }
            catch
            {
                await Process.DisposeAsync(); // never leave a server running on the shared database
                throw;
            }
        }

        public async Task DisposeAsync() => await Process.DisposeAsync();
    }

    private readonly ServerProcess _server = fx.Process;

    private sealed record RawReply(int Status, string? ContentType, byte[] Body)
    {
        public string? Code => ContentType == "application/problem+json" ? JsonDocument.Parse(Body).RootElement.GetProperty("code").GetString() : null;
        public override string ToString() => $"{Status} {ContentType} {Encoding.UTF8.GetString(Body)}";
    }

    /// <summary>Sends the bytes as they are and reads the whole answer (the request says Connection: close).</summary>
    private async Task<RawReply> SendAsync(byte[] request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", _server.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(request);
        using var received = new MemoryStream();
        try { await stream.CopyToAsync(received).WaitAsync(TimeSpan.FromSeconds(10)); }
        catch (IOException) { } // the server may reset after answering a request it refused to read
        var bytes = received.ToArray();
        var split = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        var head = Encoding.ASCII.GetString(bytes, 0, split).Split("\r\n");
        var headers = head.Skip(1).Select(h => h.Split(':', 2)).ToDictionary(h => h[0].Trim().ToLowerInvariant(), h => h[1].Trim());
        var body = bytes[(split + 4)..];
        if (headers.GetValueOrDefault("transfer-encoding") == "chunked") body = Unchunk(body);
        return new RawReply(int.Parse(head[0].Split(' ')[1]), headers.GetValueOrDefault("content-type")?.Split(';')[0], body);
    }

    private static byte[] Unchunk(byte[] chunked)
    {
        using var body = new MemoryStream();
        var i = 0;
        while (true)
        {
            var end = chunked.AsSpan(i).IndexOf("\r\n"u8) + i;
            var size = Convert.ToInt32(Encoding.ASCII.GetString(chunked, i, end - i), 16);
            if (size == 0) return body.ToArray();
            body.Write(chunked, end + 2, size);
            i = end + 2 + size + 2;
        }
    }

    private static byte[] Request(string target = "/api/v1/orgs/profile", byte[]? headers = null, string method = "GET", string version = "HTTP/1.1", bool host = true) =>
        [.. Encoding.ASCII.GetBytes($"{method} {target} {version}\r\n{(host ? "Host: localhost\r\n" : "")}"), .. headers ?? [], .. "Connection: close\r\n\r\n"u8];

    private static byte[] Header(string name, byte[] value) => [.. Encoding.ASCII.GetBytes(name + ": "), .. value, .. "\r\n"u8];

    private static string Target(int length) => "/api/v1/orgs/profile?q=" + new string('a', length - "/api/v1/orgs/profile?q=".Length);

    [Fact]
    public async Task A_target_over_8_KiB_is_a_414_problem_up_to_where_kestrel_stops_reading()
    {
        var atLimit = await SendAsync(Request(Target(RequestHead.MaxTargetBytes)));
        Assert.Equal((401, "missing_credentials"), (atLimit.Status, atLimit.Code));
        var over = await SendAsync(Request(Target(RequestHead.MaxTargetBytes + 1)));
        Assert.True(over.Status == 414 && over.Code == "uri_too_long", over.ToString());
        Assert.Equal("uri_too_long", (await SendAsync(Request(Target(RequestHead.ServerRequestLineBytes - 100)))).Code);
        // Beyond what Kestrel reads at all: its own 414, no body (documented).
        var kestrel = await SendAsync(Request(Target(RequestHead.ServerRequestLineBytes + 1)));
        Assert.Equal((414, 0), (kestrel.Status, kestrel.Body.Length));
    }

    [Fact]
    public async Task Header_values_that_are_not_utf8_reach_the_application()
    {
        var token = await SendAsync(Request(headers: Header("Authorization", [.. "Bearer "u8, 0xFF, 0xFE, 0xC3, 0x28])));
        Assert.True(token.Status == 401 && token.Code == "invalid_token", token.ToString());
        var key = await SendAsync(Request(headers: Header("Authorization", [.. "Bearer aok_"u8, 0xFF])));
        Assert.Equal((401, "invalid_api_key"), (key.Status, key.Code));

        // An undecodable User-Agent is kept with U+FFFD where the bad bytes were (it is stored with the audit row).
        var email = Tenants.NewEmail();
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { org_name = "ua", email, password = Tenants.Password }));
        var signup = await SendAsync([.. Encoding.ASCII.GetBytes("POST /api/v1/auth/signup HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"),
            .. Header("User-Agent", [.. "probe/"u8, 0xFF, .. "1"u8]), .. Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\nConnection: close\r\n\r\n"), .. body]);
        Assert.True(signup.Status == 201, signup.ToString());
        var org = JsonDocument.Parse(signup.Body).RootElement.GetProperty("organization").GetProperty("id").GetGuid();
        Assert.Equal("probe/\uFFFD1", await TestDatabase.ScalarAsync<string>(TestDatabase.OwnerUrl,
            "SELECT user_agent FROM audit_logs WHERE org_id = $1 AND action = 'org.created'", org));
    }

    [Fact]
    public async Task Large_header_blocks_are_a_431_problem_up_to_where_kestrel_stops_reading()
    {
        var many = await SendAsync(Request(headers: [.. Enumerable.Range(0, RequestHead.MaxHeaderCount + 1).SelectMany(i => Header($"X-H{i}", "1"u8.ToArray()))]));
        Assert.True(many.Status == 431 && many.Code == "headers_too_large", many.ToString());
        var big = await SendAsync(Request(headers: Header("X-Big", Encoding.ASCII.GetBytes(new string('a', RequestHead.MaxHeaderChars + 1)))));
        Assert.Equal((431, "headers_too_large"), (big.Status, big.Code));
        var kestrel = await SendAsync(Request(headers: Header("X-Big", Encoding.ASCII.GetBytes(new string('a', RequestHead.ServerHeaderBytes + 1)))));
        Assert.Equal((431, 0), (kestrel.Status, kestrel.Body.Length));
    }

    [Fact]
    public async Task A_broken_chunked_body_is_a_400_problem()
    {
        var r = await SendAsync("POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n"u8.ToArray());
        Assert.True(r.Status == 400 && r.Code == "bad_request", r.ToString());
    }

    /// <summary>The documented list of what only Kestrel answers (docs/api.md): each exactly as described, empty-bodied.</summary>
    [Fact]
    public async Task What_only_kestrel_answers_is_the_documented_list()
    {
        var cases = new (string What, byte[] Request, int Status)[]
        {
            ("%00 in the path", Request("/api/v1/agents/%00"), 400),
            ("a raw non-ASCII byte in the target", [.. "GET /api/v1/"u8, 0xFF, .. " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"u8], 400),
            ("a raw NUL in the query string", [.. "GET /api/v1/orgs/profile?a="u8, 0x00, .. " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"u8], 400),
            ("NUL in a header value", Request(headers: Header("Authorization", [.. "Bearer a"u8, 0x00, .. "b"u8])), 400),
            ("a bare CR in a header value", Request(headers: Header("X-A", [.. "a"u8, 0x0D, .. "b"u8])), 400),
            ("a space in a header name", Request(headers: Header("Bad Name", "x"u8.ToArray())), 400),
            ("a Content-Length that is not a number", Request(method: "POST", headers: Header("Content-Length", "abc"u8.ToArray())), 400),
            ("no Host header", Request(host: false), 400),
            ("a request line that is not HTTP", "GARBAGE\r\n\r\n"u8.ToArray(), 400),
            ("HTTP/2.0 on the HTTP/1.1 port", Request(version: "HTTP/2.0"), 505),
        };
        foreach (var (what, request, status) in cases)
        {
            var r = await SendAsync(request);
            Assert.True(r.Status == status && r.Body.Length == 0, $"{what}: {r}");
        }
    }
}
