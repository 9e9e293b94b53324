using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using AgentOps.Sdk;

namespace AgentOps.Sdk.OpenAI;

/// <summary>
/// A <see cref="DelegatingHandler"/> for any <see cref="HttpClient"/> that talks to an OpenAI-compatible API (chat
/// completions, responses) or Anthropic's messages API: it records each call's model, usage (cached input included),
/// latency and, for streams, time to first chunk as an <c>llm.call</c>. JSON answers are buffered and read; server-sent
/// event streams are passed through byte for byte while usage is read from them, and recorded when the stream ends or
/// is disposed. Failures to read usage never affect the response.
/// </summary>
public sealed class AgentOpsLlmHandler : DelegatingHandler
{
    /// <summary>Request bodies larger than this are not inspected for the model.</summary>
    public const int MaxInspectedRequestBytes = 1024 * 1024;

    /// <summary>JSON answers larger than this are passed on without reading usage.</summary>
    public const long MaxInspectedResponseBytes = 16L * 1024 * 1024;

    private readonly AgentOpsClient _ops;
    private readonly string? _provider;

    /// <summary>Creates it (set <see cref="DelegatingHandler.InnerHandler"/>, or use the other constructor).</summary>
    /// <param name="ops">The AgentOps client that records.</param>
    /// <param name="provider">The provider to record; default: <c>anthropic</c> for Anthropic's host or <c>/v1/messages</c>, else <c>openai</c>.</param>
    public AgentOpsLlmHandler(AgentOpsClient ops, string? provider = null)
    {
        _ops = ops ?? throw new ArgumentNullException(nameof(ops));
        _provider = provider;
    }

    /// <summary>Creates it over <paramref name="inner"/>.</summary>
    public AgentOpsLlmHandler(AgentOpsClient ops, HttpMessageHandler inner, string? provider = null) : this(ops, provider) => InnerHandler = inner;

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var parent = Activity.Current;
        var started = Stopwatch.GetTimestamp();
        var provider = _provider ?? GuessProvider(request.RequestUri);
        var requestModel = await RequestModelAsync(request).ConfigureAwait(false);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        try
        {
            if (!response.IsSuccessStatusCode || response.Content is null) return response;
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            var usage = new UsageReader(provider) { Model = requestModel };
            if (string.Equals(mediaType, "text/event-stream", StringComparison.OrdinalIgnoreCase))
            {
                var inner = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                var observed = new SseObservingStream(inner, usage, started, (u, ttft) => Record(u, requestModel, provider, started, ttft, parent));
                var content = new StreamContent(observed);
                foreach (var header in response.Content.Headers) content.Headers.TryAddWithoutValidation(header.Key, header.Value);
                response.Content = content;
                return response;
            }
            if (mediaType is not null && mediaType.Contains("json", StringComparison.OrdinalIgnoreCase)
                && (response.Content.Headers.ContentLength ?? 0) <= MaxInspectedResponseBytes)
            {
                var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                usage.ReadJson(bytes);
                Record(usage, requestModel, provider, started, null, parent);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Reading usage must never break the call.
        }
        return response;
    }

    private void Record(UsageReader usage, string? requestModel, string provider, long started, TimeSpan? firstChunk, Activity? parent)
    {
        var model = requestModel ?? usage.Model;
        if (model is null && usage.TokensIn == 0 && usage.TokensOut == 0) return; // not an LLM call
        _ops.RecordLlmCall(model ?? "unknown", provider, usage.TokensIn, usage.TokensOut, usage.TokensCached,
            Stopwatch.GetElapsedTime(started), firstChunk, responseModel: usage.Model, parent: parent);
    }

    internal static string GuessProvider(Uri? uri)
    {
        if (uri is null) return "openai";
        if (uri.Host.Contains("anthropic", StringComparison.OrdinalIgnoreCase) || uri.AbsolutePath.EndsWith("/messages", StringComparison.Ordinal))
            return "anthropic";
        return "openai";
    }

    private static async Task<string?> RequestModelAsync(HttpRequestMessage request)
    {
        try
        {
            if (request.Content is null || request.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true) return null;
            if (request.Content.Headers.ContentLength is > MaxInspectedRequestBytes) return null;
            var bytes = await request.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String
                ? m.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or HttpRequestException or IOException)
        {
            return null;
        }
    }
}

/// <summary>Reads the model and token usage from OpenAI (chat completions, responses) and Anthropic answers and stream events.</summary>
internal sealed class UsageReader(string provider)
{
    public string? Model { get; set; }
    public long TokensIn { get; private set; }
    public long TokensOut { get; private set; }
    public long TokensCached { get; private set; }

    private readonly bool _anthropic = provider == "anthropic";

    public void ReadJson(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            Apply(doc.RootElement, 0);
        }
        catch (JsonException) { /* not JSON: nothing to read */ }
    }

    private void Apply(JsonElement e, int depth)
    {
        if (e.ValueKind != JsonValueKind.Object || depth > 2) return;
        // Anthropic's message_start carries the message; the responses API's events carry the response.
        if (e.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object) Apply(message, depth + 1);
        if (e.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object) Apply(response, depth + 1);
        if (e.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(model.GetString()))
            Model = model.GetString();
        if (!e.TryGetProperty("usage", out var u) || u.ValueKind != JsonValueKind.Object) return;

        if (Long(u, "prompt_tokens") is { } prompt) TokensIn = prompt;
        if (Long(u, "completion_tokens") is { } completion) TokensOut = completion;
        if (u.TryGetProperty("prompt_tokens_details", out var pd) && Long(pd, "cached_tokens") is { } pc) TokensCached = pc;
        if (u.TryGetProperty("input_tokens_details", out var id) && Long(id, "cached_tokens") is { } ic) TokensCached = ic;
        if (Long(u, "output_tokens") is { } output) TokensOut = output;
        if (_anthropic || u.TryGetProperty("cache_read_input_tokens", out _))
        {
            // Anthropic counts cache reads and writes apart from input_tokens; AgentOps counts every input token.
            var input = Long(u, "input_tokens");
            var read = Long(u, "cache_read_input_tokens");
            var write = Long(u, "cache_creation_input_tokens");
            if (input is not null || read is not null || write is not null)
            {
                if (read is not null) TokensCached = read.Value;
                if (input is not null) TokensIn = input.Value + (read ?? 0) + (write ?? 0);
            }
        }
        else if (Long(u, "input_tokens") is { } inputTokens) TokensIn = inputTokens;
    }

    private static long? Long(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) ? l : null;
}

/// <summary>
/// Passes a server-sent event stream through unchanged while reading its <c>data:</c> lines for usage; calls
/// <c>onEnd</c> once, at the end of the stream or when it is disposed early.
/// </summary>
internal sealed class SseObservingStream(Stream inner, UsageReader usage, long started, Action<UsageReader, TimeSpan?> onEnd) : Stream
{
    /// <summary>Lines longer than this are not parsed (they pass through untouched).</summary>
    private const int MaxLineBytes = 1024 * 1024;

    private readonly MemoryStream _line = new();
    private bool _lineTooLong;
    private TimeSpan? _firstChunk;
    private int _ended;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override int Read(byte[] buffer, int offset, int count) => Observe(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

    public override int Read(Span<byte> buffer) => Observe(buffer[..inner.Read(buffer)]);

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Observe(buffer.AsSpan(offset, await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false)));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Observe(buffer.Span[..n]);
    }

    private int Observe(ReadOnlySpan<byte> chunk)
    {
        if (chunk.IsEmpty)
        {
            End();
            return 0;
        }
        try
        {
            _firstChunk ??= Stopwatch.GetElapsedTime(started);
            foreach (var b in chunk)
            {
                if (b == (byte)'\n')
                {
                    if (!_lineTooLong) Line(_line.GetBuffer().AsSpan(0, (int)_line.Length));
                    _line.SetLength(0);
                    _lineTooLong = false;
                }
                else if (!_lineTooLong)
                {
                    if (_line.Length >= MaxLineBytes) _lineTooLong = true;
                    else _line.WriteByte(b);
                }
            }
        }
        catch (Exception) { /* reading usage must never break the stream */ }
        return chunk.Length;
    }

    private void Line(ReadOnlySpan<byte> line)
    {
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        if (!line.StartsWith("data:"u8)) return;
        var data = line[5..].TrimStart((byte)' ');
        if (data.IsEmpty || data[0] != (byte)'{') return; // [DONE] and the like
        usage.ReadJson(data);
    }

    private void End()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        try { onEnd(usage, _firstChunk); }
        catch (Exception) { /* recording must never break the stream */ }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            End();
            inner.Dispose();
            _line.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        End();
        await inner.DisposeAsync().ConfigureAwait(false);
        await _line.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
