using System.Text;
using System.Text.Json;

namespace AgentOps.Providers;

/// <summary>
/// One HTTP exchange with a provider, shared by the adapters: sends once (no retries), applies the adapter's timeout
/// (the caller's HttpClient may be shared, so its own Timeout is not relied on), turns every failure into a
/// <see cref="ProviderException"/> without the credential, and reads a body whole or as server-sent events.
/// </summary>
internal sealed class ProviderCall : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly CancellationToken _callerCt;
    private readonly ProviderCredential _credential;
    private readonly string _provider;

    private ProviderCall(HttpResponseMessage response, CancellationTokenSource cts, CancellationToken callerCt, ProviderCredential credential, string provider)
    {
        Response = response;
        _cts = cts;
        _callerCt = callerCt;
        _credential = credential;
        _provider = provider;
        RequestId = RequestIdOf(response);
    }

    public HttpResponseMessage Response { get; }

    public string? RequestId { get; }

    /// <param name="errorFor">
    /// How this provider's error answers read (status, body) as a <see cref="ProviderException"/>, when its error body
    /// carries more than <see cref="ErrorFor"/> reads (Gemini's status and retryInfo); the credential is scrubbed after.
    /// </param>
    public static async Task<ProviderCall> SendAsync(HttpClient http, HttpRequestMessage request, string provider, ProviderCredential credential,
        TimeSpan timeout, TimeProvider time, CancellationToken ct, Func<HttpResponseMessage, string, ProviderException>? errorFor = null)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            cts.Dispose();
            throw Translate(e, provider, credential, ct, cut: false);
        }
        var call = new ProviderCall(response, cts, ct, credential, provider);
        if (response.IsSuccessStatusCode) return call;
        using (call)
        {
            string body;
            try { body = await response.Content.ReadAsStringAsync(call._cts.Token); }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException) { body = ""; }
            throw errorFor is null ? ErrorFor(response, body, provider, credential, time.GetUtcNow()) : errorFor(response, body);
        }
    }

    /// <summary>The whole body (within the timeout), the credential removed.</summary>
    public async Task<string> ReadBodyAsync()
    {
        try
        {
            return _credential.Scrub(await Response.Content.ReadAsStringAsync(_cts.Token));
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            throw Translate(e, _provider, _credential, _callerCt, cut: false, RequestId);
        }
    }

    /// <summary>The body's server-sent events; waiting longer than <paramref name="idle"/> for a line is a timeout.</summary>
    public async Task<SseReader> OpenEventsAsync(TimeSpan idle)
    {
        if (Response.Content.Headers.ContentType?.MediaType is { } type && !type.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase))
            throw Invalid($"a stream was asked for and {type} came back.");
        try
        {
            var stream = await Response.Content.ReadAsStreamAsync(_cts.Token);
            return new SseReader(this, new StreamReader(stream, Encoding.UTF8), idle);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            throw Translate(e, _provider, _credential, _callerCt, cut: true, RequestId);
        }
    }

    public void Dispose()
    {
        Response.Dispose();
        _cts.Dispose();
    }

    /// <summary>A parsed JSON body, or <see cref="ProviderErrorKind.InvalidResponse"/>.</summary>
    public JsonDocument Parse(string json) => ParseJson(json, _provider, RequestId);

    /// <summary>Reads a response with <paramref name="read"/>: a field of the wrong kind or missing is an invalid response, not a crash.</summary>
    public T Shape<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException or IndexOutOfRangeException)
        {
            throw Invalid(e.Message);
        }
    }

    public ProviderException Invalid(string what) =>
        new(ProviderErrorKind.InvalidResponse, $"{_provider} answered with an invalid response: {what}", (int)Response.StatusCode, requestId: RequestId);

    internal static JsonDocument ParseJson(string json, string provider, string? requestId)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ProviderException(ProviderErrorKind.InvalidResponse, $"{provider} answered with text that is not JSON ({e.Message}).", requestId: requestId, innerException: e);
        }
    }

    internal static string? RequestIdOf(HttpResponseMessage response) =>
        RateLimitInfo.Header(response.Headers, "x-request-id") ?? RateLimitInfo.Header(response.Headers, "request-id");

    /// <summary>
    /// The caller's cancellation stays an <see cref="OperationCanceledException"/>; everything else becomes a provider
    /// error. Once a stream has begun (<paramref name="cut"/>), any failure — idle timeout, reset — is a
    /// <see cref="ProviderErrorKind.StreamCut"/>: what was already delivered must not be retried as if nothing had been.
    /// </summary>
    private static Exception Translate(Exception e, string provider, ProviderCredential credential, CancellationToken callerCt, bool cut, string? requestId = null)
    {
        if (e is OperationCanceledException && callerCt.IsCancellationRequested) return new OperationCanceledException("The caller cancelled the model call.", e, callerCt);
        if (cut)
            return new ProviderException(ProviderErrorKind.StreamCut,
                $"{provider}: the stream broke off ({(e is OperationCanceledException ? "no data within the idle timeout" : credential.Scrub(e.Message))}).",
                requestId: requestId, innerException: e is OperationCanceledException ? e : null);
        return e is OperationCanceledException
            ? new ProviderException(ProviderErrorKind.Timeout, $"{provider} did not answer in time.", requestId: requestId, innerException: e)
            : new ProviderException(cut ? ProviderErrorKind.StreamCut : ProviderErrorKind.ConnectionFailed,
                $"{provider}: the connection failed{(cut ? " during the stream" : "")} ({credential.Scrub(e.Message)}).", requestId: requestId);
    }

    /// <summary>A non-success answer as the typed error its status and error body say.</summary>
    internal static ProviderException ErrorFor(HttpResponseMessage response, string body, string provider, ProviderCredential credential, DateTimeOffset now)
    {
        var status = (int)response.StatusCode;
        var (type, code, message) = ErrorFields(body);
        var kind = status switch
        {
            429 => ProviderErrorKind.RateLimited,
            401 or 403 => ProviderErrorKind.Unauthorized,
            408 => ProviderErrorKind.Timeout,
            >= 500 => ProviderErrorKind.Overloaded,
            _ when IsContentFilter(type) || IsContentFilter(code) => ProviderErrorKind.ContentBlocked,
            >= 400 => ProviderErrorKind.BadRequest,
            _ => ProviderErrorKind.InvalidResponse,
        };
        // A 401's message may quote (part of) the key: it is not repeated.
        var said = kind == ProviderErrorKind.Unauthorized || message is null ? "" : ": " + Shorten(credential.Scrub(message));
        return new ProviderException(kind, $"{provider} answered {status}{(type ?? code) switch { null => "", var t => $" ({t})" }}{said}", status,
            ProviderException.RetryAfterFrom(response.Headers, now), RateLimitInfo.FromHeaders(response.Headers, now), RequestIdOf(response), code ?? type);
    }

    /// <summary>An error reported inside a stream (Anthropic's error event, OpenAI's {"error": …} chunk).</summary>
    internal static ProviderException StreamError(JsonElement error, string provider, ProviderCredential credential, string? requestId)
    {
        var type = Str(error, "type");
        var code = Str(error, "code");
        var kind = type switch
        {
            "rate_limit_error" or "rate_limit_exceeded" or "tokens" or "requests" => ProviderErrorKind.RateLimited,
            "invalid_request_error" or "request_too_large" or "not_found_error" => ProviderErrorKind.BadRequest,
            "authentication_error" or "permission_error" => ProviderErrorKind.Unauthorized,
            "timeout_error" => ProviderErrorKind.Timeout,
            _ when IsContentFilter(type) || IsContentFilter(code) => ProviderErrorKind.ContentBlocked,
            _ => ProviderErrorKind.Overloaded, // overloaded_error, api_error, server_error
        };
        var message = Str(error, "message") is { } m ? ": " + Shorten(credential.Scrub(m)) : "";
        return new ProviderException(kind, $"{provider} reported an error in the stream ({type ?? code ?? "unknown"}){message}", requestId: requestId, providerErrorType: code ?? type);
    }

    private static (string? Type, string? Code, string? Message) ErrorFields(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object)
                return (Str(e, "type"), Str(e, "code"), Str(e, "message"));
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page): the status says enough.
        }
        return (null, null, null);
    }

    private static bool IsContentFilter(string? s) => s is "content_filter" or "content_policy_violation" or "content_filtered";

    internal static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    internal static int Int(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : 0;

    /// <summary>A provider's error message as quoted in ours: at most 300 characters.</summary>
    internal static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + "…";

    /// <summary>Reads server-sent events (event/data fields, blank-line separated), keeping the text read for the audit.</summary>
    internal sealed class SseReader(ProviderCall call, StreamReader reader, TimeSpan idle)
    {
        private readonly StringBuilder _raw = new();

        /// <summary>What was read so far, the credential removed.</summary>
        public string Raw => call._credential.Scrub(_raw.ToString());

        /// <summary>The next event, or null at the end of the body (an unfinished last event is dropped, as the SSE rules say).</summary>
        public async Task<(string? Event, string Data)?> NextAsync()
        {
            string? name = null;
            var data = new StringBuilder();
            var hasData = false;
            while (true)
            {
                string? line;
                try
                {
                    call._cts.CancelAfter(idle);
                    line = await reader.ReadLineAsync(call._cts.Token);
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
                {
                    throw Translate(e, call._provider, call._credential, call._callerCt, cut: true, call.RequestId);
                }
                if (line is null) return null;
                _raw.Append(line).Append('\n');
                if (line.Length == 0)
                {
                    if (hasData) return (name, data.ToString());
                    name = null;
                    continue;
                }
                if (line[0] == ':') continue;
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var field = colon < 0 ? line : line[..colon];
                var value = colon < 0 ? "" : line[(colon + 1)..];
                if (value.StartsWith(' ')) value = value[1..];
                if (field == "event") name = value;
                else if (field == "data")
                {
                    if (hasData) data.Append('\n');
                    data.Append(value);
                    hasData = true;
                }
            }
        }

        public ProviderException Cut(string what) =>
            new(ProviderErrorKind.StreamCut, $"{call._provider}: the stream ended before {what}.", (int)call.Response.StatusCode, requestId: call.RequestId);
    }
}
