using System.Text.Json;
using System.Text.RegularExpressions;
using AgentOps.Contracts;
using AgentOps.Jobs;

namespace AgentOps.OrchestrationMonitor;

/// <summary>The orchestration monitor over HTTP: binding, shape checks and answers; <see cref="OrchestrationService"/> holds the use cases.</summary>
public static partial class OrchestrationsApi
{
    public static void MapOrchestrationsApi(this RouteGroupBuilder api)
    {
        var o = api.MapGroup("/orchestrations").WithTags("Orchestrations");
        o.MapGet("/", ListAsync).Requires(Permission.JobsRead).WithName("listOrchestrations").WithSummary("Orchestration instances, newest first");
        o.MapGet("/{id:guid}", GetAsync).Requires(Permission.JobsRead).WithName("getOrchestration").WithSummary("An orchestration instance (inputs and outputs with ?data=true)");
        o.MapGet("/{id:guid}/history", HistoryAsync).Requires(Permission.JobsRead).WithName("getOrchestrationHistory").WithSummary("An instance's history as a timeline");
        o.MapPost("/{id:guid}/terminate", TerminateAsync).Requires(Permission.JobsWrite).WithName("terminateOrchestration").Problems(409).WithSummary("Terminate an instance (its job is cancelled)");
        o.MapPost("/{id:guid}/suspend", SuspendAsync).Requires(Permission.JobsWrite).WithName("suspendOrchestration").Problems(409).WithSummary("Suspend an instance");
        o.MapPost("/{id:guid}/resume", ResumeAsync).Requires(Permission.JobsWrite).WithName("resumeOrchestration").Problems(409).WithSummary("Resume a suspended instance");
        o.MapPost("/{id:guid}/events", RaiseEventAsync).Requires(Permission.JobsWrite).WithName("raiseOrchestrationEvent").Problems(409).WithSummary("Raise an external event");
        o.MapPost("/{id:guid}/purge", PurgeAsync).Requires(Permission.JobsWrite).WithName("purgeOrchestration").Problems(409).WithSummary("Purge an ended instance's state and history");
        o.MapPost("/purge", PurgeManyAsync).Requires(Permission.JobsWrite).WithName("purgeOrchestrations").WithSummary("Purge ended instances by filter (dry_run counts)");
    }

    public const int MaxReasonChars = 1_000;

    /// <summary>JobOrchestrator.CancelEvent (that project depends on this one).</summary>
    public const string JobCancelEvent = "cancel";
    public const int MaxEventPayloadBytes = 16 * 1024;

    public sealed record RaiseEventRequest(string? Name, JsonElement? Payload);
    public sealed record PurgeRequest(string[]? Statuses, DateTimeOffset? CreatedAfter, DateTimeOffset? CreatedBefore, bool? DryRun, string? Cursor);

    public static async Task<Ok<Page<InstanceView>>> ListAsync(Caller caller, OrchestrationService orchestrations, string? status, string? kind, string? name,
        DateTimeOffset? from, DateTimeOffset? to, string? instance, int? limit, string? cursor, CancellationToken ct)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var v = new Validation();
        var statuses = status?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (statuses.Any(s => !OrchestrationService.Statuses.Contains(s))) v.Add("status", $"must be one or more of {string.Join(", ", OrchestrationService.Statuses)} (comma-separated).");
        if (kind is not null && !JobKinds.IsName(kind)) v.Add("kind", JobKinds.NameRule);
        if (name is { Length: > 200 }) v.Add("name", "must be at most 200 characters.");
        if (from > to) v.Add("from", "must not be after to.");
        if (instance is not null && !InstancePrefix().IsMatch(instance)) v.Add("instance", "must be the start of an instance id (hex digits and dashes, at most 36).");
        v.ThrowIfInvalid();
        // from/to: when the job was created; instance: the start of an instance id.
        var (items, next) = await orchestrations.ListAsync(caller.OrgId, statuses, kind, name, from, to, instance, after, take, ct);
        return TypedResults.Ok(new Page<InstanceView>(items, next?.ToString()));
    }

    public static async Task<Ok<InstanceView>> GetAsync(Guid id, bool? data, Caller caller, OrchestrationService orchestrations, CancellationToken ct) =>
        TypedResults.Ok(await orchestrations.GetAsync(caller.OrgId, id, data ?? false, ct));

    public static async Task<Ok<HistoryView>> HistoryAsync(Guid id, bool? data, Caller caller, OrchestrationService orchestrations, CancellationToken ct) =>
        TypedResults.Ok(await orchestrations.HistoryAsync(caller.OrgId, id, data ?? false, ct));

    private static string? Reason(ReasonRequest? body)
    {
        var v = new Validation();
        var reason = v.Text("$.reason", body?.Reason, MaxReasonChars);
        v.ThrowIfInvalid();
        return reason;
    }

    public static async Task<Ok<InstanceView>> TerminateAsync(Guid id, ReasonRequest? body, Caller caller, OrchestrationService orchestrations, CancellationToken ct)
    {
        var reason = Reason(body);
        return TypedResults.Ok(await orchestrations.TerminateAsync(caller, id, reason, ct));
    }

    public static async Task<Ok<InstanceView>> SuspendAsync(Guid id, ReasonRequest? body, Caller caller, OrchestrationService orchestrations, CancellationToken ct)
    {
        var reason = Reason(body);
        return TypedResults.Ok(await orchestrations.SuspendAsync(caller, id, reason, ct));
    }

    public static async Task<Ok<InstanceView>> ResumeAsync(Guid id, ReasonRequest? body, Caller caller, OrchestrationService orchestrations, CancellationToken ct)
    {
        var reason = Reason(body);
        return TypedResults.Ok(await orchestrations.ResumeAsync(caller, id, reason, ct));
    }

    public static async Task<Ok<InstanceView>> RaiseEventAsync(Guid id, RaiseEventRequest body, Caller caller, OrchestrationService orchestrations, CancellationToken ct)
    {
        var v = new Validation();
        var name = v.RequiredText("$.name", body.Name, 100);
        if (name is not null && !EventName().IsMatch(name)) v.Add("$.name", "must be letters, digits, '_', '-' or '.'.");
        // The job orchestration's own signal: raised alone it would cut every backoff short without cancelling anything.
        if (name == JobCancelEvent) v.Add("$.name", "is the job orchestration's cancel signal: cancel the job with POST /api/v1/jobs/{id}/cancel.");
        if (body.Payload is { } p && System.Text.Encoding.UTF8.GetByteCount(p.GetRawText()) > MaxEventPayloadBytes) v.Add("$.payload", $"must be at most {MaxEventPayloadBytes / 1024} KiB.");
        v.ThrowIfInvalid();
        return TypedResults.Ok(await orchestrations.RaiseEventAsync(caller, id, name!, body.Payload, ct));
    }

    public static async Task<Ok<PurgeResult>> PurgeAsync(Guid id, Caller caller, OrchestrationService orchestrations, CancellationToken ct) =>
        TypedResults.Ok(await orchestrations.PurgeAsync(caller, id, ct));

    public static async Task<Ok<PurgeResult>> PurgeManyAsync(PurgeRequest body, Caller caller, OrchestrationService orchestrations, CancellationToken ct)
    {
        var v = new Validation();
        var statuses = body.Statuses ?? OrchestrationService.Ended;
        if (statuses.Length == 0 || statuses.Any(s => !OrchestrationService.Ended.Contains(s))) v.Add("$.statuses", "must be one or more of completed, failed, terminated (only ended instances are purged).");
        if (body.CreatedBefore is null) v.Add("$.created_before", "is required: purge what was created before a time.");
        if (body.CreatedAfter > body.CreatedBefore) v.Add("$.created_after", "must not be after created_before.");
        var after = Guid.Empty;
        if (body.Cursor is not null && !Guid.TryParse(body.Cursor, out after)) v.Add("$.cursor", "is not a cursor this API returned.");
        v.ThrowIfInvalid();
        return TypedResults.Ok(await orchestrations.PurgeManyAsync(caller, statuses, body.CreatedAfter, body.CreatedBefore, after, body.DryRun ?? false, ct));
    }

    [GeneratedRegex("^[0-9a-fA-F-]{1,36}$")]
    private static partial Regex InstancePrefix();

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex EventName();
}
