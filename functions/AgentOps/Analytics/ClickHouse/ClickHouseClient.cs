using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AgentOps.Analytics.ClickHouse;

/// <summary>
/// ClickHouse over its HTTP interface (no client package restores here; see PACKAGES.md), written for 18.16:
/// commands and queries are POSTed as the body; rows come back as JSONEachRow, read line by line as they arrive; rows
/// go in as a gzip-compressed JSONEachRow body streamed by the caller. Credentials travel in the X-ClickHouse-User /
/// X-ClickHouse-Key headers (18.16 accepts them as well as basic auth), never in a URL, a log line or an exception.
/// Every attempt has its own timeout (<see cref="ClickHouseSettings.RequestTimeout"/>, also sent as max_execution_time
/// so the server stops too); failures that may pass are retried per <see cref="ClickHouseRetry"/>.
/// One instance (one connection pool) per process.
/// </summary>
public sealed class ClickHouseClient : IDisposable
{
    /// <summary>Below the server's keep_alive_timeout (3 s in Debian's config): a pooled connection is never reused just as the server closes it.</summary>
    public static readonly TimeSpan PooledConnectionIdleTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly HttpClient _http;
    private readonly ILogger _logger;

    public ClickHouseSettings Settings { get; }
    public string Database => Settings.Database;

    public ClickHouseClient(ClickHouseSettings settings, ILogger<ClickHouseClient>? logger = null)
    {
        Settings = settings;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = PooledConnectionIdleTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = ConnectTimeout,
            AutomaticDecompression = DecompressionMethods.GZip,
            MaxConnectionsPerServer = 64,
        };
        _http = new HttpClient(handler) { BaseAddress = settings.Endpoint, Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>A command without a result (DDL, OPTIMIZE, SYSTEM ...). Retried on transient failures: make it idempotent (IF NOT EXISTS).</summary>
    public Task ExecuteAsync(string sql, CancellationToken ct, IReadOnlyDictionary<string, string>? settings = null) =>
        SendAsync("command", () => Post(Url(settings), new StringContent(sql, Encoding.UTF8)), async (response, token) =>
        {
            await response.Content.CopyToAsync(Stream.Null, token);
            return true;
        }, ct);

    /// <summary>
    /// A SELECT (without a FORMAT clause: JSONEachRow is appended), each row mapped as it is read. 64-bit integers come as
    /// JSON numbers. An error the server reports after rows were sent (the status was already 200) is thrown too.
    /// </summary>
    public Task<List<T>> QueryAsync<T>(string sql, Func<JsonElement, T> map, CancellationToken ct, IReadOnlyDictionary<string, string>? settings = null) =>
        SendAsync("query", () => Post(Url(settings), new StringContent(sql + "\nFORMAT JSONEachRow", Encoding.UTF8)), async (response, token) =>
        {
            var rows = new List<T>();
            await using var body = await response.Content.ReadAsStreamAsync(token);
            using var reader = new StreamReader(body, Encoding.UTF8, false, 64 * 1024);
            while (await reader.ReadLineAsync(token) is { } line)
            {
                if (line.Length == 0) continue;
                if (line[0] != '{') throw ClickHouseErrors.ToException(200, line + await reader.ReadToEndAsync(token));
                using var row = JsonDocument.Parse(line);
                rows.Add(map(row.RootElement));
            }
            return rows;
        }, ct);

    /// <summary>
    /// INSERT INTO table FORMAT JSONEachRow with the rows <paramref name="write"/> puts on the stream (one JSON object per
    /// line), gzip-compressed on the way out unless compress (default: <see cref="ClickHouseSettings.CompressInserts"/>)
    /// says otherwise, timestamps read best-effort (ISO 8601). <paramref name="write"/> runs once
    /// per attempt, so it must be able to produce the same rows again. Returns the uncompressed bytes of the last attempt.
    /// </summary>
    public async Task<long> InsertJsonEachRowAsync(string table, Func<Stream, CancellationToken, Task> write, CancellationToken ct, bool? compress = null)
    {
        var query = $"INSERT INTO {ClickHouseSql.Name(Database)}.{ClickHouseSql.Name(table)} FORMAT JSONEachRow";
        var parameters = new Dictionary<string, string> { ["query"] = query, ["date_time_input_format"] = "best_effort" };
        StreamingBody? content = null;
        await SendAsync("insert", () =>
        {
            content = new StreamingBody(write, compress ?? Settings.CompressInserts);
            return Post(Url(parameters), content);
        }, async (response, token) =>
        {
            await response.Content.CopyToAsync(Stream.Null, token);
            return true;
        }, ct);
        return content!.UncompressedBytes;
    }

    /// <summary>Whether the server answers /ping (no credentials needed), within the request timeout.</summary>
    public async Task<bool> PingAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Settings.RequestTimeout);
        try
        {
            using var response = await _http.GetAsync("ping", timeout.Token);
            return response.IsSuccessStatusCode && (await response.Content.ReadAsStringAsync(timeout.Token)).StartsWith("Ok.", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested) { return false; }
    }

    private string Url(IReadOnlyDictionary<string, string>? extra)
    {
        var parameters = new Dictionary<string, string>
        {
            ["database"] = Settings.Database,
            ["max_execution_time"] = ((int)Math.Ceiling(Settings.RequestTimeout.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["enable_http_compression"] = "1",
            ["output_format_json_quote_64bit_integers"] = "0",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) parameters[key] = value;
        return "?" + string.Join("&", parameters.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
    }

    private HttpRequestMessage Post(string url, HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        request.Headers.Add("X-ClickHouse-User", Settings.User);
        if (Settings.Password is { } password) request.Headers.Add("X-ClickHouse-Key", password);
        return request;
    }

    private async Task<T> SendAsync<T>(string operation, Func<HttpRequestMessage> build, Func<HttpResponseMessage, CancellationToken, Task<T>> read, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Settings.RequestTimeout);
            ClickHouseException failure;
            FailureKind kind;
            try
            {
                using var request = build();
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                if (response.IsSuccessStatusCode) return await read(response, timeout.Token);
                var body = await response.Content.ReadAsStringAsync(timeout.Token);
                failure = ClickHouseErrors.ToException((int)response.StatusCode, body);
                kind = ClickHouseErrors.Classify((int)response.StatusCode, failure.Code == 0 ? null : failure.Code);
            }
            catch (ClickHouseException e)
            {
                // Reported inside a 200 body, after rows.
                failure = e;
                kind = ClickHouseErrors.Classify(e.HttpStatus ?? 200, e.Code == 0 ? null : e.Code);
            }
            catch (Exception e) when (WriterFailure(e) is { } writer)
            {
                // The caller's rows failed (e.g. Postgres), not ClickHouse: theirs to handle, never retried here.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(writer);
                throw;
            }
            catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
            {
                failure = new ClickHouseException(0, $"{operation} got no answer within {Settings.RequestTimeout.TotalSeconds:0.#} s", null, e);
                kind = FailureKind.Timeout;
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !ct.IsCancellationRequested)
            {
                // The message names host and port at most: the endpoint carries no user info.
                failure = new ClickHouseException(0, $"{operation} failed to reach {Settings.Endpoint.Authority}: {e.Message}", null, e);
                kind = FailureKind.Network;
            }

            if (!ClickHouseRetry.ShouldRetry(kind, attempt, Settings.MaxAttempts))
            {
                if (kind == FailureKind.Backpressure && failure is not ClickHouseBackpressureException)
                    throw new ClickHouseBackpressureException(failure.Code, failure.ServerMessage, failure.HttpStatus, failure);
                throw failure;
            }
            var delay = ClickHouseRetry.Delay(kind, attempt, Random.Shared.NextDouble());
            _logger.LogWarning("ClickHouse {Operation} attempt {Attempt}/{MaxAttempts} failed ({Kind}, code {Code}); retrying in {DelayMs} ms",
                operation, attempt, Settings.MaxAttempts, kind, failure.Code, (int)delay.TotalMilliseconds);
            await Task.Delay(delay, ct);
        }
    }

    public void Dispose() => _http.Dispose();

    private static Exception? WriterFailure(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is WriterFailedException w) return w.InnerException;
        return null;
    }

    /// <summary>Marks an exception thrown by the caller's body writer as it travels up through HttpClient.</summary>
    private sealed class WriterFailedException(Exception inner) : Exception("The request body writer failed.", inner);

    /// <summary>A request body produced by the caller while it is sent: nothing is held in memory but the gzip window.</summary>
    private sealed class StreamingBody : HttpContent
    {
        private readonly Func<Stream, CancellationToken, Task> _write;
        private readonly bool _compress;

        public long UncompressedBytes { get; private set; }

        public StreamingBody(Func<Stream, CancellationToken, Task> write, bool compress)
        {
            _write = write;
            _compress = compress;
            Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
            if (compress) Headers.ContentEncoding.Add("gzip");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            if (_compress)
            {
                // Fastest: the network to ClickHouse is rarely the bottleneck, the CPU that also reads Postgres often is.
                await using var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true);
                await using var counted = new CountingStream(gzip);
                await WriteAsync(counted, cancellationToken);
                // 18.16 cannot inflate a gzip stream that holds nothing ("inflate failed: buffer error"): an empty
                // insert sends one newline, which JSONEachRow reads as no rows.
                if (counted.Count == 0) await counted.WriteAsync("\n"u8.ToArray(), cancellationToken);
                await counted.FlushAsync(cancellationToken);
                UncompressedBytes = counted.Count;
            }
            else
            {
                await using var counted = new CountingStream(stream);
                await WriteAsync(counted, cancellationToken);
                await counted.FlushAsync(cancellationToken);
                UncompressedBytes = counted.Count;
            }
        }

        private async Task WriteAsync(Stream stream, CancellationToken ct)
        {
            try { await _write(stream, ct); }
            catch (Exception e) when (e is not (IOException or HttpRequestException or OperationCanceledException)) { throw new WriterFailedException(e); }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }

    /// <summary>A write-only pass-through that counts bytes (and leaves the inner stream open).</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Count { get; private set; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Count; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Count += count;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            Count += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
