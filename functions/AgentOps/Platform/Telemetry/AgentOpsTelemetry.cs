using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AgentOps.Platform.Telemetry;

/// <summary>
/// OpenTelemetry without the hosting helper packages (they do not restore here): ASP.NET Core, HttpClient and Npgsql
/// emit activities and meters natively, so the providers only subscribe to their sources and to AgentOps' own.
/// Export is OTLP, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads the standard OTEL_* variables).
/// </summary>
public static class AgentOpsTelemetry
{
    public const string SourceName = "AgentOps";
    public static readonly ActivitySource Source = new(SourceName);
    public static readonly Meter Meter = new(SourceName);

    /// <summary>Authentication and authorization decisions, by credential kind and outcome (ok or the problem code).</summary>
    public static readonly Counter<long> AccessDecisions = Meter.CreateCounter<long>("agentops.access.decisions", description: "Access decisions by credential and outcome");

    /// <summary>Native sources of the frameworks we run on.</summary>
    public static readonly string[] TraceSources = [SourceName, "Microsoft.AspNetCore", "System.Net.Http", "Npgsql"];
    public static readonly string[] MeterNames = [SourceName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel",
        "System.Net.Http", "Npgsql"];

    public static string ServiceName(Func<string, string?> config) => config("OTEL_SERVICE_NAME") is { Length: > 0 } name ? name : "agentops";

    public static bool ExportEnabled(Func<string, string?> config) => !string.IsNullOrWhiteSpace(config("OTEL_EXPORTER_OTLP_ENDPOINT"));

    /// <summary>
    /// Structured logs: JSON lines on stdout (AGENTOPS_LOG_FORMAT=text for one readable line each), framework chatter
    /// at Warning and above, and OTLP log export alongside traces when it is on.
    /// </summary>
    public static void ConfigureLogging(ILoggingBuilder logging, Func<string, string?> config)
    {
        logging.ClearProviders();
        if (string.Equals(config("AGENTOPS_LOG_FORMAT"), "text", StringComparison.OrdinalIgnoreCase)) logging.AddSimpleConsole(o => o.SingleLine = true);
        else logging.AddJsonConsole(o => o.UseUtcTimestamp = true);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (ExportEnabled(config))
            logging.AddOpenTelemetry(o =>
            {
                o.SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(ServiceName(config)));
                o.IncludeFormattedMessage = true;
                o.AddOtlpExporter();
            });
    }

    /// <summary>The providers to keep alive for the process lifetime (dispose them at shutdown to flush).</summary>
    public static IDisposable[] StartProviders(Func<string, string?> config)
    {
        var resource = ResourceBuilder.CreateDefault().AddService(ServiceName(config));
        var tracer = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(TraceSources).AddOtlpExporter().Build();
        var meter = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(MeterNames).AddOtlpExporter().Build();
        return [tracer!, meter!];
    }
}
