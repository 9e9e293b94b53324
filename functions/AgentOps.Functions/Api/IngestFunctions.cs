using AgentOps.Ingest;
using AgentOps.Ingest.Otlp;

namespace AgentOps.Functions.Api;

/// <summary>
/// POST /api/v1/ingest, /api/v1/ingest/run (IngestApi) and /api/v1/otlp/v1/traces (OtlpApi), with the self-host's
/// 5 MiB body limit. The handlers read
/// the body themselves; the acceptor hands accepted batches to the Service Bus sink (Ingest/ServiceBusBatchSink.cs).
/// </summary>
public sealed class IngestFunctions(IngestAcceptor acceptor)
{
    [Function("Ingest"), Requires(Permission.Ingest), RequestBodyLimit(IngestLimits.MaxBodyBytes)]
    public async Task<IResult> Ingest([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/ingest")] HttpRequest req) =>
        await IngestApi.IngestAsync(req, Bind.CallerOf(req), acceptor, Bind.Aborted(req));

    [Function("IngestRun"), Requires(Permission.Ingest), RequestBodyLimit(IngestLimits.MaxBodyBytes)]
    public async Task<IResult> IngestRun([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/ingest/run")] HttpRequest req) =>
        await IngestApi.IngestRunAsync(req, Bind.CallerOf(req), acceptor, Bind.Aborted(req));

    [Function("OtlpTraces"), Requires(Permission.Ingest), RequestBodyLimit(OtlpLimits.MaxBodyBytes)]
    public async Task<IResult> OtlpTraces([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/v1/otlp/v1/traces")] HttpRequest req) =>
        await OtlpApi.ExportTracesAsync(req, Bind.CallerOf(req), acceptor, Bind.Aborted(req));
}
