using AgentOps.Ingest;
using Microsoft.Extensions.Logging;

namespace AgentOps.SelfHost.Ingest;

/// <summary>The self-host's sampler: the accepted-batches table's event count, every <see cref="IngestBacklog.SampleInterval"/>.</summary>
public sealed class IngestBacklogSampler(Db db, IngestBacklog backlog, TimeProvider time, ILogger<IngestBacklogSampler> logger)
    : PeriodicWorker(IngestBacklog.SampleInterval, time, logger)
{
    protected override string Work => "Sampling the ingest backlog";

    protected override async Task RunOnceAsync(CancellationToken ct) =>
        backlog.Report(await db.WithoutOrgAsync(tx => tx.ScalarAsync<long>("SELECT ingest_backlog()", ct), ct));
}
