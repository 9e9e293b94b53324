using System.Diagnostics;

namespace AgentOps.Sdk;

/// <summary>What the SDK keeps on each of its activities (a custom property): the event id and the run.</summary>
internal sealed class SpanState
{
    public required AgentOpsClient Client { get; init; }
    public required string EventId { get; init; }
    public required RunState Run { get; init; }
    /// <summary>The enclosing span's event id; null directly in the run.</summary>
    public string? ParentEventId { get; init; }
    public bool IsRun { get; init; }
}

internal sealed class RunState
{
    public required string RunId { get; init; }
    public required string Agent { get; init; }
}

/// <summary>
/// A run: one execution of the agent. Its span is a real <see cref="System.Diagnostics.Activity"/> (a new trace, linked
/// to whatever activity was current), made current so spans, records and other instrumentation nest under it across
/// <c>await</c>, <c>Task.Run</c> and threads. Dispose (or <see cref="End"/>) ends it; in synchronous mode that also sends
/// everything queued before it returns.
/// </summary>
public sealed class AgentRun : IDisposable, IAsyncDisposable
{
    private readonly AgentOpsClient _client;
    private readonly Activity? _previous;
    private int _ended;

    internal AgentRun(AgentOpsClient client, Activity activity, RunState state, Activity? previous)
    {
        _client = client;
        Activity = activity;
        State = state;
        _previous = previous;
    }

    internal RunState State { get; }

    /// <summary>The run's activity (pass it as <c>parent</c> to record directly in the run from elsewhere).</summary>
    public Activity Activity { get; }

    /// <summary>The run id (the activity's trace id, hex), as stored by AgentOps.</summary>
    public string Id => State.RunId;

    /// <summary>The agent the run belongs to.</summary>
    public string Agent => State.Agent;

    /// <summary>Whether the run has ended.</summary>
    public bool IsEnded => Volatile.Read(ref _ended) != 0;

    /// <summary>
    /// Ends the run (once): records <c>run.end</c> with <paramref name="status"/> (<c>succeeded</c>, <c>failed</c>,
    /// <c>cancelled</c>), stops its activity and restores the activity that was current before it.
    /// </summary>
    public void End(string status = "succeeded", object? output = null, string? error = null)
    {
        if (!EndCore(status, output, error)) return;
        if (_client.IsSync) _client.FlushSyncBlocking(AgentOpsOptions.DefaultFlushTimeout);
    }

    /// <summary>Ends the run; in synchronous mode awaits the send (within the default flush timeout).</summary>
    public async ValueTask EndAsync(string status = "succeeded", object? output = null, string? error = null)
    {
        if (!EndCore(status, output, error)) return;
        if (_client.IsSync) await _client.FlushAsync().ConfigureAwait(false);
    }

    private bool EndCore(string status, object? output, string? error)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return false;
        _client.RecordRunEnd(this, status, output, error);
        try
        {
            if (status is "failed" or "error") Activity.SetStatus(ActivityStatusCode.Error, error);
            Activity.Stop();
        }
        finally
        {
            // The run started a new trace (no parent), so stopping it leaves no current activity: give back the one
            // that was current when it started, in this flow.
            if (Activity.Current is null || ReferenceEquals(Activity.Current, Activity))
                Activity.Current = _previous;
        }
        return true;
    }

    /// <summary>Ends the run as succeeded unless it was ended already.</summary>
    public void Dispose() => End();

    /// <summary>Ends the run as succeeded unless it was ended already.</summary>
    public ValueTask DisposeAsync() => EndAsync();
}
