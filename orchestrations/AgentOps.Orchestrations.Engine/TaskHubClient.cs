using System.Globalization;
using DurableTask.Core;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Core = DurableTask.Core;
using PurgeResult = Microsoft.DurableTask.Client.PurgeResult;

namespace AgentOps.Orchestrations.Engine;

/// <summary>
/// A <see cref="DurableTaskClient"/> over the self-host's task hub, so the application talks to orchestrations through
/// the same client type on both hosts (Azure binds the Functions host's). Adapted from durabletask-dotnet's
/// ShimDurableTaskClient (MIT; that package is not served here): messages are written to the orchestration service
/// directly, inputs serialized by the durabletask-dotnet converter (System.Text.Json, as the worker reads them).
/// Also reads an instance's history (<see cref="GetOrchestrationHistoryAsync"/>), which the monitor shows.
/// </summary>
public sealed class TaskHubClient(IOrchestrationServiceClient client, DataConverter converter) : DurableTaskClient("agentops")
{
    /// <summary>How often waits poll for a status change.</summary>
    public static readonly TimeSpan PollingInterval = TimeSpan.FromMilliseconds(250);

    private static readonly Core.OrchestrationStatus[] Live = [Core.OrchestrationStatus.Running, Core.OrchestrationStatus.Pending, Core.OrchestrationStatus.Suspended];

    public override ValueTask DisposeAsync() => default;

    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null,
        StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        var instance = new OrchestrationInstance { InstanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N"), ExecutionId = Guid.NewGuid().ToString("N") };
        var tags = options?.Tags?.ToDictionary(t => t.Key, t => t.Value) ?? [];
        tags[OrchestrationTags.RequestTime] = DateTimeOffset.UtcNow.ToString(CultureInfo.InvariantCulture);
        var message = new TaskMessage
        {
            OrchestrationInstance = instance,
            Event = new ExecutionStartedEvent(-1, converter.Serialize(input))
            {
                Name = orchestratorName.Name,
                Version = options?.Version ?? "",
                OrchestrationInstance = instance,
                ScheduledStartTime = options?.StartAt?.UtcDateTime,
                Tags = tags,
            },
        };
        // A live instance with this id is kept (the caller checks first); an ended one is replaced.
        await client.CreateTaskOrchestrationAsync(message, Live);
        return instance.InstanceId;
    }

    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new EventRaisedEvent(-1, converter.Serialize(eventPayload)) { Name = eventName }, cancellation);

    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionSuspendedEvent(-1, reason), cancellation);

    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionResumedEvent(-1, reason), cancellation);

    public override Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        return client.ForceTerminateTaskOrchestrationAsync(instanceId, converter.Serialize(options?.Output));
    }

    public override async Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        cancellation.ThrowIfCancellationRequested();
        var states = await client.GetOrchestrationStateAsync(instanceId, allExecutions: false);
        // The in-memory service answers an unknown id with a list holding null.
        return states is [{ } state, ..] ? ToMetadata(state, getInputsAndOutputs) : null;
    }

    /// <summary>Not offered: the task hub is shared by organizations; the monitor reaches instances through rows an organization owns.</summary>
    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null) =>
        throw new NotSupportedException("Instances are listed through the jobs an organization owns.");

    public override async Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        while (true)
        {
            var metadata = await GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation)
                ?? throw new InvalidOperationException($"Orchestration {instanceId} does not exist.");
            if (metadata.RuntimeStatus != OrchestrationRuntimeStatus.Pending) return metadata;
            await Task.Delay(PollingInterval, cancellation);
        }
    }

    public override async Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        while (true)
        {
            var metadata = await GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation)
                ?? throw new InvalidOperationException($"Orchestration {instanceId} does not exist.");
            if (metadata.IsCompleted) return metadata;
            await Task.Delay(PollingInterval, cancellation);
        }
    }

    public override async Task<PurgeResult> PurgeInstanceAsync(string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        if (await GetInstancesAsync(instanceId, false, cancellation) is not { } existing) return new PurgeResult(0);
        if (!existing.IsCompleted) throw new InvalidOperationException($"Orchestration {instanceId} is {existing.RuntimeStatus}: only an ended one can be purged.");
        return new PurgeResult((await Purger.PurgeInstanceStateAsync(instanceId)).DeletedInstanceCount);
    }

    /// <summary>Not offered: a filter would reach every organization's instances.</summary>
    public override Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default) =>
        throw new NotSupportedException("Instances are purged one by one, through the jobs an organization owns.");

    /// <summary>
    /// The latest execution's history. The task hub stores it as JSON without type names (Azure Storage keeps only the
    /// latest execution after ContinueAsNew); each event's EventType names its class.
    /// </summary>
    public override async Task<IList<HistoryEvent>> GetOrchestrationHistoryAsync(string instanceId, CancellationToken cancellation = default)
    {
        var states = await client.GetOrchestrationStateAsync(instanceId, allExecutions: false);
        if (states is not [{ } state, ..]) throw new ArgumentException($"Orchestration {instanceId} does not exist.", nameof(instanceId));
        cancellation.ThrowIfCancellationRequested();
        string json;
        try { json = await client.GetOrchestrationHistoryAsync(instanceId, state.OrchestrationInstance.ExecutionId); }
        catch (NotImplementedException) { throw new NotSupportedException("This task hub does not keep histories (the in-memory one)."); }
        var events = new List<HistoryEvent>();
        foreach (var item in Newtonsoft.Json.Linq.JArray.Parse(string.IsNullOrEmpty(json) ? "[]" : json).OfType<Newtonsoft.Json.Linq.JObject>())
            if (item.Value<int?>(nameof(HistoryEvent.EventType)) is { } type && EventClass((EventType)type) is { } cls && item.ToObject(cls) is HistoryEvent e)
                events.Add(e);
        return events;
    }

    private static Type? EventClass(EventType type) =>
        typeof(HistoryEvent).Assembly.GetType($"DurableTask.Core.History.{type}Event") ?? typeof(HistoryEvent).Assembly.GetType($"DurableTask.Core.History.{type}");

    private IOrchestrationServicePurgeClient Purger => client as IOrchestrationServicePurgeClient ?? throw new NotSupportedException("This task hub cannot purge.");

    private Task SendAsync(string instanceId, HistoryEvent @event, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        return client.SendTaskOrchestrationMessageAsync(new TaskMessage { OrchestrationInstance = new OrchestrationInstance { InstanceId = instanceId }, Event = @event });
    }

    private OrchestrationMetadata ToMetadata(OrchestrationState state, bool getInputsAndOutputs) => new(state.Name, state.OrchestrationInstance.InstanceId)
    {
        DataConverter = getInputsAndOutputs ? converter : null,
        RuntimeStatus = FromCore(state.OrchestrationStatus),
        CreatedAt = state.CreatedTime,
        LastUpdatedAt = state.LastUpdatedTime,
        SerializedInput = getInputsAndOutputs ? state.Input : null,
        SerializedOutput = getInputsAndOutputs ? state.Output : null,
        SerializedCustomStatus = state.Status,
        FailureDetails = state.FailureDetails is { } f ? new TaskFailureDetails(f.ErrorType, f.ErrorMessage, null, null, null) : null,
    };

#pragma warning disable CS0618 // Canceled is obsolete in the client's enum, but a stored status may still carry it.
    private static OrchestrationRuntimeStatus FromCore(Core.OrchestrationStatus status) => status switch
    {
        Core.OrchestrationStatus.Running => OrchestrationRuntimeStatus.Running,
        Core.OrchestrationStatus.Completed => OrchestrationRuntimeStatus.Completed,
        Core.OrchestrationStatus.ContinuedAsNew => OrchestrationRuntimeStatus.ContinuedAsNew,
        Core.OrchestrationStatus.Failed => OrchestrationRuntimeStatus.Failed,
        Core.OrchestrationStatus.Canceled => OrchestrationRuntimeStatus.Canceled,
        Core.OrchestrationStatus.Terminated => OrchestrationRuntimeStatus.Terminated,
        Core.OrchestrationStatus.Pending => OrchestrationRuntimeStatus.Pending,
        Core.OrchestrationStatus.Suspended => OrchestrationRuntimeStatus.Suspended,
        _ => (OrchestrationRuntimeStatus)(int)status,
    };
#pragma warning restore CS0618
}
