using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using AgentOps.Guardrails.Envelope;
using AgentOps.Guardrails.Redaction;
using AgentOps.Guardrails.Screening;
using AgentOps.Providers;

namespace AgentOps.Guardrails.Pipeline;

/// <summary>Sends a prepared request to the provider (the connection, its fallbacks and resilience are bound in).</summary>
public delegate Task<ModelResult> ModelCall(ModelRequest request, CancellationToken ct);

/// <summary>Streams a prepared request from the provider.</summary>
public delegate IAsyncEnumerable<ModelDelta> ModelStream(ModelRequest request, CancellationToken ct);

/// <summary>The audit could not record a call's outcome: the call's answer is withheld and the failure surfaces (503 audit_unavailable).</summary>
public sealed class LlmAuditUnavailableException(Exception inner) : Exception("The audit log could not record the model call.", inner);

/// <summary>What a streamed call sends its caller: text as it is written (in the caller's form), then exactly one end.</summary>
public abstract record LlmStreamEvent
{
    private LlmStreamEvent() { }

    public sealed record Text(string Value) : LlmStreamEvent;

    /// <summary>The end: <see cref="Outcome"/> says how (an answer, a refusal, or an error after some text: never a silent truncation).</summary>
    public sealed record End(LlmCallOutcome Outcome) : LlmStreamEvent;
}

/// <summary>
/// The one road every model call of the platform takes, in this order: accept → redact → injection screen → prompt
/// envelope → hashes → cache lookup → budget (per call, then admission: kill switch, paused agent) → audit request →
/// provider → parse → schema gate (re-asking a bounded number of times) → usage and cost → output hash → audit response
/// (with the run and its llm.call span) → cache set → the answer in the caller's form.
/// <para>
/// Fail closed by construction: each step is declared with a time budget and what its own failure means
/// (<see cref="StepSpec"/>, deny unless said otherwise: only the cache may be skipped), runs through
/// <see cref="StepRunner"/>, and a result nobody set is a denial. Every step's outcome and time goes into the audit rows.
/// </para>
/// </summary>
public sealed class GuardrailPipeline(IGuardrailPolicies policies, ResponseCache cache, ILlmLedger ledger, TimeProvider time)
{
    /// <summary>The steps, in order, with their time budgets: guards against a stall, far above their p99 (docs/guardrails.md).</summary>
    public static class Step
    {
        public static readonly StepSpec Policy = new("policy", TimeSpan.FromSeconds(5));
        public static readonly StepSpec Accept = new("accept", TimeSpan.FromSeconds(2));
        public static readonly StepSpec Redact = new("redact", TimeSpan.FromSeconds(2));
        public static readonly StepSpec Screen = new("screen", TimeSpan.FromSeconds(5));
        public static readonly StepSpec Envelope = new("envelope", TimeSpan.FromSeconds(2));
        public static readonly StepSpec CacheLookup = new("cache_lookup", TimeSpan.FromMilliseconds(250), StepFailure.Skip);
        public static readonly StepSpec Budget = new("budget", TimeSpan.FromSeconds(5));
        public static readonly StepSpec AuditRequest = new("audit_request", TimeSpan.FromSeconds(10));
        public static readonly StepSpec Parse = new("parse", TimeSpan.FromSeconds(2));
        public static readonly StepSpec SchemaGate = new("schema_gate", TimeSpan.FromSeconds(2));
        public static readonly StepSpec AuditResponse = new("audit_response", TimeSpan.FromSeconds(10));
        public static readonly StepSpec CacheSet = new("cache_set", TimeSpan.FromMilliseconds(250), StepFailure.Skip);
    }

    /// <summary>The accept step's code for a malformed request.</summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>The state after the pre-call steps: refused, answered from the cache, or ready for the provider.</summary>
    private sealed record Prepared(CallState State, GuardrailPolicy Policy, Redactor Redactor, LlmRequestRecord? Record, PromptCacheKey? Key,
        ResponseCache.Entry? Hit, LlmCallOutcome? Refused);

    public async Task<LlmCallOutcome> RunAsync(LlmCallContext context, LlmCallInput input, ModelCall call, CancellationToken ct)
    {
        var callId = Guid.CreateVersion7();
        var startedAt = time.GetUtcNow();
        var clock = Stopwatch.StartNew();
        var steps = new List<StepRecord>();
        var prepared = await PrepareAsync(callId, context, input, steps, ct);
        if (prepared.Refused is { } refused) return await RefusedAsync(callId, context, prepared, refused, startedAt, clock, steps);
        var (state, policy, redactor, record, key) = (prepared.State, prepared.Policy, prepared.Redactor, prepared.Record!, prepared.Key);
        if (prepared.Hit is { } hit) return await AnswerAsync(callId, context, prepared, hit.Answer, hit.OutputHash, cached: true, [], 0, startedAt, clock, steps, ct);

        var request = state.ForProvider;
        IReadOnlyList<string> schemaErrors = [];
        ModelResult answer;
        var reasks = 0;
        while (true)
        {
            try
            {
                answer = await call(request, ct);
            }
            catch (ProviderException e)
            {
                return await FailAsync(callId, context, prepared, ProviderCode(e), ProviderMessage(e), e.StatusCode, startedAt, clock, steps, ct);
            }
            ModelResult current = answer;
            var gate = await StepRunner.Run(Step.SchemaGate, () =>
            {
                schemaErrors = CallSteps.SchemaErrors(state, current);
                return schemaErrors.Count == 0 ? StepResult.Continue : StepResult.Deny("schema_invalid", "The answer does not fit the required format.");
            }, steps, ct);
            if (gate.Verdict == StepVerdict.Continue) break;
            if (schemaErrors.Count == 0 || reasks >= input.MaxReasks)
                return await FailAsync(callId, context, prepared, gate.Code ?? "schema_invalid",
                    (gate.Reason ?? "The answer does not fit the required format.") + (schemaErrors.Count > 0 ? " " + string.Join("; ", schemaErrors) : ""),
                    null, startedAt, clock, steps, ct, schemaErrors);
            reasks++;
            request = CallSteps.Reask(request, answer, schemaErrors);
        }

        ModelResult? recorded = null;
        var parse = await StepRunner.Run(Step.Parse, () =>
        {
            var (redacted, failure) = CallSteps.RedactAnswer(answer, state.Map, redactor);
            recorded = redacted;
            return redacted is null ? StepResult.Deny("not_screened", $"The answer could not be screened for secrets ({failure}): withheld (fail closed).") : StepResult.Continue;
        }, steps, ct);
        if (parse.Verdict != StepVerdict.Continue) return await FailAsync(callId, context, prepared, parse.Code!, parse.Reason!, null, startedAt, clock, steps, ct);
        // The provider's raw body is kept for the audit with its texts redacted like everything else recorded.
        recorded = recorded! with { RawBody = RedactRaw(answer.RawBody, state.Map, redactor) };
        return await AnswerAsync(callId, context, prepared, recorded, CallSteps.OutputHash(recorded), cached: false, schemaErrors, reasks, startedAt, clock, steps, ct);
    }

    /// <summary>
    /// The same road, streamed. The pre-call steps run first; text goes out line by line (a line is redacted whole, so a
    /// value is never cut in two by a chunk boundary), a cut stream ends with an error end after the text it sent, and
    /// the schema gate (which cannot re-ask a stream) judges the whole answer at the end. Fallback happens only before
    /// the first delta (the <see cref="ModelStream"/> given decides that).
    /// </summary>
    public async IAsyncEnumerable<LlmStreamEvent> StreamAsync(LlmCallContext context, LlmCallInput input, ModelStream stream, [EnumeratorCancellation] CancellationToken ct)
    {
        var callId = Guid.CreateVersion7();
        var startedAt = time.GetUtcNow();
        var clock = Stopwatch.StartNew();
        var steps = new List<StepRecord>();
        var prepared = await PrepareAsync(callId, context, input, steps, ct);
        if (prepared.Refused is { } refused) { yield return new LlmStreamEvent.End(await RefusedAsync(callId, context, prepared, refused, startedAt, clock, steps)); yield break; }
        var (state, policy, redactor) = (prepared.State, prepared.Policy, prepared.Redactor);
        if (prepared.Hit is { } hit)
        {
            var outcome = await AnswerAsync(callId, context, prepared, hit.Answer, hit.OutputHash, cached: true, [], 0, startedAt, clock, steps, ct);
            if (outcome.Result is { Content.Length: > 0 } cachedAnswer) yield return new LlmStreamEvent.Text(cachedAnswer.Content);
            yield return new LlmStreamEvent.End(outcome);
            yield break;
        }

        var assembler = new ModelStreamAssembler();
        var pending = new StringBuilder();
        var deltas = stream(state.ForProvider, ct).WithCancellation(ct).ConfigureAwait(false);
        await using var reader = deltas.GetAsyncEnumerator();
        while (true)
        {
            ProviderException? failure = null;
            bool more;
            try { more = await reader.MoveNextAsync(); }
            catch (ProviderException e) { (failure, more) = (e, false); }
            if (failure is not null)
            {
                // What was sent stays sent; the end says plainly that the answer broke off.
                if (pending.Length > 0) { var text = Emit(pending.ToString(), state, policy, redactor); pending.Clear(); if (text is not null) yield return new LlmStreamEvent.Text(text); }
                yield return new LlmStreamEvent.End(await FailAsync(callId, context, prepared, ProviderCode(failure), ProviderMessage(failure), failure.StatusCode, startedAt, clock, steps, ct));
                yield break;
            }
            if (!more) break;
            var delta = reader.Current;
            assembler.Add(delta);
            if (delta is not TextDelta { Text: var chunk }) continue;
            pending.Append(chunk);
            var cut = FlushPoint(pending);
            if (cut <= 0) continue;
            var line = Emit(pending.ToString(0, cut), state, policy, redactor);
            pending.Remove(0, cut);
            if (line is null)
            {
                yield return new LlmStreamEvent.End(await FailAsync(callId, context, prepared, "not_screened", "The answer could not be screened for secrets: withheld (fail closed).", null, startedAt, clock, steps, ct));
                yield break;
            }
            yield return new LlmStreamEvent.Text(line);
        }
        if (pending.Length > 0)
        {
            var rest = Emit(pending.ToString(), state, policy, redactor);
            if (rest is null)
            {
                yield return new LlmStreamEvent.End(await FailAsync(callId, context, prepared, "not_screened", "The answer could not be screened for secrets: withheld (fail closed).", null, startedAt, clock, steps, ct));
                yield break;
            }
            yield return new LlmStreamEvent.Text(rest);
        }
        if (!assembler.IsFinished)
        {
            yield return new LlmStreamEvent.End(await FailAsync(callId, context, prepared, "provider_stream_cut", "The provider's stream ended without its end.", null, startedAt, clock, steps, ct));
            yield break;
        }
        var answer = assembler.ToResult();
        IReadOnlyList<string> errors = [];
        var gate = await StepRunner.Run(Step.SchemaGate, () =>
        {
            errors = CallSteps.SchemaErrors(state, answer);
            return errors.Count == 0 ? StepResult.Continue : StepResult.Deny("schema_invalid", "The answer does not fit the required format.");
        }, steps, ct);
        if (gate.Verdict != StepVerdict.Continue)
        {
            yield return new LlmStreamEvent.End(await FailAsync(callId, context, prepared, gate.Code ?? "schema_invalid",
                (gate.Reason ?? "The answer does not fit the required format.") + (errors.Count > 0 ? " " + string.Join("; ", errors) : ""), null, startedAt, clock, steps, ct, errors));
            yield break;
        }
        var (recorded, _) = CallSteps.RedactAnswer(answer, state.Map, redactor);
        if (recorded is null)
        {
            yield return new LlmStreamEvent.End(await FailAsync(callId, context, prepared, "not_screened", "The answer could not be screened for secrets: withheld (fail closed).", null, startedAt, clock, steps, ct));
            yield break;
        }
        recorded = recorded with { RawBody = RedactRaw(answer.RawBody, state.Map, redactor) };
        yield return new LlmStreamEvent.End(await AnswerAsync(callId, context, prepared, recorded, CallSteps.OutputHash(recorded), cached: false, [], 0, startedAt, clock, steps, ct));
    }

    /// <summary>Longest text held back while a stream waits for the end of its line (a longer line goes out at its last space).</summary>
    public const int MaxPendingChars = 2_048;

    private static int FlushPoint(StringBuilder pending)
    {
        for (var i = pending.Length - 1; i >= 0; i--)
            if (pending[i] == '\n') return i + 1;
        if (pending.Length < MaxPendingChars) return 0;
        // A very long line: cut at a space well before the end (every detected kind but a phone number is free of spaces,
        // and one is shorter than the 256 characters kept back).
        for (var i = pending.Length - 256; i > 0; i--)
            if (pending[i] == ' ') return i + 1;
        return pending.Length;
    }

    private static string? Emit(string text, CallState state, GuardrailPolicy policy, Redactor redactor)
    {
        var r = redactor.Redact(text, state.Map);
        if (!r.Screened) return null;
        return CallSteps.ForCaller(new ModelResult(r.Text, [], ModelUsage.Zero, "", FinishReason.Stop, null, null, ""), state, policy).Content;
    }

    private async Task<Prepared> PrepareAsync(Guid callId, LlmCallContext context, LlmCallInput input, List<StepRecord> steps, CancellationToken ct)
    {
        var state = new CallState(input);
        GuardrailPolicy policy = GuardrailPolicy.Default;
        Redactor? redactor = null;
        Prepared Refuse(StepResult r) => new(state, policy, redactor ?? Redactor.Default, null, null, null, Outcome(callId, r.Code ?? "denied", r.Reason, state, steps));

        var result = await StepRunner.RunAsync(Step.Policy, async token =>
        {
            policy = await policies.GetAsync(context.OrgId, token);
            redactor = policy.CompiledRedactor();
            return StepResult.Continue;
        }, steps, ct);
        if (result.Verdict != StepVerdict.Continue) return Refuse(result);
        if ((result = await StepRunner.Run(Step.Accept, () => CallSteps.Accept(state), steps, ct)).Verdict != StepVerdict.Continue) return Refuse(result);
        if ((result = await StepRunner.Run(Step.Redact, () => CallSteps.Redact(state, policy, redactor!), steps, ct)).Verdict != StepVerdict.Continue) return Refuse(result);
        // The screen's rules are built once per process (about a second); that is start-up work, not this step's time.
        InjectionScreen.Prepare();
        if ((result = await StepRunner.Run(Step.Screen, () => CallSteps.Screen(state, policy), steps, ct)).Verdict != StepVerdict.Continue) return Refuse(result);
        if ((result = await StepRunner.Run(Step.Envelope, () => CallSteps.Envelope(state), steps, ct)).Verdict != StepVerdict.Continue) return Refuse(result);

        var key = PromptCacheKey.For(context.OrgId, context.ConnectionId.ToString("D"), state.ForProvider.Model, state.Envelope!) with { OptionsHash = state.OptionsHash };
        ResponseCache.Entry? hit = null;
        if (input.UseCache)
            await StepRunner.Run(Step.CacheLookup, () => (hit = cache.Get(key)) is null ? StepResult.Continue : StepResult.Answered, steps, ct);

        result = await StepRunner.RunAsync(Step.Budget, async token =>
        {
            var perCall = CallSteps.CallBudget(state);
            if (perCall.Verdict != StepVerdict.Continue) return perCall;
            var admitted = await ledger.AdmitAsync(context, new LlmAdmission(input.Agent, input.Scope, state.EstimatedInputTokens,
                state.ForProvider.MaxTokens ?? LlmCallLimits.DefaultMaxTokens, Reserve: hit is null && input.Scope is not null), token);
            state.Reserved = admitted.Verdict == StepVerdict.Continue && hit is null && input.Scope is not null;
            return admitted;
        }, steps, ct);
        if (result.Verdict != StepVerdict.Continue) return Refuse(result);

        var record = RequestRecord(callId, context, state, hit is not null, steps);
        result = await StepRunner.RunAsync(Step.AuditRequest, async token => { await ledger.RequestAsync(context, record, token); return StepResult.Continue; }, steps, ct);
        if (result.Verdict != StepVerdict.Continue) return Refuse(result);
        return new Prepared(state, policy, redactor!, record, key, hit, null);
    }

    private async Task<LlmCallOutcome> AnswerAsync(Guid callId, LlmCallContext context, Prepared prepared, ModelResult recorded, string outputHash, bool cached,
        IReadOnlyList<string> schemaErrors, int reasks, DateTimeOffset startedAt, Stopwatch clock, List<StepRecord> steps, CancellationToken ct)
    {
        var state = prepared.State;
        long? cost = null;
        var answer = cached ? recorded with { Usage = ModelUsage.Zero } : recorded;
        var audit = await StepRunner.RunAsync(Step.AuditResponse, async token =>
        {
            cost = await ledger.ResponseAsync(context, new LlmResponseRecord(prepared.Record!, answer, state.ForRecord.Messages, outputHash, cached, reasks, schemaErrors,
                startedAt, clock.Elapsed, steps), token);
            return StepResult.Continue;
        }, steps, ct);
        // Unrecorded, the answer is not given out (the call is spent; its error row may fail the same way, and then the error surfaces).
        if (audit.Verdict != StepVerdict.Continue) return Outcome(callId, audit.Code!, audit.Reason, state, steps);
        if (!cached && state.Input.UseCache && prepared.Key is { } key)
            await StepRunner.Run(Step.CacheSet, () => { cache.Set(key, recorded, outputHash); return StepResult.Continue; }, steps, ct);
        return new LlmCallOutcome(callId, null, null, CallSteps.ForCaller(answer, state, prepared.Policy), cached, state.Envelope?.PromptHash, state.Envelope?.ContextHash,
            outputHash, cost, steps, state.Map.Report(), state.Screen, schemaErrors, reasks) { Flagged = [.. state.Flagged.Order(StringComparer.Ordinal)] };
    }

    private async Task<LlmCallOutcome> FailAsync(Guid callId, LlmCallContext context, Prepared prepared, string code, string message, int? status,
        DateTimeOffset startedAt, Stopwatch clock, List<StepRecord> steps, CancellationToken ct, IReadOnlyList<string>? schemaErrors = null)
    {
        // A provider's message may quote the prompt: it is recorded and answered redacted like every other text.
        message = prepared.Redactor.Redact(message, prepared.State.Map) is { Screened: true } r ? r.Text : "(withheld: could not be screened)";
        await RecordErrorAsync(context, new LlmErrorRecord(prepared.Record!, code, message, status, startedAt, clock.Elapsed, steps, prepared.State.Reserved));
        return Outcome(callId, code, message, prepared.State, steps) with { SchemaErrors = schemaErrors ?? [] };
    }

    /// <summary>
    /// A call refused before the provider is on record too (llm.error with the step's code and reason): every verdict is
    /// kept. A request the accept step finds malformed is not a verdict but an invalid request: answered, not recorded
    /// (like any request that fails validation, it changes nothing).
    /// </summary>
    private async Task<LlmCallOutcome> RefusedAsync(Guid callId, LlmCallContext context, Prepared prepared, LlmCallOutcome refused, DateTimeOffset startedAt,
        Stopwatch clock, List<StepRecord> steps)
    {
        if (refused.DeniedCode == InvalidRequest) return refused;
        var record = prepared.Record ?? RequestRecord(callId, context, prepared.State, false, steps);
        await RecordErrorAsync(context, new LlmErrorRecord(record, refused.DeniedCode!, refused.DeniedReason ?? "", null, startedAt, clock.Elapsed, steps, prepared.State.Reserved));
        return refused;
    }

    /// <summary>An error row that cannot be written is not swallowed: the caller's request fails with <see cref="LlmAuditUnavailableException"/>.</summary>
    private async Task RecordErrorAsync(LlmCallContext context, LlmErrorRecord record)
    {
        try
        {
            // Not the caller's token: a call given up on is still recorded.
            await ledger.ErrorAsync(context, record, CancellationToken.None);
        }
        catch (Exception e)
        {
            throw new LlmAuditUnavailableException(e);
        }
    }

    private static LlmCallOutcome Outcome(Guid callId, string code, string? reason, CallState state, List<StepRecord> steps) =>
        new(callId, code, reason, null, false, state.Envelope?.PromptHash, state.Envelope?.ContextHash, null, null, steps, state.Map.Report(), state.Screen, [], 0)
        {
            Flagged = [.. state.Flagged.Order(StringComparer.Ordinal)],
        };

    private static LlmRequestRecord RequestRecord(Guid callId, LlmCallContext context, CallState state, bool cached, List<StepRecord> steps) =>
        new(callId, context.Provider, context.ConnectionId, context.ConnectionName, state.ForProvider.Model, state.Input.Agent, state.Envelope?.PromptHash ?? "",
            state.Envelope?.ContextHash ?? "", state.OptionsHash, state.EstimatedInputTokens, state.ForProvider.MaxTokens, cached, state.Input.Scope?.Scope,
            [.. state.Map.Report().Kinds.Select(k => new RedactionCountView(k.Kind, k.Occurrences, k.Values))], [.. state.Flagged.Order(StringComparer.Ordinal)],
            state.Screen, [.. steps]);

    /// <summary>A provider's raw body redacted as text (it is JSON or SSE; the detectors find values in either).</summary>
    private static string RedactRaw(string raw, RedactionMap map, Redactor redactor) =>
        raw.Length == 0 ? raw : redactor.Redact(raw, map) is { Screened: true } r ? r.Text : "";

    /// <summary>A provider failure's stable code: provider_rate_limited, provider_timeout, provider_stream_cut, …</summary>
    public static string ProviderCode(ProviderException e) => "provider_" + e.Kind switch
    {
        ProviderErrorKind.RateLimited => "rate_limited", ProviderErrorKind.Overloaded => "unavailable", ProviderErrorKind.Timeout => "timeout",
        ProviderErrorKind.BadRequest => "bad_request", ProviderErrorKind.Unauthorized => "unauthorized", ProviderErrorKind.ContentBlocked => "content_blocked",
        ProviderErrorKind.StreamCut => "stream_cut", ProviderErrorKind.InvalidResponse => "invalid_response", _ => "unreachable",
    };

    private static string ProviderMessage(ProviderException e) =>
        e.StatusCode is { } status ? $"The provider answered {status}: {e.Message}" : e.Message;
}
