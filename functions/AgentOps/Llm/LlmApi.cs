using System.Net.ServerSentEvents;
using System.Text.Json;
using AgentOps.Guardrails.Pipeline;
using AgentOps.Providers;

namespace AgentOps.Llm;

public sealed record LlmToolCallView(string Id, string Name, JsonElement? Arguments, string ArgumentsText);

public sealed record LlmUsageView(int InputTokens, int OutputTokens, int CachedInputTokens);

public sealed record LlmStepView(string Step, string Outcome, double Ms, string? Code);

public sealed record LlmGuardrailsView(IReadOnlyList<RedactionCountView> Redactions, IReadOnlyList<string> Flagged, ScreenSummary Injection, IReadOnlyList<LlmStepView> Steps);

/// <summary>A model call's answer as the caller may see it, with what the guardrails did and the hashes the audit rows carry.</summary>
public sealed record LlmCompleteResponse(
    Guid CallId, string Connection, string Provider, string Model, string Content, IReadOnlyList<LlmToolCallView> ToolCalls, string FinishReason,
    LlmUsageView Usage, decimal? CostUsd, bool Cached, int Reasks, string? ProviderRequestId, string? PromptHash, string? ContextHash, string? OutputHash,
    LlmGuardrailsView Guardrails);

/// <summary>
/// Model calls over HTTP. <c>POST /llm/complete</c> answers the whole call; <c>POST /llm/complete/stream</c> answers
/// server-sent events: <c>delta</c> ({"text"}) as the answer is written, then exactly one <c>end</c> ({"response"} like
/// the non-streamed answer, or {"error"} a problem with its code: a stream cut mid-way ends so, never silently). A call
/// refused before the provider answers a problem with its status, as the non-streamed call does.
/// </summary>
public static class LlmApi
{
    public static void MapLlmApi(this RouteGroupBuilder api)
    {
        var llm = api.MapGroup("/llm").WithTags("LLM");
        llm.MapPost("/complete", CompleteAsync).Requires(Permission.LlmComplete).WithName("completeLlm").Problems(400, 409, 422, 429, 502, 503, 504)
            .WithSummary("Call a model through the guardrail pipeline (redact, screen, cache, budget, audit)");
        llm.MapPost("/complete/stream", StreamAsync).Requires(Permission.LlmComplete).WithName("streamLlm").Problems(400, 409, 422, 429, 502, 503, 504)
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream")
            .WithSummary("The same call, streamed as server-sent events: delta…, then one end (response or error)");
    }

    public static async Task<Ok<LlmCompleteResponse>> CompleteAsync(LlmCompleteRequest body, Caller caller, LlmService llm, CancellationToken ct)
    {
        var (outcome, call) = await Guard(llm.CompleteAsync(caller, body, ct));
        if (outcome.Denied) throw Problem(outcome);
        return TypedResults.Ok(View(outcome, call));
    }

    public static async Task<IResult> StreamAsync(LlmCompleteRequest body, Caller caller, LlmService llm, HttpContext http, CancellationToken ct)
    {
        var call = await llm.PrepareAsync(caller, body, ct);
        var events = llm.StreamAsync(call, ct).GetAsyncEnumerator(ct);
        // Disposed with the response even if the stream is never read (the client gone first): the pipeline closes the call on record.
        http.Response.RegisterForDisposeAsync(events);
        // The first event decides the status: a call refused before the provider is a problem, not a 200 stream.
        if (!await Guard(events.MoveNextAsync().AsTask())) throw new InvalidOperationException("The pipeline's stream ended without its end.");
        if (events.Current is LlmStreamEvent.End { Outcome.Denied: true } refused)
        {
            await events.DisposeAsync();
            throw Problem(refused.Outcome);
        }
        return TypedResults.ServerSentEvents(Items(events, call));
    }

    private static async IAsyncEnumerable<SseItem<string>> Items(IAsyncEnumerator<LlmStreamEvent> events, LlmService.Call call)
    {
        try
        {
            // The first event is current already (it decided the status).
            for (var more = (bool?)true; more == true; more = await MoveNextGuarded(events))
            {
                switch (events.Current)
                {
                    case LlmStreamEvent.Text text:
                        yield return new SseItem<string>(JsonSerializer.Serialize(new { text = text.Value }, Json.Options), "delta");
                        break;
                    case LlmStreamEvent.End { Outcome: var o }:
                        yield return new SseItem<string>(o.Denied
                            ? Error(o.DeniedCode!, o.DeniedReason, o.CallId)
                            : JsonSerializer.Serialize(new { response = View(o, call) }, Json.Options), "end");
                        yield break;
                }
            }
            // The pipeline always ends with an end; only an audit that could not close the call stops it before: still an explicit end.
            yield return new SseItem<string>(Error("audit_unavailable", "The audit log could not record the model call, so its outcome is withheld.", null), "end");
        }
        finally
        {
            await events.DisposeAsync();
        }
    }

    private static string Error(string code, string? detail, Guid? callId) =>
        JsonSerializer.Serialize(new { error = new { code, status = code == "audit_unavailable" ? 503 : Status(code), detail, call_id = callId } }, Json.Options);

    /// <summary>The next event; null when the audit could not record the call's end.</summary>
    private static async Task<bool?> MoveNextGuarded(IAsyncEnumerator<LlmStreamEvent> events)
    {
        try { return await events.MoveNextAsync(); }
        catch (LlmAuditUnavailableException) { return null; }
    }

    private static async Task<T> Guard<T>(Task<T> work)
    {
        try { return await work; }
        catch (LlmAuditUnavailableException)
        {
            throw new ApiProblem(StatusCodes.Status503ServiceUnavailable, "audit_unavailable", "Service unavailable",
                "The audit log could not record the model call, so its outcome is withheld. Retry later.") { RetryAfterSeconds = 5 };
        }
    }

    /// <summary>The HTTP status of a refusal's code (the code itself is the stable part).</summary>
    public static int Status(string code) => code switch
    {
        "invalid_request" => StatusCodes.Status400BadRequest,
        "kill_switch" or "agent_paused" or "agent_archived" => StatusCodes.Status409Conflict,
        "provider_rate_limited" => StatusCodes.Status429TooManyRequests,
        "provider_timeout" => StatusCodes.Status504GatewayTimeout,
        "guardrail_unavailable" => StatusCodes.Status503ServiceUnavailable,
        "provider_bad_request" or "provider_content_blocked" => StatusCodes.Status422UnprocessableEntity,
        _ when code.StartsWith("provider_", StringComparison.Ordinal) => StatusCodes.Status502BadGateway,
        _ => StatusCodes.Status422UnprocessableEntity,
    };

    private static ApiProblem Problem(LlmCallOutcome o)
    {
        var status = Status(o.DeniedCode!);
        var title = status switch { 400 => "Bad request", 409 => "Conflict", 429 => "Too many requests", 502 => "Bad gateway", 503 => "Service unavailable", 504 => "Gateway timeout", _ => "Unprocessable" };
        return new ApiProblem(status, o.DeniedCode!, title, o.DeniedReason,
            o.SchemaErrors.Count > 0 ? new Dictionary<string, string[]> { ["$.answer"] = [.. o.SchemaErrors] } : null)
        { RetryAfterSeconds = status is 429 or 503 ? 5 : null };
    }

    private static LlmCompleteResponse View(LlmCallOutcome o, LlmService.Call call)
    {
        var r = o.Result!;
        return new LlmCompleteResponse(o.CallId, call.Connection.Name, call.Connection.Kind, r.Model.Length > 0 ? r.Model : call.Input.Request.Model, r.Content,
            [.. r.ToolCalls.Select(c => new LlmToolCallView(c.Id, c.Name, c.Arguments, c.ArgumentsJson))], LlmLedger.Wire(r.FinishReason),
            new LlmUsageView(r.Usage.InputTokens, r.Usage.OutputTokens, r.Usage.CachedInputTokens), o.CostMicros / 1_000_000m, o.Cached, o.Reasks, r.RequestId,
            o.PromptHash, o.ContextHash, o.OutputHash,
            new LlmGuardrailsView([.. o.Redactions.Kinds.Select(k => new RedactionCountView(k.Kind, k.Occurrences, k.Values))], o.Flagged, o.Screen,
                [.. o.Steps.Select(s => new LlmStepView(s.Step, s.Outcome, Math.Round(s.Milliseconds, 3), s.Code))]));
    }
}
