namespace AgentOps.Sdk;

/// <summary>
/// How an <see cref="AgentOpsClient"/> connects and how much it may buffer. Every limit is the shared SDK contract's
/// (sdk/README.md); the defaults are the contract's defaults.
/// </summary>
public sealed class AgentOpsOptions
{
    /// <summary>Default queue bound: events held in memory before the newest are dropped.</summary>
    public const int DefaultMaxQueueEvents = 10_000;

    /// <summary>Default events per batch (the server takes 1,000).</summary>
    public const int DefaultBatchMaxEvents = 500;

    /// <summary>Default batch size before compression (the server takes 5 MiB).</summary>
    public const int DefaultBatchMaxBytes = 1024 * 1024;

    /// <summary>Bodies larger than this are gzip-compressed.</summary>
    public const int GzipThresholdBytes = 1024;

    /// <summary>Default time a partial batch waits before it is sent.</summary>
    public static readonly TimeSpan DefaultFlushInterval = TimeSpan.FromSeconds(1);

    /// <summary>Default first retry delay (full jitter: a random delay up to base × 2^attempt).</summary>
    public static readonly TimeSpan DefaultRetryBase = TimeSpan.FromMilliseconds(500);

    /// <summary>Default longest retry delay (a server's Retry-After can ask for more).</summary>
    public static readonly TimeSpan DefaultRetryCap = TimeSpan.FromSeconds(30);

    /// <summary>Default interval at which a paused agent's next batch is sent again, to notice a resume.</summary>
    public static readonly TimeSpan DefaultPausedProbeInterval = TimeSpan.FromSeconds(30);

    /// <summary>Default <see cref="AgentOpsClient.FlushAsync(TimeSpan?, CancellationToken)"/> timeout.</summary>
    public static readonly TimeSpan DefaultFlushTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Flush budget at process exit (AppDomain.ProcessExit).</summary>
    public static readonly TimeSpan ProcessExitFlushTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Default timeout of one ingest request.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(30);
    /// <summary>Default timeout of one policy check request.</summary>
    public static readonly TimeSpan DefaultPolicyTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The agent name used when neither <see cref="Agent"/> nor <c>AGENTOPS_AGENT</c> is set.</summary>
    public const string DefaultAgent = "default";

    /// <summary>The AgentOps server, e.g. <c>https://agentops.example.com</c>. Falls back to <c>AGENTOPS_URL</c>.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>An API key with the <c>ingest</c> scope (and <c>write</c> to register agents by name, <c>read</c> to wait on approvals). Falls back to <c>AGENTOPS_API_KEY</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The agent's name or id; unknown names are registered on first use. Falls back to <c>AGENTOPS_AGENT</c>, then <c>default</c>.</summary>
    public string? Agent { get; set; }

    /// <summary>The environment recorded on runs (e.g. <c>production</c>); optional. Falls back to <c>AGENTOPS_ENVIRONMENT</c>.</summary>
    public string? Environment { get; set; }

    /// <summary>Synchronous (serverless) mode: no background worker; ending a run and flushing send before they return.</summary>
    public bool Sync { get; set; }

    /// <summary>Strict mode: configuration and validation problems, and a paused agent, throw from Record* instead of being logged.</summary>
    public bool Strict { get; set; }

    /// <summary>Queue bound; when full the newest event is dropped and counted (<c>dropped_queue_full</c>).</summary>
    public int MaxQueueEvents { get; set; } = DefaultMaxQueueEvents;

    /// <summary>A batch is sent once it holds this many events.</summary>
    public int BatchMaxEvents { get; set; } = DefaultBatchMaxEvents;

    /// <summary>A batch is sent once its JSON reaches this many bytes (before compression).</summary>
    public int BatchMaxBytes { get; set; } = DefaultBatchMaxBytes;

    /// <summary>A partial batch is sent after this long.</summary>
    public TimeSpan FlushInterval { get; set; } = DefaultFlushInterval;

    /// <summary>Retry backoff base.</summary>
    public TimeSpan RetryBase { get; set; } = DefaultRetryBase;

    /// <summary>Retry backoff cap.</summary>
    public TimeSpan RetryCap { get; set; } = DefaultRetryCap;

    /// <summary>How often a paused agent's events are tried again.</summary>
    public TimeSpan PausedProbeInterval { get; set; } = DefaultPausedProbeInterval;

    /// <summary>Timeout of one ingest request.</summary>
    public TimeSpan RequestTimeout { get; set; } = DefaultRequestTimeout;
    /// <summary>Timeout of one policy check request.</summary>
    public TimeSpan PolicyTimeout { get; set; } = DefaultPolicyTimeout;
    /// <summary>
    /// The decision <see cref="AgentOpsClient.CheckPolicyAsync"/> answers when it cannot ask the server (not configured,
    /// unreachable, or an error answer): <see cref="Decision.Block"/> (default) or <see cref="Decision.Allow"/>. Its
    /// <see cref="PolicyDecision.FromServer"/> is false. Strict mode throws <see cref="AgentOpsException"/> instead.
    /// </summary>
    public Decision PolicyFallback { get; set; } = Decision.Block;

    /// <summary>Called once when an agent becomes paused (on the worker thread; exceptions are swallowed).</summary>
    public Action<string>? OnPaused { get; set; }

    /// <summary>Where the SDK's own warnings go (never secrets). Default: <see cref="System.Diagnostics.Trace"/>.</summary>
    public Action<string>? Logger { get; set; }

    /// <summary>How long Dispose/DisposeAsync flush before stopping the worker (default 5 s).</summary>
    public TimeSpan DisposeFlushTimeout { get; set; } = DefaultFlushTimeout;

    /// <summary>Flush (2 s) when the process exits. On by default.</summary>
    public bool FlushOnExit { get; set; } = true;

    /// <summary>The HTTP handler to send with (tests, proxies). The client owns it unless <see cref="DisposeHandler"/> is false.</summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>Whether the client disposes <see cref="HttpHandler"/>.</summary>
    public bool DisposeHandler { get; set; } = true;

    internal AgentOpsOptions Resolved()
    {
        var copy = (AgentOpsOptions)MemberwiseClone();
        if (copy.Endpoint is null && System.Environment.GetEnvironmentVariable("AGENTOPS_URL") is { Length: > 0 } url
            && Uri.TryCreate(url, UriKind.Absolute, out var parsed))
            copy.Endpoint = parsed;
        if (string.IsNullOrEmpty(copy.Environment))
            copy.Environment = System.Environment.GetEnvironmentVariable("AGENTOPS_ENVIRONMENT") is { Length: > 0 } env ? env : null;
        if (string.IsNullOrEmpty(copy.ApiKey))
            copy.ApiKey = System.Environment.GetEnvironmentVariable("AGENTOPS_API_KEY");
        if (string.IsNullOrEmpty(copy.Agent))
            copy.Agent = System.Environment.GetEnvironmentVariable("AGENTOPS_AGENT") is { Length: > 0 } a ? a : DefaultAgent;
        copy.MaxQueueEvents = Math.Max(1, copy.MaxQueueEvents);
        copy.BatchMaxEvents = Math.Clamp(copy.BatchMaxEvents, 1, 1000);
        copy.BatchMaxBytes = Math.Clamp(copy.BatchMaxBytes, 1024, 5 * 1024 * 1024);
        if (copy.FlushInterval <= TimeSpan.Zero) copy.FlushInterval = DefaultFlushInterval;
        if (copy.PolicyTimeout <= TimeSpan.Zero) copy.PolicyTimeout = DefaultPolicyTimeout;
        if (copy.PolicyFallback is not (Decision.Allow or Decision.Block)) copy.PolicyFallback = Decision.Block;
        return copy;
    }
}
