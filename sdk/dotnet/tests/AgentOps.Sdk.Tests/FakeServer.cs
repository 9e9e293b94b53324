using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging;

namespace AgentOps.Sdk.Tests;

/// <summary>One request the fake server received (body decompressed).</summary>
public sealed record Received(string Method, string Path, string? ContentEncoding, string? Authorization, byte[] RawBody, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

    /// <summary>The ids of an ingest batch.</summary>
    public string[] Ids => Json.GetProperty("batch").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToArray();
}

/// <summary>An in-process Kestrel server on a free loopback port whose answers the test decides.</summary>
public sealed class FakeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    public ConcurrentQueue<Received> Requests { get; } = new();
    public Func<Received, HttpContext, Task> Handler { get; set; }

    private FakeServer(WebApplication app, Func<Received, HttpContext, Task> handler)
    {
        _app = app;
        Handler = handler;
    }

    public Uri Url { get; private set; } = null!;

    /// <summary>Answers every ingest batch 202 (all accepted) unless told otherwise.</summary>
    public static Task<FakeServer> StartAsync(Func<Received, HttpContext, Task>? handler = null) =>
        StartCoreAsync(handler ?? AcceptAll);

    public static async Task AcceptAll(Received r, HttpContext ctx)
    {
        ctx.Response.StatusCode = 202;
        var n = r.Path == "/api/v1/ingest" ? r.Ids.Length : 0;
        await ctx.Response.WriteAsJsonAsync(new { accepted = n, rejected = 0 });
    }

    private static async Task<FakeServer> StartCoreAsync(Func<Received, HttpContext, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeServer(app, handler);
        app.Run(async ctx =>
        {
            using var buffer = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(buffer);
            var raw = buffer.ToArray();
            var encoding = ctx.Request.Headers.ContentEncoding.ToString();
            var body = raw;
            if (encoding == "gzip")
            {
                using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                using var plain = new MemoryStream();
                await gz.CopyToAsync(plain);
                body = plain.ToArray();
            }
            var received = new Received(ctx.Request.Method, ctx.Request.Path + ctx.Request.QueryString, encoding.Length == 0 ? null : encoding,
                ctx.Request.Headers.Authorization.ToString(), raw, System.Text.Encoding.UTF8.GetString(body));
            server.Requests.Enqueue(received);
            await server.Handler(received, ctx);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(address);
        return server;
    }

    /// <summary>Every event id the server received in ingest batches (with repeats).</summary>
    public List<string> IngestIds => Requests.Where(r => r.Path == "/api/v1/ingest").SelectMany(r => r.Ids).ToList();

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}

internal static class ServiceProviderExtensions
{
    public static T GetRequiredService<T>(this IServiceProvider services) where T : notnull =>
        (T)(services.GetService(typeof(T)) ?? throw new InvalidOperationException(typeof(T).Name));
}
