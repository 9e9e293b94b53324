using System.Text.Json;
using DurableTask.Core;
using DurableTask.Core.History;

namespace AgentOps.OrchestrationMonitor;

/// <summary>
/// One line of an instance's history as the monitor shows it. Duration: from the matching schedule (an activity, a
/// timer, a sub-orchestration) to this completion. Input/output only when asked for (they may hold customer data).
/// </summary>
public sealed record HistoryEntry(DateTime At, string Kind, string? Name, int? TaskId, double? DurationMs, DateTime? FireAt, string? Reason,
    JsonElement? Input, JsonElement? Output, string? Error);

/// <summary>Turns Durable Task history events into the monitor's timeline: scheduled → completed per activity, retries, timers, external events.</summary>
public static class Timeline
{
    /// <summary>Entries shown per instance, the newest (a job's generation holds four to six history events per shard run).</summary>
    public const int MaxEntries = 2_000;

    /// <summary>Inputs and outputs are cut to this many characters each.</summary>
    public const int MaxPayloadChars = 4_096;

    public static List<HistoryEntry> Of(IEnumerable<HistoryEvent> history, bool withData)
    {
        var scheduled = new Dictionary<int, (DateTime At, string? Name)>();
        var entries = new List<HistoryEntry>();
        foreach (var e in history)
        {
            HistoryEntry? entry = e switch
            {
                ExecutionStartedEvent s => Entry(s, "started", s.Name, input: s.Input),
                TaskScheduledEvent s => Remember(s.EventId, s.Timestamp, s.Name, Entry(s, "activity_scheduled", s.Name, s.EventId, input: s.Input)),
                TaskCompletedEvent c => Done(c, "activity_completed", c.TaskScheduledId, output: c.Result),
                TaskFailedEvent f => Done(f, "activity_failed", f.TaskScheduledId, error: f.FailureDetails?.ErrorMessage ?? f.Reason),
                TimerCreatedEvent t => Remember(t.EventId, t.Timestamp, null, Entry(t, "timer_created", null, t.EventId, fireAt: t.FireAt)),
                TimerFiredEvent t => Done(t, "timer_fired", t.TimerId, fireAt: t.FireAt),
                EventRaisedEvent r => Entry(r, "event_raised", r.Name, input: r.Input),
                EventSentEvent s => Entry(s, "event_sent", s.Name, input: s.Input),
                SubOrchestrationInstanceCreatedEvent s => Remember(s.EventId, s.Timestamp, s.Name, Entry(s, "suborchestration_scheduled", s.Name, s.EventId, input: s.Input)),
                SubOrchestrationInstanceCompletedEvent c => Done(c, "suborchestration_completed", c.TaskScheduledId, output: c.Result),
                SubOrchestrationInstanceFailedEvent f => Done(f, "suborchestration_failed", f.TaskScheduledId, error: f.FailureDetails?.ErrorMessage ?? f.Reason),
                ExecutionSuspendedEvent s => Entry(s, "suspended", null, reason: s.Reason),
                ExecutionResumedEvent r => Entry(r, "resumed", null, reason: r.Reason),
                ExecutionTerminatedEvent t => Entry(t, "terminated", null, reason: t.Input),
                ContinueAsNewEvent c => Entry(c, "continued_as_new", null, output: c.Result),
                ExecutionCompletedEvent c => Entry(c, c.OrchestrationStatus switch
                {
                    OrchestrationStatus.Failed => "failed",
                    OrchestrationStatus.Terminated => "terminated",
                    OrchestrationStatus.ContinuedAsNew => "continued_as_new",
                    _ => "completed",
                }, null, output: c.Result, error: c.FailureDetails?.ErrorMessage),
                _ => null, // OrchestratorStarted/Completed (each replay), generic and state events: noise for an operator
            };
            if (entry is not null) entries.Add(entry);
        }
        return entries.Count > MaxEntries ? entries[^MaxEntries..] : entries;

        HistoryEntry Remember(int id, DateTime at, string? name, HistoryEntry entry)
        {
            scheduled[id] = (at, name);
            return entry;
        }

        HistoryEntry Done(HistoryEvent e, string kind, int scheduledId, string? output = null, string? error = null, DateTime? fireAt = null)
        {
            var start = scheduled.TryGetValue(scheduledId, out var s) ? s : ((DateTime, string?)?)null;
            return new HistoryEntry(e.Timestamp, kind, start?.Item2, scheduledId, start is { } x ? Math.Max(0, (e.Timestamp - x.Item1).TotalMilliseconds) : null,
                fireAt, null, null, Data(output), error);
        }

        HistoryEntry Entry(HistoryEvent e, string kind, string? name, int? taskId = null, string? input = null, string? output = null, string? error = null,
            DateTime? fireAt = null, string? reason = null) =>
            new(e.Timestamp, kind, name, taskId, null, fireAt, reason, Data(input), Data(output), error);

        JsonElement? Data(string? json) => withData ? Payload(json) : null;
    }

    /// <summary>A stored payload as JSON (cut to <see cref="MaxPayloadChars"/>, then shown as a string).</summary>
    public static JsonElement? Payload(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        if (json.Length <= MaxPayloadChars)
            try { return JsonDocument.Parse(json).RootElement.Clone(); }
            catch (JsonException) { }
        return JsonSerializer.SerializeToElement(json.Length <= MaxPayloadChars ? json : json[..MaxPayloadChars] + "…");
    }
}
