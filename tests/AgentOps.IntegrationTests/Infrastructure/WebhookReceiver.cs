using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace AgentOps.IntegrationTests.Infrastructure;

/// <summary>One request a webhook receiver got: the headers that matter and the exact body.</summary>
public sealed record ReceivedWebhook(string? Signature, string? DeliveryId, string? Event, string? ContentType, string? UserAgent, string Body, DateTimeOffset At)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>
/// A webhook receiver on Kestrel (127.0.0.1, a free port): keeps every request and answers the statuses it is told
/// to, in order, then <see cref="ThenAnswer"/> (200 unless changed).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _script = new();
    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();
    public int ThenAnswer { get; set; } = 200;
    public string Url => _app.Urls.First() + "/hook";

    private WebhookReceiver(WebApplication app) => _app = app;

    public static async Task<WebhookReceiver> StartAsync(params int[] firstAnswers)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var receiver = new WebhookReceiver(builder.Build());
        foreach (var status in firstAnswers) receiver._script.Enqueue(status);
        receiver._app.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            receiver.Received.Enqueue(new ReceivedWebhook(request.Headers["AgentOps-Signature"], request.Headers["AgentOps-Delivery"],
                request.Headers["AgentOps-Event"], request.ContentType, request.Headers.UserAgent, body, DateTimeOffset.UtcNow));
            var status = receiver._script.TryDequeue(out var scripted) ? scripted : receiver.ThenAnswer;
            return Results.Text(status == 200 ? "ok" : "boom: the receiver is down", "text/plain", Encoding.UTF8, status);
        });
        await receiver._app.StartAsync();
        return receiver;
    }

    /// <summary>What a receiver does (docs/notifications.md), written independently of the server's code.</summary>
    public static bool Verifies(ReceivedWebhook request, string secret)
    {
        var parts = (request.Signature ?? "").Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!parts.TryGetValue("t", out var t) || !parts.TryGetValue("v1", out var v1)) return false;
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        var expected = Convert.ToHexString(hmac.ComputeHash(Encoding.UTF8.GetBytes($"{t}.{request.Body}"))).ToLowerInvariant();
        var fresh = Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(t, System.Globalization.CultureInfo.InvariantCulture)) <= 300;
        return fresh && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(v1));
    }

    public async Task<List<ReceivedWebhook>> WaitForAsync(int count, int seconds = 20)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(seconds); Received.Count < count && DateTime.UtcNow < deadline;) await Task.Delay(50);
        Assert.True(Received.Count >= count, $"expected {count} webhook requests, got {Received.Count}");
        return [.. Received];
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
