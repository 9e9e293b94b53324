namespace AgentOps.Ingest;

/// <summary>
/// How far processing is behind acceptance, as the front door sees it. Above
/// <see cref="IngestOptions.MaxBacklogEvents"/> ingest sheds load with 503 ingest_backlogged and Retry-After
/// (SDKs and OTLP exporters retry it), so lag stays bounded instead of growing for as long as clients outpace the
/// workers. The self-host runtime samples its queue table every <see cref="SampleInterval"/>; a host without a sampler never sheds.
/// </summary>
public sealed class IngestBacklog(IngestOptions options)
{
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(100);
    private long _events;

    public long Events => Interlocked.Read(ref _events);

    public void Report(long events) => Interlocked.Exchange(ref _events, events);

    public void ThrowIfOverloaded()
    {
        if (Events > options.MaxBacklogEvents)
            throw new ApiProblem(503, "ingest_backlogged", "Service unavailable",
                $"Processing is {Events} events behind; nothing in this request was accepted. Retry after the Retry-After delay.") { RetryAfterSeconds = 1 };
    }
}
