using System.IO.Compression;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Platform.Http;

/// <summary>
/// Brotli or gzip (whichever the client prefers) for what is read, not for what is written. Only GET and HEAD answers
/// are compressed, and never the sign-in family: a compressed answer that both reflects input and holds a secret (a
/// token, a new API key) leaks the secret through its length (BREACH), and answers to writes are small anyway. Event
/// streams (text/event-stream) are left alone, so every event reaches the client when it is written. Level: Fastest
/// (a 300 KB script compresses in about 2 ms, and hashed assets are cached for a year after the first fetch).
/// </summary>
public static class Compression
{
    /// <summary>Media types worth compressing: the defaults (HTML, CSS, JS, JSON, XML, text) plus what the API streams.</summary>
    public static readonly string[] MediaTypes =
        [.. ResponseCompressionDefaults.MimeTypes, "application/problem+json", "text/csv", "application/x-ndjson", "image/svg+xml"];

    public static IServiceCollection AddReadCompression(this IServiceCollection services)
    {
        services.AddResponseCompression(o =>
        {
            // Behind TLS the browser speaks HTTPS; the paths that could leak through BREACH are excluded by Applies below.
            o.EnableForHttps = true;
            o.MimeTypes = MediaTypes;
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
        });
        services.Configure<BrotliCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        return services;
    }

    public static IApplicationBuilder UseReadCompression(this IApplicationBuilder app) =>
        app.UseWhen(Applies, branch => branch.UseResponseCompression());

    /// <summary>Whether an answer to this request may be compressed (see the type's summary for why).</summary>
    public static bool Applies(HttpContext context) =>
        (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
        && !context.Request.Path.StartsWithSegments("/api/v1/auth", StringComparison.OrdinalIgnoreCase);
}
