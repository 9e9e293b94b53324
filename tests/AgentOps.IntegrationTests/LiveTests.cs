using System.Net.Http.Headers;
using System.Threading.Channels;
using AgentOps.IntegrationTests.Infrastructure;

namespace AgentOps.IntegrationTests;

/// <summary>GET /api/v1/live: server-sent hints per organization (Live/, Platform/Live/LiveHints).</summary>
[Collection(ApiCollection.Name)]
public class LiveTests(ApiFixture fx)
{
    private readonly HttpClient _client = fx.Client();

    /// <summary>An open stream whose events (type, data) are read in the background.</summary>
    private sealed class LiveStream : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly Task _reader;
        private readonly CancellationTokenSource _stop = new();
        public Channel<(string Type, string Data)> Events { get; } = Channel.CreateUnbounded<(string, string)>();

        private LiveStream(HttpResponseMessage response)
        {
            _response = response;
            _reader = Task.Run(ReadAsync);
        }

        public static async Task<LiveStream> OpenAsync(HttpClient client, string bearer, string query = "")
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/live" + query);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            return new LiveStream(response);
        }

        private async Task ReadAsync()
        {
            try
            {
                using var reader = new StreamReader(await _response.Content.ReadAsStreamAsync(_stop.Token));
                string? type = null, data = null;
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    if (line.Length == 0)
                    {
                        if (type is not null) await Events.Writer.WriteAsync((type, data ?? ""));
                        type = data = null;
                    }
                    else if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
                    else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException) { }
            finally { Events.Writer.TryComplete(); }
        }

        /// <summary>Events until one of the type arrives (inclusive); fails after the timeout.</summary>
        public async Task<List<string>> UntilAsync(string type, int seconds = 15)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            var seen = new List<string>();
            try
            {
                await foreach (var e in Events.Reader.ReadAllAsync(timeout.Token))
                {
                    seen.Add(e.Type);
                    if (e.Type == type) return seen;
                }
            }
            catch (OperationCanceledException) { }
            throw new TimeoutException($"no '{type}' event within {seconds} s; seen: {string.Join(", ", seen)}");
        }

        public async Task<(string Type, string Data)> NextAsync(int seconds = 15)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
            return await Events.Reader.ReadAsync(timeout.Token);
        }

        public List<string> Buffered()
        {
            var seen = new List<string>();
            while (Events.Reader.TryRead(out var e)) seen.Add(e.Type);
            return seen;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _response.Dispose();
            await _reader;
            _stop.Dispose();
        }
    }

    [Fact]
    public async Task Changes_reach_the_organizations_own_streams_and_never_another_organizations()
    {
        var (a, aKey) = await _client.SdkTenantAsync();
        var (b, _) = await _client.SdkTenantAsync();
        await using var streamA = await LiveStream.OpenAsync(_client, a.AdminToken);
        await using var keyStreamA = await LiveStream.OpenAsync(_client, aKey);
        await using var streamB = await LiveStream.OpenAsync(_client, b.AdminToken);
        foreach (var s in new[] { streamA, keyStreamA, streamB }) Assert.Equal(["ready"], await s.UntilAsync("ready"));

        (await _client.IngestAsync(aKey, Ingesting.Event("live-1", "run.start", 0, "live-run"))).Expect(202);
        await streamA.UntilAsync("runs");
        await keyStreamA.UntilAsync("runs");

        (await _client.Post("/api/v1/controls/kill-switch", new { reason = "live test" }, a.AdminToken)).Expect(200);
        await streamA.UntilAsync("controls");
        (await _client.Post("/api/v1/controls/resume-all", new { reason = "done" }, a.AdminToken)).Expect(200);
        await streamA.UntilAsync("controls");

        // Organization B saw none of it (its stream carries only what happens in B).
        await Task.Delay(LiveHintsFlush * 3);
        Assert.DoesNotContain(streamB.Buffered(), t => t is "runs" or "controls" or "notifications");
    }

    private static readonly TimeSpan LiveHintsFlush = AgentOps.Platform.Live.LiveHints.FlushInterval;

    [Fact]
    public async Task A_stream_carries_only_the_topics_its_caller_may_read()
    {
        var tenant = await _client.SignupAsync();
        var viewer = await _client.AddMemberAsync(tenant, "viewer");
        await using var admin = await LiveStream.OpenAsync(_client, tenant.AdminToken, "?max_seconds=1");
        await using var asViewer = await LiveStream.OpenAsync(_client, viewer.Token, "?max_seconds=1");
        var adminReady = await admin.NextAsync();
        var viewerReady = await asViewer.NextAsync();
        Assert.Equal(("ready", "ready"), (adminReady.Type, viewerReady.Type));
        Assert.Contains("\"jobs\"", adminReady.Data, StringComparison.Ordinal);
        // Jobs are for team leads and admins (JobsRead): a viewer's stream does not tell when they change.
        Assert.DoesNotContain("\"jobs\"", viewerReady.Data, StringComparison.Ordinal);
        Assert.Contains("\"runs\"", viewerReady.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_ends_when_asked_and_its_bounds_are_checked()
    {
        var tenant = await _client.SignupAsync();
        await using (var stream = await LiveStream.OpenAsync(_client, tenant.AdminToken, "?max_seconds=1"))
        {
            var started = DateTime.UtcNow;
            Assert.Equal(["ready", "end"], await stream.UntilAsync("end", 10));
            Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 0.5, 8);
        }
        (await _client.Get("/api/v1/live?max_seconds=0", tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        (await _client.Get("/api/v1/live?max_seconds=901", tenant.AdminToken)).ExpectProblem(422, "validation_failed");
        (await _client.Get("/api/v1/live?max_seconds=1")).ExpectProblem(401, "missing_credentials");
    }
}
