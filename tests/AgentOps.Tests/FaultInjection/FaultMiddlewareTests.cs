using AgentOps.FaultInjection;
using AgentOps.Platform.Auth;
using AgentOps.Platform.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentOps.Tests.FaultInjection;

/// <summary>The request step of an armed fault (FaultInjectionApi.Middleware) around endpoints that fail, refuse or answer too much.</summary>
public class FaultMiddlewareTests
{
    private sealed class RecordingLogger : ILogger
    {
        public List<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception), exception));
    }

    private readonly RecordingLogger _log = new();
    private readonly FaultBoard _board = new();

    private async Task<ApiProblem> StrikeAsync(FaultTiming when, RequestDelegate endpoint)
    {
        var caller = TestCallers.User(Role.Admin);
        _board.Arm(caller.OrgId, new FaultSpec("/api/v1/thing", 503, when, 1, null));
        var http = new DefaultHttpContext();
        http.Features.Set(caller);
        http.Request.Path = "/api/v1/thing/";
        var client = new MemoryStream();
        http.Response.Body = client;
        var problem = await Assert.ThrowsAsync<ApiProblem>(() => FaultInjectionApi.Middleware(_board, _log)(endpoint)(http));
        Assert.Equal(0, client.Length); // nothing of the endpoint's answer reached the client
        Assert.Equal((503, "fault_injected"), (problem.Status, problem.Code));
        return problem;
    }

    [Fact]
    public async Task A_before_fault_never_runs_the_endpoint()
    {
        var ran = false;
        var problem = await StrikeAsync(FaultTiming.Before, _ => { ran = true; return Task.CompletedTask; });
        Assert.False(ran);
        Assert.EndsWith("before its endpoint ran (it did not run).", problem.Detail);
    }

    [Fact]
    public async Task An_endpoint_failure_under_an_after_fault_is_logged_not_hidden()
    {
        var problem = await StrikeAsync(FaultTiming.After, _ => throw new InvalidOperationException("the store broke"));
        Assert.EndsWith("after its endpoint failed (the failure is logged).", problem.Detail);
        var (level, message, exception) = Assert.Single(_log.Entries);
        Assert.Equal(LogLevel.Warning, level);
        Assert.Contains("InvalidOperationException", message);
        Assert.Contains("the store broke", message);
        Assert.Null(exception); // no stack trace in the log
    }

    [Fact]
    public async Task A_refusal_under_an_after_fault_is_the_endpoint_s_answer_and_not_logged()
    {
        var problem = await StrikeAsync(FaultTiming.After, _ => throw ApiProblem.NotFound("thing"));
        Assert.EndsWith("after its endpoint ran to its end (its answer was thrown away).", problem.Detail);
        Assert.Empty(_log.Entries);
    }

    [Fact]
    public async Task An_answer_past_the_buffer_limit_stops_the_endpoint_at_the_limit()
    {
        var chunk = new byte[64 * 1024];
        long written = 0;
        var problem = await StrikeAsync(FaultTiming.After, async http =>
        {
            // A stream that would never end on its own: it writes until its request is aborted.
            while (!http.RequestAborted.IsCancellationRequested)
            {
                await http.Response.Body.WriteAsync(chunk);
                written += chunk.Length;
            }
        });
        Assert.Contains($"while its endpoint was still answering: its answer passed the {FaultBoard.MaxAfterBufferBytes} bytes a fault buffers", problem.Detail);
        Assert.DoesNotContain("after its endpoint", problem.Detail);
        Assert.Equal(FaultBoard.MaxAfterBufferBytes, written);
        Assert.Empty(_log.Entries);
    }

    [Fact]
    public async Task An_endpoint_that_swallows_the_failed_write_and_keeps_writing_is_still_stopped()
    {
        _board.AfterBufferLimitBytes = 100;
        var failedWrites = 0;
        var sawAbort = false;
        var problem = await StrikeAsync(FaultTiming.After, async http =>
        {
            for (var i = 0; i < 10; i++)
            {
                try { await http.Response.Body.WriteAsync(new byte[60]); }
                catch (IOException) { failedWrites++; }
            }
            sawAbort = http.RequestAborted.IsCancellationRequested;
        });
        Assert.Contains("while its endpoint was still answering", problem.Detail);
        Assert.Equal(9, failedWrites); // the first 60 bytes fit; every write after the limit fails
        Assert.True(sawAbort);
    }
}
