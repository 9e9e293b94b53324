using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentOps.Tests.Providers;

/// <summary>A request as the fake server received it.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string RawBody)
{
    public JsonElement Body => JsonDocument.Parse(RawBody).RootElement;

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// Real HTTP on 127.0.0.1 (Kestrel, a free port): every request is recorded, checked by <see cref="Validate"/> (what
/// is wrong with it, answered 400 and kept in <see cref="Violations"/>) and answered by <see cref="Respond"/>.
/// </summary>
public abstract class FakeHttpServer : IAsyncDisposable
{
    private WebApplication? _app;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public ConcurrentQueue<string> Violations { get; } = new();

    public Uri BaseUrl { get; private set; } = null!;

    public RecordedRequest LastRequest => Requests.Last();

    protected async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
            var raw = await reader.ReadToEndAsync(ctx.RequestAborted);
            var recorded = new RecordedRequest(ctx.Request.Method, ctx.Request.Path.Value ?? "", ctx.Request.QueryString.Value ?? "",
                ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), raw);
            Requests.Enqueue(recorded);
            var problems = new List<string>();
            try
            {
                Validate(recorded, problems);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
            {
                problems.Add("body: " + e.Message);
            }
            if (problems.Count > 0)
            {
                foreach (var p in problems) Violations.Enqueue(p);
                ctx.Response.StatusCode = 400;
                await ctx.Response.WriteAsync(InvalidRequestBody(string.Join("; ", problems)), ctx.RequestAborted);
                return;
            }
            await Respond(ctx, recorded);
        });
        await _app.StartAsync();
        BaseUrl = new Uri(_app.Urls.First().TrimEnd('/') + "/");
    }

    protected abstract void Validate(RecordedRequest request, List<string> problems);

    protected abstract string InvalidRequestBody(string message);

    protected abstract Task Respond(HttpContext ctx, RecordedRequest request);

    protected static async Task Json(HttpContext ctx, int status, string body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body, ctx.RequestAborted);
    }

    /// <summary>
    /// Server-sent events, flushed one by one; <paramref name="cut"/> aborts the connection after them (no terminator),
    /// <paramref name="stall"/> keeps it open and silent (until the client gives up).
    /// </summary>
    protected static async Task Events(HttpContext ctx, IEnumerable<string> events, bool cut = false, bool stall = false)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream";
        foreach (var e in events)
        {
            await ctx.Response.WriteAsync(e + "\n\n", ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        }
        if (cut)
        {
            await Task.Delay(50, ctx.RequestAborted);
            ctx.Abort();
        }
        if (stall)
        {
            try { await Task.Delay(TimeSpan.FromSeconds(10), ctx.RequestAborted); }
            catch (OperationCanceledException) { }
        }
    }

    protected static async Task Slow(HttpContext ctx)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(10), ctx.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        await Json(ctx, 200, "{}");
    }

    protected static void Require(bool condition, string problem, List<string> problems)
    {
        if (!condition) problems.Add(problem);
    }

    protected static bool IsObjectSchema(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out var t) && t.GetString() == "object";

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }
}

/// <summary>A clock standing still, so that resets given as times turn into exact durations.</summary>
public sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
