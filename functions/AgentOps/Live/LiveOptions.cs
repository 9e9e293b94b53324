namespace AgentOps.Live;

/// <summary>The live stream's limits, read and validated by <see cref="LiveModule"/>.</summary>
public sealed record LiveOptions
{
    /// <summary>
    /// How long one stream stays open before the server ends it and the client reconnects: the reconnect authenticates
    /// again, so a revoked session or key stops receiving hints within this time (as long as an access token lives).
    /// Each reconnect costs the client one request and a re-read of what it shows, so the default keeps an idle
    /// dashboard under one request a minute.
    /// </summary>
    public TimeSpan StreamLifetime { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>A comment line this often keeps proxies and load balancers from closing an idle stream.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Open streams one replica serves at most; beyond, 503 live_streams_full with Retry-After.</summary>
    public int MaxStreams { get; init; } = 2000;

    /// <summary>Open streams one organization may hold on one replica (a tab each); beyond, 503 live_streams_full.</summary>
    public int MaxStreamsPerOrg { get; init; } = 200;

    /// <summary>Reads AGENTOPS_LIVE_STREAM_SECONDS (30–3600), AGENTOPS_LIVE_HEARTBEAT_SECONDS (1–120), AGENTOPS_LIVE_MAX_STREAMS (1–100000), AGENTOPS_LIVE_MAX_STREAMS_PER_ORG (1–100000).</summary>
    public static LiveOptions Read(Settings settings) => new()
    {
        StreamLifetime = TimeSpan.FromSeconds(settings.Int("AGENTOPS_LIVE_STREAM_SECONDS", 900, 30, 3600)),
        Heartbeat = TimeSpan.FromSeconds(settings.Int("AGENTOPS_LIVE_HEARTBEAT_SECONDS", 20, 1, 120)),
        MaxStreams = settings.Int("AGENTOPS_LIVE_MAX_STREAMS", 2000, 1, 100_000),
        MaxStreamsPerOrg = settings.Int("AGENTOPS_LIVE_MAX_STREAMS_PER_ORG", 200, 1, 100_000),
    };
}
