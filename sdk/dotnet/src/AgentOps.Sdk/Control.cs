using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace AgentOps.Sdk;

/// <summary>The control plane: policy checks and approval waits.</summary>
public sealed partial class AgentOpsClient
{
    /// <summary>The default total wait of <see cref="WaitForApprovalAsync"/> (5 minutes, as in the other SDKs).</summary>
    public static readonly TimeSpan DefaultApprovalTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The server's longest approval long-poll.</summary>
    public static readonly TimeSpan MaxApprovalPoll = TimeSpan.FromSeconds(60);

    /// <summary>Extra time an approval poll's HTTP request gets beyond its server-side timeout.</summary>
    private static readonly TimeSpan ApprovalPollGrace = TimeSpan.FromSeconds(10);

    /// <summary>Pause between approval polls after a network error or 5xx.</summary>
    private static readonly TimeSpan ApprovalErrorPause = TimeSpan.FromSeconds(1);

    /// <summary>The shortest time between two approval polls: a server answering <c>pending</c> at once is not asked in a hot loop.</summary>
    private static readonly TimeSpan MinApprovalPollInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Asks the server whether the agent may take <paramref name="action"/> (an object serialized as JSON, a
    /// <see cref="JsonElement"/> or a dictionary; it should have a <c>type</c>). <paramref name="step"/> names the step so
    /// that a repeated check of the same run and step returns the approval request already made. The run is
    /// <paramref name="run"/>, else the current one (outside any run, the client's ad-hoc run). Throws
    /// <see cref="AgentPausedException"/> when the agent is paused. When the server cannot answer (or the client is not
    /// configured) it never throws: the decision is <see cref="AgentOpsOptions.PolicyFallback"/> (block by default) with
    /// <see cref="PolicyDecision.FromServer"/> false and reason <c>check_failed</c> (or <c>not_configured</c>); strict
    /// mode throws <see cref="AgentOpsException"/> instead.
    /// </summary>
    public async Task<PolicyDecision> CheckPolicyAsync(object action, string? step = null, object? context = null,
        AgentRun? run = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        var state = run?.State ?? FindState(Activity.Current)?.Run;
        var agent = state?.Agent ?? _options.Agent!;
        var runId = state?.RunId ?? _adHocRunId;
        if (!_configured)
        {
            if (_options.Strict) throw new AgentOpsException("AgentOps is not configured: set Endpoint and ApiKey (or AGENTOPS_URL and AGENTOPS_API_KEY).");
            return Fallback("not_configured", null);
        }

        byte[] Body(bool withStep)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("run_id", runId);
                w.WriteString("agent", agent);
                w.WritePropertyName("action");
                EventWriter.WriteValue(w, action);
                if (context is not null)
                {
                    w.WritePropertyName("context");
                    EventWriter.WriteValue(w, context);
                }
                if (withStep && step is not null) w.WriteString("step", step);
                w.WriteEndObject();
            }
            return buffer.WrittenSpan.ToArray();
        }

        JsonElement answer;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.PolicyTimeout);
            var (response, bytes) = await PostCheckAsync(Body(!_stepUnsupported), timeout.Token).ConfigureAwait(false);
            if ((int)response.StatusCode == 400 && step is not null && !_stepUnsupported && TryCode(bytes) == "unknown_field")
            {
                // A server older than idempotent steps: ask without it (a repeated check then makes a new request).
                _stepUnsupported = true;
                Warn("this server does not take policy check steps; checks are not idempotent per step");
                response.Dispose();
                (response, bytes) = await PostCheckAsync(Body(false), timeout.Token).ConfigureAwait(false);
            }
            using var answered = response;
            if (!response.IsSuccessStatusCode)
            {
                var code = TryCode(bytes) ?? "http_" + ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                if (IsPaused(agent)) throw new AgentPausedException(agent);
                if (_options.Strict) throw new AgentOpsException($"The policy check failed: {(int)response.StatusCode} {code}", (int)response.StatusCode, code);
                Warn($"the policy check answered {(int)response.StatusCode} {code}; answering {_options.PolicyFallback}");
                return Fallback("check_failed", code);
            }
            using var doc = JsonDocument.Parse(bytes);
            answer = doc.RootElement.Clone();
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            if (IsPaused(agent)) throw new AgentPausedException(agent);
            if (_options.Strict) throw new AgentOpsException("The policy check could not reach AgentOps: " + ex.GetType().Name, ex);
            Warn($"the policy check could not reach the server ({ex.GetType().Name}); answering {_options.PolicyFallback}");
            return Fallback("check_failed", null);
        }

        var decision = ParseDecision(answer);
        if (decision.Decision == Decision.Block && decision.Reason is "agent_paused" or "org_killed")
        {
            MarkPaused(agent);
            throw new AgentPausedException(agent);
        }
        ClearPaused(agent);
        return decision;
    }

    private async Task<(HttpResponseMessage, byte[])> PostCheckAsync(byte[] body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/policy/check") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        try { return (response, await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false)); }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>The decision answered without the server (<see cref="AgentOpsOptions.PolicyFallback"/>).</summary>
    private PolicyDecision Fallback(string reason, string? problemCode) =>
        new(this, _options.PolicyFallback, reason, null, [], null, null, default, fromServer: false, problemCode: problemCode);

    private PolicyDecision ParseDecision(JsonElement root)
    {
        var decision = Str(root, "decision") switch
        {
            "allow" => Decision.Allow,
            "require_approval" => Decision.RequireApproval,
            _ => Decision.Block,
        };
        PolicyRef? policy = null;
        if (root.TryGetProperty("policy", out var p) && p.ValueKind == JsonValueKind.Object)
            policy = new PolicyRef(Str(p, "id") ?? "", Str(p, "name"), p.TryGetProperty("version", out var v) && v.TryGetInt32(out var vi) ? vi : null);
        var matched = new List<string>();
        if (root.TryGetProperty("matched", out var m) && m.ValueKind == JsonValueKind.Array)
            foreach (var item in m.EnumerateArray())
                matched.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : item.ToString());
        ApprovalRef? approval = null;
        if (root.TryGetProperty("approval", out var a) && a.ValueKind == JsonValueKind.Object)
            approval = new ApprovalRef(Str(a, "id") ?? "", ParseStatus(Str(a, "status")),
                Str(a, "expires_at") is { } exp && DateTimeOffset.TryParse(exp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var e) ? e : null,
                Str(a, "wait_url"));
        return new PolicyDecision(this, decision, Str(root, "reason"), policy, matched, approval, Str(root, "check_id"), root);
    }

    internal static ApprovalStatus ParseStatus(string? status) => status switch
    {
        "approved" => ApprovalStatus.Approved,
        "rejected" => ApprovalStatus.Rejected,
        "expired" => ApprovalStatus.Expired,
        _ => ApprovalStatus.Pending,
    };

    /// <summary>
    /// Long-polls <c>GET /api/v1/approvals/{id}/wait</c> (≤ 60 s a poll) until the request is decided or
    /// <paramref name="timeout"/> (default 5 minutes) passes (then <see cref="ApprovalStatus.Pending"/>). Network errors are retried until the
    /// timeout; cancellation throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task<ApprovalStatus> WaitForApprovalAsync(string approvalId, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(approvalId);
        var total = timeout ?? DefaultApprovalTimeout;
        if (!_configured) return ApprovalStatus.Pending; // nothing to ask (not configured), as in the other SDKs
        var deadline = Stopwatch.GetTimestamp() + ToTicks(total);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var remaining = FromTicks(deadline - Stopwatch.GetTimestamp());
            if (remaining <= TimeSpan.Zero) return ApprovalStatus.Pending;
            // Whole seconds not past the time left (the server takes 1–60); the request itself never outlasts the time left.
            var pollSeconds = (int)Math.Clamp(Math.Floor(remaining.TotalSeconds), 1, MaxApprovalPoll.TotalSeconds);
            var requestTimeout = TimeSpan.FromSeconds(pollSeconds) + ApprovalPollGrace;
            if (requestTimeout > remaining) requestTimeout = remaining;
            var pollStarted = Stopwatch.GetTimestamp();
            try
            {
                using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                poll.CancelAfter(requestTimeout);
                using var response = await _http.GetAsync(
                    $"api/v1/approvals/{Uri.EscapeDataString(approvalId)}/wait?timeout_s={pollSeconds.ToString(CultureInfo.InvariantCulture)}", poll.Token).ConfigureAwait(false);
                var bytes = await response.Content.ReadAsByteArrayAsync(poll.Token).ConfigureAwait(false);
                var code = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    using var doc = JsonDocument.Parse(bytes);
                    var status = ParseStatus(Str(doc.RootElement, "status"));
                    if (status != ApprovalStatus.Pending) return status;
                    // Answered well before its timeout_s: wait out the minimum interval (cancellable).
                    var early = MinApprovalPollInterval - Stopwatch.GetElapsedTime(pollStarted);
                    var left = FromTicks(deadline - Stopwatch.GetTimestamp());
                    if (early > left) early = left;
                    if (early > TimeSpan.Zero) await Task.Delay(early, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (code is not (408 or 429 or >= 500))
                    throw new AgentOpsException($"Waiting for approval {approvalId} failed: {code} {TryCode(bytes)}", code, TryCode(bytes));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { throw; }
            catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException or OperationCanceledException) { /* retried below */ }
            var pause = FromTicks(deadline - Stopwatch.GetTimestamp());
            if (pause <= TimeSpan.Zero) return ApprovalStatus.Pending;
            await Task.Delay(pause < ApprovalErrorPause ? pause : ApprovalErrorPause, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string? TryCode(byte[] bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return Str(doc.RootElement, "code");
        }
        catch (JsonException) { return null; }
    }
}
