using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace AgentOps.Sdk;

/// <summary>
/// The transport: a bounded queue the callers write to, one worker that batches (by count, bytes and time), compresses,
/// sends and retries, and the counters. Recording only touches the queue and a few interlocked counters.
/// </summary>
public sealed partial class AgentOpsClient
{
    /// <summary>How often <see cref="FlushAsync(TimeSpan?, CancellationToken)"/> looks whether the queue has drained.</summary>
    private static readonly TimeSpan FlushPollInterval = TimeSpan.FromMilliseconds(5);

    /// <summary>How long stopping waits for the worker to notice.</summary>
    private static readonly TimeSpan WorkerStopWait = TimeSpan.FromSeconds(1);

    private readonly ConcurrentQueue<SdkEvent> _queue = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, PausedAgent> _paused = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _rejectedByCode = new(StringComparer.Ordinal);
    private Task? _worker;
    private volatile bool _flushRequested;
    private volatile bool _gzip = true;
    private volatile int _pausedCount;

    // The batch being sent (or waiting to be re-sent), and an event taken from the queue that did not fit the last batch.
    private Batch? _pending;
    private SdkEvent? _carry;

    private int _queued;
    private int _inFlight;
    private long _sent, _retries, _droppedQueueFull, _droppedPaused, _droppedRejected, _droppedInvalid, _batches;

    /// <summary>Halves of batches the server refused as too large (413), sent before anything new is taken off the queue.</summary>
    private readonly Stack<Batch> _splitHalves = new();

    private sealed class PausedAgent
    {
        public long NextProbeTicks;
    }

    private sealed class Batch
    {
        public required byte[] Body { get; init; }
        public byte[]? Gzipped { get; set; }
        public required string[] Agents { get; init; }
        public int Count => Agents.Length;
    }

    private void StartTransport()
    {
        if (_options.Sync) return;
        // The worker must not inherit the creator's ambient activity (its HTTP calls would nest under a caller's span).
        using (ExecutionContext.SuppressFlow())
            _worker = Task.Run(WorkerLoopAsync);
    }

    private void StopTransport()
    {
        _stop.Cancel();
        try { _worker?.Wait(WorkerStopWait); }
        catch (AggregateException) { /* it was cancelled */ }
    }

    // ---------------------------------------------------------------- the queue

    /// <param name="e">The event.</param>
    /// <param name="mayThrow">Strict mode throws the paused signal from Record* and StartRun, never from ending a run or a span.</param>
    internal void Enqueue(SdkEvent e, bool mayThrow = true)
    {
        if (!_configured) return; // disabled: nothing to send to (warned once at construction)
        if (_pausedCount != 0 && _paused.TryGetValue(e.Agent, out var paused) && Stopwatch.GetTimestamp() < Volatile.Read(ref paused.NextProbeTicks))
        {
            Interlocked.Increment(ref _droppedPaused);
            if (_options.Strict && mayThrow) throw new AgentPausedException(e.Agent);
            return;
        }
        // The bound covers everything held: queued, and the batch taken off the queue that waits for its answer.
        var n = Interlocked.Increment(ref _queued);
        if (n + Volatile.Read(ref _inFlight) > _options.MaxQueueEvents)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _droppedQueueFull);
            WarnThrottled($"the queue is full ({_options.MaxQueueEvents} events): the newest events are dropped (see Stats().DroppedQueueFull)");
            return;
        }
        _queue.Enqueue(e);
        if (!_options.Sync && n % _options.BatchMaxEvents == 0) _wake.Release();
    }

    /// <summary>Events queued or in flight.</summary>
    private int Unsent => Volatile.Read(ref _queued) + Volatile.Read(ref _inFlight);

    private bool TryTake(out SdkEvent e)
    {
        if (_carry is { } carried)
        {
            _carry = null;
            e = carried;
            return true;
        }
        if (_queue.TryDequeue(out e!))
        {
            // In flight first: in between, Unsent (and the queue's bound) may count the event twice, never zero times.
            Interlocked.Increment(ref _inFlight);
            Interlocked.Decrement(ref _queued);
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- the worker

    private async Task WorkerLoopAsync()
    {
        var ct = _stop.Token;
        var interval = _options.FlushInterval;
        var nextTick = Stopwatch.GetTimestamp() + ToTicks(interval);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var wait = nextTick - Stopwatch.GetTimestamp();
                if (wait > 0 && !_flushRequested && _pending is null && Volatile.Read(ref _queued) < _options.BatchMaxEvents)
                    await _wake.WaitAsync(FromTicks(wait), ct).ConfigureAwait(false);
                var due = _flushRequested || Stopwatch.GetTimestamp() >= nextTick;
                if (due)
                {
                    _flushRequested = false;
                    nextTick = Stopwatch.GetTimestamp() + ToTicks(interval);
                }
                await SendAvailableAsync(due, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { break; }
            catch (Exception ex)
            {
                Warn("the sender hit an unexpected error and goes on: " + ex.GetType().Name);
                try { await Task.Delay(interval, ct).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
            }
        }
    }

    /// <summary>Sends full batches (and, when <paramref name="all"/>, the partial one). False when cancelled with a batch unsent.</summary>
    private async Task<bool> SendAvailableAsync(bool all, CancellationToken ct)
    {
        while (true)
        {
            if (_pending is null && _splitHalves.Count > 0) _pending = _splitHalves.Pop();
            if (_pending is null)
            {
                var available = Volatile.Read(ref _queued) + (_carry is null ? 0 : 1);
                if (available == 0 || (!all && available < _options.BatchMaxEvents)) return true;
                _pending = BuildBatch();
                if (_pending is null) continue;
            }
            if (!await SendPendingAsync(ct).ConfigureAwait(false)) return false;
        }
    }

    private readonly ArrayBufferWriter<byte> _eventBuffer = new(4096);
    private Utf8JsonWriter? _eventWriter;

    /// <summary>Takes events off the queue into one batch (≤ BatchMaxEvents, ≤ BatchMaxBytes), dropping paused agents' events.</summary>
    private Batch? BuildBatch()
    {
        var body = new ArrayBufferWriter<byte>(16 * 1024);
        body.Write("{\"batch\":["u8);
        var agents = new List<string>();
        HashSet<string>? probing = null;
        var now = Stopwatch.GetTimestamp();
        while (agents.Count < _options.BatchMaxEvents && TryTake(out var e))
        {
            if (_pausedCount != 0 && _paused.TryGetValue(e.Agent, out var paused) && !(probing?.Contains(e.Agent) ?? false))
            {
                if (now < Volatile.Read(ref paused.NextProbeTicks))
                {
                    Interlocked.Decrement(ref _inFlight);
                    Interlocked.Increment(ref _droppedPaused);
                    continue;
                }
                // Probe: this batch carries the agent's events again; the answer tells whether it was resumed.
                Volatile.Write(ref paused.NextProbeTicks, now + ToTicks(_options.PausedProbeInterval));
                (probing ??= new HashSet<string>(StringComparer.Ordinal)).Add(e.Agent);
            }
            _eventBuffer.Clear();
            if (_eventWriter is null) _eventWriter = new Utf8JsonWriter(_eventBuffer);
            else _eventWriter.Reset(_eventBuffer);
            try
            {
                EventWriter.Write(_eventWriter, e);
                _eventWriter.Flush();
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or JsonException or NotSupportedException)
            {
                Interlocked.Decrement(ref _inFlight);
                Interlocked.Increment(ref _droppedInvalid);
                Warn("an event could not be written as JSON and was dropped: " + ex.GetType().Name);
                _eventWriter = null;
                continue;
            }
            if (agents.Count > 0 && body.WrittenCount + _eventBuffer.WrittenCount + 3 > _options.BatchMaxBytes)
            {
                _carry = e; // still counted in flight
                break;
            }
            if (agents.Count > 0) body.Write(","u8);
            body.Write(_eventBuffer.WrittenSpan);
            agents.Add(e.Agent);
        }
        if (agents.Count == 0) return null;
        body.Write("]}"u8);
        return new Batch { Body = body.WrittenSpan.ToArray(), Agents = [.. agents] };
    }

    /// <summary>
    /// Sends <see cref="_pending"/> until the server takes it, refuses it, or <paramref name="ct"/> is cancelled (then it
    /// stays pending for the next attempt). Retries network errors, 5xx, 408 and 429 with exponential backoff and full
    /// jitter, never sooner than Retry-After.
    /// </summary>
    private async Task<bool> SendPendingAsync(CancellationToken ct)
    {
        var batch = _pending!;
        var attempt = 0;
        while (true)
        {
            if (ct.IsCancellationRequested) return false;
            if (!_configured || _ingestUri is null)
            {
                // Nothing to send to: keep it (bounded by the queue) so a flush reports it unsent.
                await Task.Delay(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false);
            }
            TimeSpan? retryAfter = null;
            var gzipped = false;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, _ingestUri);
                HttpContent content;
                if (_gzip && batch.Body.Length > AgentOpsOptions.GzipThresholdBytes)
                {
                    batch.Gzipped ??= Gzip(batch.Body);
                    content = new ByteArrayContent(batch.Gzipped);
                    content.Headers.ContentEncoding.Add("gzip");
                    gzipped = true;
                }
                else content = new ByteArrayContent(batch.Body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Content = content;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(_options.RequestTimeout);
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status is 200 or 202)
                {
                    Complete(batch, batch.Count);
                    ClearPausedAgents(batch);
                    return true;
                }
                if (status == 207)
                {
                    var body = await response.Content.ReadAsByteArrayAsync(CancellationToken.None).ConfigureAwait(false);
                    Complete(batch, HandleItemResults(batch, body));
                    return true;
                }
                if (status == 415 && gzipped)
                {
                    // A server that does not take compressed bodies: send this and later batches uncompressed.
                    _gzip = false;
                    Warn("the server does not accept gzip-compressed batches; sending them uncompressed");
                    continue;
                }
                if (status == 413 && batch.Count > 1 && Split(batch) is var (first, second))
                {
                    // Above the server's body or burst limit: the same events again, in two smaller batches.
                    _splitHalves.Push(second);
                    _pending = batch = first;
                    attempt = 0;
                    continue;
                }
                if (status is 408 or 429 or >= 500)
                {
                    retryAfter = RetryAfter(response);
                }
                else
                {
                    var code = await ProblemCodeAsync(response).ConfigureAwait(false);
                    Interlocked.Add(ref _droppedRejected, batch.Count);
                    _rejectedByCode.AddOrUpdate(code ?? "http_" + status.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        batch.Count, (_, v) => v + batch.Count);
                    Warn($"the server refused a batch of {batch.Count} events ({status} {code ?? "no code"}); it is dropped");
                    Complete(batch, 0);
                    return true;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return false; }
            catch (OperationCanceledException) { /* the request timed out: retry */ }
            catch (HttpRequestException) { /* network error: retry */ }
            catch (IOException) { /* connection reset: retry */ }

            attempt++;
            Interlocked.Increment(ref _retries);
            var delay = Backoff(attempt, retryAfter);
            try { await Task.Delay(delay, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return false; }
        }
    }

    /// <summary>Full jitter: a uniform delay in [0, min(cap, base × 2^(attempt−1))], never shorter than Retry-After.</summary>
    internal TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        var ceiling = Math.Min(_options.RetryCap.TotalMilliseconds, _options.RetryBase.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30)));
        var jitter = TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
        return retryAfter is { } ra && ra > jitter ? ra : jitter;
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero;
        return null;
    }

    private static async Task<string?> ProblemCodeAsync(HttpResponseMessage response)
    {
        try
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(CancellationToken.None).ConfigureAwait(false);
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String ? code.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonException or HttpRequestException or IOException) { return null; }
    }

    /// <summary>
    /// A 207: counts refused items per code (never re-sent), pauses agents answered <c>agent_paused</c>. Returns the accepted count.
    /// An answer that cannot be read whole (not JSON, an item that is not an object, a status that is not a string) means the
    /// server received the batch: it counts as sent with unknown item results (warned), never re-sent and never thrown.
    /// </summary>
    private int HandleItemResults(Batch batch, byte[] body)
    {
        var accepted = 0;
        HashSet<string>? pausedNow = null;
        List<string>? refusedCodes = null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array)
                return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("accepted", out var a) && a.ValueKind == JsonValueKind.Number && a.TryGetInt32(out var n) ? n : batch.Count;
            // Read every item before counting anything: a malformed one leaves the counters untouched.
            foreach (var item in results.EnumerateArray())
            {
                var status = item.GetProperty("status").GetString();
                if (status != "rejected") { accepted++; continue; }
                var code = item.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() ?? "unknown" : "unknown";
                (refusedCodes ??= []).Add(code);
                if (code == "agent_paused" && item.TryGetProperty("index", out var idx) && idx.ValueKind == JsonValueKind.Number && idx.TryGetInt32(out var i) && i >= 0 && i < batch.Count)
                    (pausedNow ??= new HashSet<string>(StringComparer.Ordinal)).Add(batch.Agents[i]);
            }
        }
        catch (Exception ex)
        {
            Warn($"the server's 207 answer could not be read ({ex.GetType().Name}); the batch is counted as sent");
            return batch.Count;
        }
        foreach (var code in refusedCodes ?? [])
        {
            Interlocked.Increment(ref _droppedRejected);
            _rejectedByCode.AddOrUpdate(code, 1, static (_, v) => v + 1);
            if (code != "agent_paused") WarnThrottled($"the server refused events ({code}); see Stats().RejectedByCode");
        }
        if (pausedNow is not null)
            foreach (var agent in pausedNow) MarkPaused(agent);
        ClearPausedAgents(batch, pausedNow);
        return accepted;
    }

    /// <summary>Splits a batch's body (<c>{"batch":[…]}</c>) in two halves, or null when it cannot be read.</summary>
    private static (Batch, Batch)? Split(Batch batch)
    {
        try
        {
            using var doc = JsonDocument.Parse(batch.Body);
            var events = doc.RootElement.GetProperty("batch");
            var half = events.GetArrayLength() / 2;
            if (half == 0 || events.GetArrayLength() != batch.Count) return null;
            return (Part(events, 0, half, batch.Agents[..half]), Part(events, half, batch.Count, batch.Agents[half..]));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException) { return null; }

        static Batch Part(JsonElement events, int from, int to, string[] agents)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteStartArray("batch");
                var i = 0;
                foreach (var e in events.EnumerateArray())
                {
                    if (i >= from && i < to) e.WriteTo(w);
                    i++;
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            return new Batch { Body = buffer.WrittenSpan.ToArray(), Agents = agents };
        }
    }

    private void Complete(Batch batch, int accepted)
    {
        Interlocked.Add(ref _sent, accepted);
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _inFlight, -batch.Count);
        _pending = null;
    }

    private static byte[] Gzip(byte[] body)
    {
        using var output = new MemoryStream(body.Length / 4 + 64);
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(body, 0, body.Length);
        return output.ToArray();
    }

    // ---------------------------------------------------------------- paused agents

    /// <summary>Whether the server said <paramref name="agent"/> (default: this client's agent) is paused.</summary>
    public bool IsPaused(string? agent = null) => _paused.ContainsKey(agent ?? _options.Agent!);

    internal void MarkPaused(string agent)
    {
        var added = false;
        _paused.GetOrAdd(agent, _ =>
        {
            added = true;
            return new PausedAgent { NextProbeTicks = Stopwatch.GetTimestamp() + ToTicks(_options.PausedProbeInterval) };
        });
        _pausedCount = _paused.Count;
        if (!added) return;
        Warn($"the agent '{agent}' is paused: its events are no longer sent (probing every {_options.PausedProbeInterval.TotalSeconds:0} s)");
        try { _options.OnPaused?.Invoke(agent); }
        catch (Exception ex) { Warn("the OnPaused callback threw " + ex.GetType().Name); }
    }

    internal void ClearPaused(string agent)
    {
        if (_paused.TryRemove(agent, out _)) Warn($"the agent '{agent}' is no longer paused");
        _pausedCount = _paused.Count;
    }

    private void ClearPausedAgents(Batch batch, HashSet<string>? stillPaused = null)
    {
        if (_pausedCount == 0) return;
        foreach (var agent in batch.Agents.Distinct())
            if (stillPaused is null || !stillPaused.Contains(agent)) ClearPaused(agent);
    }

    // ---------------------------------------------------------------- flush and stats

    /// <summary>
    /// Sends what is queued and waits until it is acknowledged or <paramref name="timeout"/> (default 5 s) passes: it
    /// always returns within the timeout (or when <paramref name="cancellationToken"/> fires), with the number of events
    /// still unsent. In synchronous mode it sends on the calling task.
    /// </summary>
    public async Task<FlushResult> FlushAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? AgentOpsOptions.DefaultFlushTimeout;
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            if (_options.Sync || _worker is null || _worker.IsCompleted)
            {
                if (await _sendLock.WaitAsync(limit, deadline.Token).ConfigureAwait(false))
                {
                    var saved = Activity.Current;
                    Activity.Current = null; // the SDK's own requests do not belong to the caller's span
                    try { await SendAvailableAsync(all: true, deadline.Token).ConfigureAwait(false); }
                    finally
                    {
                        Activity.Current = saved;
                        _sendLock.Release();
                    }
                }
            }
            else
            {
                _flushRequested = true;
                _wake.Release();
                while (Unsent > 0 && !deadline.IsCancellationRequested)
                    await Task.Delay(FlushPollInterval, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested) { /* the timeout: report what is left */ }
        catch (ObjectDisposedException) { /* disposed meanwhile */ }
        var unsent = Unsent;
        var elapsed = Stopwatch.GetElapsedTime(started);
        return new FlushResult(unsent, unsent > 0 && (elapsed >= limit || (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)), elapsed);
    }

    /// <summary>Blocking flush for Dispose, process exit and synchronous runs (no synchronization context is captured).</summary>
    internal FlushResult FlushSyncBlocking(TimeSpan timeout)
    {
        if (Volatile.Read(ref _disposed) != 0 && _stop.IsCancellationRequested) return new FlushResult(Unsent, false, TimeSpan.Zero);
        return Task.Run(() => FlushAsync(timeout)).GetAwaiter().GetResult();
    }

    /// <summary>The client's counters.</summary>
    public SdkStats Stats() => new()
    {
        Queued = Unsent,
        Sent = Interlocked.Read(ref _sent),
        Retries = Interlocked.Read(ref _retries),
        DroppedQueueFull = Interlocked.Read(ref _droppedQueueFull),
        DroppedPaused = Interlocked.Read(ref _droppedPaused),
        DroppedRejected = Interlocked.Read(ref _droppedRejected),
        DroppedInvalid = Interlocked.Read(ref _droppedInvalid),
        RejectedByCode = new Dictionary<string, long>(_rejectedByCode, StringComparer.Ordinal),
        Batches = Interlocked.Read(ref _batches),
    };

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static TimeSpan FromTicks(long ticks) => TimeSpan.FromSeconds((double)ticks / Stopwatch.Frequency);
}
