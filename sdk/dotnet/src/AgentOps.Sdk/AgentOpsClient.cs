using System.Diagnostics;
using System.Net.Http.Headers;
using System.Reflection;

namespace AgentOps.Sdk;

/// <summary>
/// The AgentOps client: runs and spans as <see cref="Activity"/> objects of the <c>AgentOps.Sdk</c> source, events
/// recorded onto a bounded in-memory queue and sent by one background worker (or, in synchronous mode, when a run ends
/// or on <see cref="FlushAsync(TimeSpan?, CancellationToken)"/>). Recording never waits for the network and never throws
/// unless <see cref="AgentOpsOptions.Strict"/> is set. Thread-safe; create one per process.
/// </summary>
public sealed partial class AgentOpsClient : IDisposable, IAsyncDisposable
{
    /// <summary>The name of the SDK's <see cref="ActivitySource"/>: add it to an OpenTelemetry pipeline (<c>.AddSource(AgentOpsClient.SourceName)</c>) to export runs, spans and LLM calls there too.</summary>
    public const string SourceName = "AgentOps.Sdk";

    private const string StateProperty = "agentops.state";

    private static readonly string Version = typeof(AgentOpsClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";

    /// <summary>Runs and spans. The SDK listens to this instance itself (it samples everything it starts).</summary>
    internal static readonly ActivitySource Source = new(SourceName, Version);

    /// <summary>
    /// LLM calls as child activities, under the same name so <c>.AddSource("AgentOps.Sdk")</c> exports them; the SDK
    /// does not listen to this instance, so when nothing else does no activity is made on the recording path.
    /// </summary>
    internal static readonly ActivitySource LlmSource = new(SourceName, Version);

    private readonly AgentOpsOptions _options;
    private readonly ActivityListener _listener;
    private readonly HttpClient _http;
    private readonly Uri? _ingestUri;
    private readonly bool _configured;

    /// <summary>The run id of policy checks made outside any run (one per client, so that their steps stay idempotent).</summary>
    private readonly string _adHocRunId = Ids.New();

    /// <summary>Set when the server refused a policy check's <c>step</c> (a server older than idempotent steps).</summary>
    private volatile bool _stepUnsupported;
    private int _disposed;

    /// <summary>Creates a client from environment variables only (AGENTOPS_URL, AGENTOPS_API_KEY, AGENTOPS_AGENT).</summary>
    public AgentOpsClient() : this(new AgentOpsOptions()) { }

    /// <summary>Creates a client; missing endpoint, key or agent fall back to AGENTOPS_URL, AGENTOPS_API_KEY, AGENTOPS_AGENT.</summary>
    public AgentOpsClient(AgentOpsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Resolved();
        _configured = _options.Endpoint is not null && !string.IsNullOrEmpty(_options.ApiKey);
        if (!_configured)
        {
            if (_options.Strict) throw new AgentOpsException("AgentOps is not configured: set Endpoint and ApiKey (or AGENTOPS_URL and AGENTOPS_API_KEY).");
            Warn("AgentOps is not configured (no endpoint or API key): nothing will be sent, and policy checks answer PolicyFallback.");
        }

        var handler = _options.HttpHandler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = System.Net.DecompressionMethods.All,
        };
        _http = new HttpClient(handler, _options.HttpHandler is null || _options.DisposeHandler) { Timeout = Timeout.InfiniteTimeSpan };
        if (_options.Endpoint is not null)
        {
            // A trailing slash keeps a path prefix (https://host/agentops/) in front of the API routes.
            _http.BaseAddress = _options.Endpoint.AbsoluteUri.EndsWith('/') ? _options.Endpoint : new Uri(_options.Endpoint.AbsoluteUri + "/");
            _ingestUri = new Uri(_http.BaseAddress, "api/v1/ingest");
        }
        if (!string.IsNullOrEmpty(_options.ApiKey))
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _options.ApiKey);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("agentops-sdk-dotnet", Version.Split('+')[0]));

        _listener = new ActivityListener
        {
            ShouldListenTo = source => ReferenceEquals(source, Source),
            // All data, but not "recorded": the SDK needs every run and span, while whether they are sampled for
            // tracing (the W3C flag, what an OpenTelemetry pipeline exports) stays its sampler's decision.
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = OnActivityStopped,
        };
        ActivitySource.AddActivityListener(_listener);

        StartTransport();
        if (_options.FlushOnExit) AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>The resolved options (environment fallbacks applied).</summary>
    public AgentOpsOptions Options => _options;

    /// <summary>The default agent of this client.</summary>
    public string Agent => _options.Agent!;

    internal bool IsSync => _options.Sync;

    // ---------------------------------------------------------------- runs and spans

    /// <summary>
    /// Starts a run: records <c>run.start</c> and makes the run's activity current (a new trace linked to the activity
    /// that was current). Dispose it, or call <see cref="AgentRun.End"/>, to end it.
    /// </summary>
    public AgentRun StartRun(string name, string? agent = null, object? input = null,
        IReadOnlyList<string>? tags = null, IEnumerable<KeyValuePair<string, object?>>? metadata = null)
    {
        var previous = Activity.Current;
        var runAgent = string.IsNullOrEmpty(agent) ? _options.Agent! : agent;
        Activity.Current = null;
        Activity? activity = null;
        try
        {
            activity = previous is null
                ? Source.StartActivity(name, ActivityKind.Internal)
                : Source.StartActivity(name, ActivityKind.Internal, default(ActivityContext), links: [new ActivityLink(previous.Context)]);
        }
        catch (Exception ex) when (!_options.Strict) { Warn("could not start the run's activity: " + ex.GetType().Name); }
        activity ??= new Activity(name).SetIdFormat(ActivityIdFormat.W3C).Start();
        var state = new RunState { RunId = activity.TraceId.ToHexString(), Agent = runAgent };
        activity.SetCustomProperty(StateProperty, new SpanState { Client = this, EventId = Ids.New(), Run = state, IsRun = true });
        activity.SetTag(GenAi.AgentName, runAgent);
        activity.SetTag("agentops.run_id", state.RunId);

        var e = new SdkEvent
        {
            Kind = EventKind.RunStart, Id = Ids.New(), Timestamp = activity.StartTimeUtc, RunId = state.RunId, Agent = runAgent,
            Name = name, Input = input, Tags = tags, Metadata = metadata, Environment = _options.Environment,
        };
        try { Enqueue(e); }
        catch (AgentPausedException)
        {
            // Strict mode and a paused agent: no run starts, and the caller's context is left as it was.
            activity.Stop();
            Activity.Current = previous;
            throw;
        }
        return new AgentRun(this, activity, state, previous);
    }

    internal void RecordRunEnd(AgentRun run, string status, object? output, string? error)
    {
        var e = new SdkEvent
        {
            Kind = EventKind.RunEnd, Id = Ids.New(), Timestamp = DateTimeOffset.UtcNow, RunId = run.State.RunId, Agent = run.State.Agent,
            Status = status, Output = output, Error = error,
        };
        e.EndedAt = e.Timestamp;
        Enqueue(e, mayThrow: false);
    }

    /// <summary>
    /// Runs <paramref name="body"/> in a new run (current inside it) and ends the run <c>succeeded</c>, or <c>failed</c>
    /// with the exception's message when one escapes (<c>cancelled</c> for an <see cref="OperationCanceledException"/>);
    /// the exception is re-thrown. (A <c>using</c> block cannot see an escaping exception: its run ends
    /// <c>succeeded</c> unless you call <c>End("failed")</c>.)
    /// </summary>
    public async Task<T> RunAsync<T>(string name, Func<AgentRun, Task<T>> body, string? agent = null, object? input = null,
        IReadOnlyList<string>? tags = null, IEnumerable<KeyValuePair<string, object?>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        var run = StartRun(name, agent, input, tags, metadata);
        T result;
        try { result = await body(run).ConfigureAwait(false); }
        catch (OperationCanceledException ex)
        {
            await run.EndAsync("cancelled", error: ex.Message).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex)
        {
            await run.EndAsync("failed", error: ex.GetType().Name + ": " + ex.Message).ConfigureAwait(false);
            throw;
        }
        await run.EndAsync("succeeded").ConfigureAwait(false);
        return result;
    }

    /// <summary><see cref="RunAsync{T}"/> for a body without a result.</summary>
    public Task RunAsync(string name, Func<AgentRun, Task> body, string? agent = null, object? input = null,
        IReadOnlyList<string>? tags = null, IEnumerable<KeyValuePair<string, object?>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        return RunAsync<bool>(name, async run => { await body(run).ConfigureAwait(false); return true; }, agent, input, tags, metadata);
    }

    /// <summary>
    /// Starts a span under <paramref name="parent"/> (a span, or a run's <see cref="AgentRun.Activity"/>), else under
    /// <see cref="Activity.Current"/>, and makes it current. Dispose it to end it; it is then recorded as a <c>span</c>
    /// event. Tags set on it are kept in the event's metadata; <see cref="Activity.SetStatus"/> Error records its error.
    /// </summary>
    public Activity StartSpan(string name, Activity? parent = null, ActivityKind kind = ActivityKind.Internal)
    {
        if (parent is not null) Activity.Current = parent;
        var context = FindState(Activity.Current);
        Activity? activity = null;
        try { activity = Source.StartActivity(name, kind); }
        catch (Exception ex) when (!_options.Strict) { Warn("could not start a span: " + ex.GetType().Name); }
        if (activity is null) return new Activity(name).Start();
        if (context is null)
        {
            NoRun("StartSpan");
            return activity;
        }
        activity.SetCustomProperty(StateProperty, new SpanState
        {
            Client = this, EventId = Ids.New(), Run = context.Run, ParentEventId = context.IsRun ? null : context.EventId,
        });
        return activity;
    }

    /// <summary>The nearest activity of this SDK at or above <paramref name="activity"/> (other instrumentation in between is skipped).</summary>
    internal static SpanState? FindState(Activity? activity)
    {
        for (var a = activity; a is not null; a = a.Parent)
            if (a.GetCustomProperty(StateProperty) is SpanState s) return s;
        return null;
    }

    /// <summary>The run the current context is in, if any.</summary>
    public static string? CurrentRunId => FindState(Activity.Current)?.Run.RunId;

    private void OnActivityStopped(Activity activity)
    {
        try
        {
            if (activity.GetCustomProperty(StateProperty) is not SpanState { IsRun: false } state || !ReferenceEquals(state.Client, this)) return;
            var e = new SdkEvent
            {
                Kind = EventKind.Span, Id = state.EventId, Timestamp = activity.StartTimeUtc, RunId = state.Run.RunId, Agent = state.Run.Agent,
                ParentId = state.ParentEventId, Name = activity.DisplayName, EndedAt = activity.StartTimeUtc + activity.Duration,
                LatencyMs = (long)activity.Duration.TotalMilliseconds,
            };
            if (activity.Status == ActivityStatusCode.Error) e.Error = activity.StatusDescription ?? "error";
            List<KeyValuePair<string, object?>>? tags = null;
            foreach (var tag in activity.TagObjects)
            {
                if (tag.Key.StartsWith("agentops.", StringComparison.Ordinal)) continue;
                (tags ??= []).Add(tag);
            }
            e.Metadata = tags;
            Enqueue(e, mayThrow: false);
        }
        catch (Exception ex) when (!_options.Strict) { Warn("could not record a span: " + ex.GetType().Name); }
    }

    // ---------------------------------------------------------------- recording

    /// <summary>
    /// Records an LLM call in the current span (or <paramref name="parent"/>): model, provider, tokens (input counts
    /// every input token, cached included), latency, time to first token for streams and an optional client cost. Its
    /// metadata carries the OpenTelemetry GenAI attributes; when an OpenTelemetry pipeline listens to
    /// <c>AgentOps.Sdk</c> it is also a child activity with those tags.
    /// </summary>
    public void RecordLlmCall(string model, string? provider = null, long tokensIn = 0, long tokensOut = 0, long tokensCached = 0,
        TimeSpan latency = default, TimeSpan? timeToFirstToken = null, double? costUsd = null, object? input = null, object? output = null,
        string? responseModel = null, Activity? parent = null)
    {
        try
        {
            if (string.IsNullOrEmpty(model)) { Invalid("RecordLlmCall: a model is required"); return; }
            var state = Context(parent, "RecordLlmCall");
            if (state is null) return;
            var e = NewEvent(EventKind.LlmCall, state);
            e.Model = model;
            e.ResponseModel = responseModel;
            e.Provider = provider;
            e.TokensIn = Math.Max(0, tokensIn);
            e.TokensOut = Math.Max(0, tokensOut);
            e.TokensCached = Math.Max(0, tokensCached);
            e.LatencyMs = (long)Math.Max(0, latency.TotalMilliseconds);
            if (latency > TimeSpan.Zero) e.Timestamp -= latency; // recorded when it ended: the timestamp is its start
            if (timeToFirstToken is { } ttft) e.TimeToFirstChunkS = ttft.TotalSeconds;
            if (costUsd is { } cost && double.IsFinite(cost) && cost >= 0) e.CostUsd = cost;
            e.Input = input;
            e.Output = output;
            if (LlmSource.HasListeners()) EmitLlmActivity(e, parent ?? Activity.Current, latency);
            Enqueue(e);
        }
        catch (Exception ex) when (!_options.Strict || ex is not (AgentPausedException or AgentOpsException)) { Swallow(ex); }
    }

    private static void EmitLlmActivity(SdkEvent e, Activity? parent, TimeSpan latency)
    {
        var saved = Activity.Current;
        try
        {
            using var a = LlmSource.StartActivity("chat " + e.Model, ActivityKind.Client, parent?.Context ?? default,
                startTime: e.Timestamp);
            if (a is null) return;
            a.SetTag(GenAi.OperationName, "chat");
            if (e.Provider is not null) a.SetTag(GenAi.ProviderName, e.Provider);
            a.SetTag(GenAi.RequestModel, e.Model);
            a.SetTag(GenAi.ResponseModel, e.ResponseModel ?? e.Model);
            a.SetTag(GenAi.InputTokens, e.TokensIn);
            a.SetTag(GenAi.OutputTokens, e.TokensOut);
            a.SetTag(GenAi.CacheReadInputTokens, e.TokensCached);
            if (!double.IsNaN(e.TimeToFirstChunkS)) a.SetTag(GenAi.TimeToFirstChunk, e.TimeToFirstChunkS);
            a.SetTag("agentops.event_id", e.Id);
            a.SetEndTime((e.Timestamp + latency).UtcDateTime);
        }
        finally { Activity.Current = saved; }
    }

    /// <summary>Records a tool call (its arguments and result, latency, error).</summary>
    public void RecordToolCall(string tool, object? input = null, object? output = null, TimeSpan latency = default, string? error = null, Activity? parent = null)
    {
        try
        {
            if (string.IsNullOrEmpty(tool)) { Invalid("RecordToolCall: a tool name is required"); return; }
            var state = Context(parent, "RecordToolCall");
            if (state is null) return;
            var e = NewEvent(EventKind.ToolCall, state);
            e.ToolName = tool;
            e.Input = input;
            e.Output = output;
            e.LatencyMs = (long)Math.Max(0, latency.TotalMilliseconds);
            if (latency > TimeSpan.Zero) e.Timestamp -= latency;
            e.Error = error;
            Enqueue(e);
        }
        catch (Exception ex) when (!_options.Strict || ex is not (AgentPausedException or AgentOpsException)) { Swallow(ex); }
    }

    /// <summary>Records an action with an effect outside the agent (an e-mail sent, a refund made).</summary>
    public void RecordExternalAction(string name, object? input = null, object? output = null, Activity? parent = null)
    {
        try
        {
            if (string.IsNullOrEmpty(name)) { Invalid("RecordExternalAction: a name is required"); return; }
            var state = Context(parent, "RecordExternalAction");
            if (state is null) return;
            var e = NewEvent(EventKind.ExternalAction, state);
            e.Name = name;
            e.Input = input;
            e.Output = output;
            Enqueue(e);
        }
        catch (Exception ex) when (!_options.Strict || ex is not (AgentPausedException or AgentOpsException)) { Swallow(ex); }
    }

    /// <summary>Records a log line (its first 256 characters are the event's name; a longer message is kept whole as its output).</summary>
    public void Log(string message, string level = "info", Activity? parent = null)
    {
        try
        {
            if (message is null) { Invalid("Log: a message is required"); return; }
            var state = Context(parent, "Log");
            if (state is null) return;
            var e = NewEvent(EventKind.Log, state);
            e.Name = message;
            if (message.Length > EventWriter.MaxNameLength) e.Output = message;
            e.Metadata = [new("level", level)];
            Enqueue(e);
        }
        catch (Exception ex) when (!_options.Strict || ex is not (AgentPausedException or AgentOpsException)) { Swallow(ex); }
    }

    /// <summary>Records an error (the exception's type is the event's name, its message the error; no stack trace is sent).</summary>
    public void RecordError(Exception exception, Activity? parent = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        RecordErrorCore(exception.GetType().Name + ": " + exception.Message, exception.GetType().Name, parent);
    }

    /// <summary>Records an error.</summary>
    public void RecordError(string message, string? name = null, Activity? parent = null) => RecordErrorCore(message, name, parent);

    /// <summary>An <c>error</c>: its name the exception's type (else <c>error</c>), its error "type: message", and the type as <c>exception.type</c>.</summary>
    private void RecordErrorCore(string message, string? type, Activity? parent)
    {
        try
        {
            var state = Context(parent, "RecordError");
            if (state is null) return;
            var e = NewEvent(EventKind.Error, state);
            e.Name = type ?? "error";
            e.Error = message;
            if (type is not null) e.Metadata = [new("exception.type", type)];
            Enqueue(e);
        }
        catch (Exception ex) when (!_options.Strict || ex is not (AgentPausedException or AgentOpsException)) { Swallow(ex); }
    }

    /// <summary>Records a score (an evaluation of the run or of a step).</summary>
    public void RecordScore(string name, double value, string? comment = null, Activity? parent = null)
    {
        try
        {
            if (string.IsNullOrEmpty(name)) { Invalid("RecordScore: a name is required"); return; }
            var state = Context(parent, "RecordScore");
            if (state is null) return;
            if (!double.IsFinite(value)) { Invalid("RecordScore: the value must be a finite number"); return; }
            var e = NewEvent(EventKind.Score, state);
            e.Name = name;
            e.Score = value;
            if (comment is not null) e.Metadata = [new("comment", comment)];
            Enqueue(e);
        }
        catch (Exception ex) when (!_options.Strict || ex is not (AgentPausedException or AgentOpsException)) { Swallow(ex); }
    }

    private SpanState? Context(Activity? parent, string operation)
    {
        var state = FindState(parent ?? Activity.Current);
        if (state is null) NoRun(operation);
        return state;
    }

    private static SdkEvent NewEvent(EventKind kind, SpanState state) => new()
    {
        Kind = kind, Id = Ids.New(), Timestamp = DateTimeOffset.UtcNow, RunId = state.Run.RunId, Agent = state.Run.Agent,
        ParentId = state.IsRun ? null : state.EventId,
    };

    private void NoRun(string operation) => Invalid(operation + " was called outside a run (start one with StartRun): the event is dropped");

    private void Invalid(string message)
    {
        Interlocked.Increment(ref _droppedInvalid);
        if (_options.Strict) throw new AgentOpsException(message);
        Warn(message);
    }

    private void Swallow(Exception ex) => Warn("recording failed and was skipped: " + ex.GetType().Name + ": " + ex.Message);

    // ---------------------------------------------------------------- logging

    private long _lastWarnTicks;

    internal void Warn(string message)
    {
        try
        {
            if (_options.Logger is { } logger) logger("AgentOps: " + message);
            else Trace.TraceWarning("AgentOps: " + message);
        }
        catch (Exception) { /* the agent's logger must not break the agent */ }
    }

    /// <summary>At most one warning a minute about drops (the counters have the numbers).</summary>
    private void WarnThrottled(string message)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastWarnTicks);
        if (last != 0 && now - last < 60_000) return;
        if (Interlocked.CompareExchange(ref _lastWarnTicks, now, last) == last) Warn(message);
    }

    // ---------------------------------------------------------------- lifetime

    private void OnProcessExit(object? sender, EventArgs e)
    {
        try { FlushSyncBlocking(AgentOpsOptions.ProcessExitFlushTimeout); }
        catch (Exception) { /* exiting anyway */ }
    }

    /// <summary>Flushes (<see cref="AgentOpsOptions.DisposeFlushTimeout"/>) and stops the worker.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try { FlushSyncBlocking(_options.DisposeFlushTimeout); }
        finally { Shutdown(); }
    }

    /// <summary>Flushes (<see cref="AgentOpsOptions.DisposeFlushTimeout"/>) and stops the worker.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try { await FlushAsync(_options.DisposeFlushTimeout).ConfigureAwait(false); }
        finally { Shutdown(); }
    }

    private void Shutdown()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        StopTransport();
        _listener.Dispose();
        _http.Dispose();
    }
}
