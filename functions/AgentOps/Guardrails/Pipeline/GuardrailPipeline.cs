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
/// envelope → hashes → cache lookup → budget (per call, then admission: kill switch, paused agent, scope caps) → audit
/// request → provider → schema gate (re-asking a bounded number of times) → parse → usage and cost → output hash → audit response
/// (with the run and its llm.call span) → cache set → the answer in the caller's form. (The schema gate judges the
/// provider's answer before the parse step redacts it for the record: a placeholder may not fit the schema's pattern.)
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

    /// <summary>
    /// One call in flight after its pre-call steps: its state, what the provider used so far (re-asks add up), the errors
    /// that caused re-asks, and whether its closing record (llm.response or llm.error) was written. Whatever way the call
    /// ends — an answer, a refusal, a provider failure, the caller going away — exactly one closing record is attempted.
    /// </summary>
    private sealed class Flight(Guid callId, LlmCallContext context, CallState state, GuardrailPolicy policy, Redactor redactor, DateTimeOffset startedAt)
    {
        public Guid CallId { get; } = callId;
        public LlmCallContext Context { get; } = context;
        public CallState State { get; } = state;
        public GuardrailPolicy Policy { get; } = policy;
        public Redactor Redactor { get; } = redactor;
        public DateTimeOffset StartedAt { get; } = startedAt;
        public Stopwatch Clock { get; } = Stopwatch.StartNew();
        public List<StepRecord> Steps { get; } = [];
        public List<string> ReaskErrors { get; } = [];
        public LlmRequestRecord? Record { get; set; }
        public PromptCacheKey? Key { get; set; }
        public ModelUsage Used { get; set; } = ModelUsage.Zero;
        public bool Closed { get; set; }

        public void Add(ModelUsage u) => Used = new(Used.InputTokens + u.InputTokens, Used.OutputTokens + u.OutputTokens,
            Used.CachedInputTokens + u.CachedInputTokens, Used.CacheWriteInputTokens + u.CacheWriteInputTokens);

        /// <summary>A text for a record or the caller, redacted through the call's map (a provider's message may quote the prompt).</summary>
        public string Redact(string text) => Redactor.Redact(text, State.Map) is { Screened: true } r ? r.Text : "(withheld: could not be screened)";
    }

    public async Task<LlmCallOutcome> RunAsync(LlmCallContext context, LlmCallInput input, ModelCall call, CancellationToken ct)
    {
        var (flight, refused, hit) = await PrepareAsync(context, input, ct);
        if (refused is not null) return refused;
        try
        {
            if (hit is not null) return await AnswerAsync(flight, hit.Answer, hit.OutputHash, cached: true, 0, ct);
            var request = flight.State.ForProvider;
            var reasks = 0;
            while (true)
            {
                ModelResult answer;
                try
                {
                    answer = await call(request, ct);
                }
                catch (ProviderException e)
                {
                    return await FailAsync(flight, ProviderCode(e), ProviderMessage(e), e.StatusCode);
                }
                flight.Add(answer.Usage);
                IReadOnlyList<string> errors = [];
                var gate = await StepRunner.Run(Step.SchemaGate, () =>
                {
                    errors = CallSteps.SchemaErrors(flight.State, answer);
                    return errors.Count == 0 ? StepResult.Continue : StepResult.Deny(SchemaInvalid, "The answer does not fit the required format.");
                }, flight.Steps, ct);
                if (gate.Verdict == StepVerdict.Continue)
                    return await ParsedAsync(flight, answer with { Usage = flight.Used }, reasks, ct);
                var redacted = errors.Select(flight.Redact).ToList();
                // A gate that failed (not a verdict on the answer) or no re-ask left: refused.
                if (gate.Code != SchemaInvalid || reasks >= input.MaxReasks)
                    return await FailAsync(flight, gate.Code ?? SchemaInvalid, (gate.Reason ?? "") + (redacted.Count > 0 ? " " + string.Join("; ", redacted) : ""), null, redacted);
                flight.ReaskErrors.AddRange(redacted);
                request = CallSteps.Reask(request, answer, errors);
                // A re-ask is another call: it must fit the per-call cap like the first.
                var estimate = LlmCallLimits.EstimateTokens(CallSteps.Chars(request));
                if (estimate > (input.MaxInputTokens ?? LlmCallLimits.MaxInputTokensPerCall))
                    return await FailAsync(flight, "call_budget_exceeded", $"The re-ask's input is about {estimate} tokens: more than a call may send.", null, redacted);
                reasks++;
            }
        }
        catch (Exception e) when (!flight.Closed && e is not LlmAuditUnavailableException)
        {
            // The caller went away or something unforeseen broke: the call is closed on record, then the exception goes on.
            await CloseAbandonedAsync(flight, e);
            throw;
        }
    }

    /// <summary>
    /// The same road, streamed. The pre-call steps run first; text goes out line by line (a line is redacted whole, so a
    /// value is never cut in two by a chunk boundary), a cut stream ends with an error end after the text it sent, and
    /// the schema gate (which cannot re-ask a stream) judges the whole answer at the end. Fallback happens only before
    /// the first delta (the <see cref="ModelStream"/> given decides that). A reader that stops early (a client gone
    /// before the end) still closes the call on record.
    /// </summary>
    public async IAsyncEnumerable<LlmStreamEvent> StreamAsync(LlmCallContext context, LlmCallInput input, ModelStream stream, [EnumeratorCancellation] CancellationToken ct)
    {
        var (flight, refused, hit) = await PrepareAsync(context, input, ct);
        if (refused is not null) { yield return new LlmStreamEvent.End(refused); yield break; }
        var failure = (Exception?)null;
        try
        {
            if (hit is not null)
            {
                var outcome = await AnswerAsync(flight, hit.Answer, hit.OutputHash, cached: true, 0, ct);
                if (outcome.Result is { Content.Length: > 0 } cachedAnswer) yield return new LlmStreamEvent.Text(cachedAnswer.Content);
                yield return new LlmStreamEvent.End(outcome);
                yield break;
            }
            var assembler = new ModelStreamAssembler();
            var pending = new StringBuilder();
            await using var reader = stream(flight.State.ForProvider, ct).GetAsyncEnumerator(ct);
            while (true)
            {
                ProviderException? cut = null;
                bool more;
                try { more = await reader.MoveNextAsync(); }
                catch (ProviderException e) { (cut, more) = (e, false); }
                catch (Exception e) { failure = e; throw; }
                if (cut is not null)
                {
                    // What was sent stays sent; the end says plainly that the answer broke off.
                    if (pending.Length > 0 && Emit(pending.ToString(), flight) is { } rest) yield return new LlmStreamEvent.Text(rest);
                    yield return new LlmStreamEvent.End(await FailAsync(flight, ProviderCode(cut), ProviderMessage(cut), cut.StatusCode));
                    yield break;
                }
                if (!more) break;
                var delta = reader.Current;
                assembler.Add(delta);
                if (delta is FinishDelta finish) flight.Add(finish.Usage);
                if (delta is not TextDelta { Text: var chunk }) continue;
                pending.Append(chunk);
                var at = FlushPoint(pending, flight);
                if (at <= 0) continue;
                var line = Emit(pending.ToString(0, at), flight);
                pending.Remove(0, at);
                if (line is null) { yield return new LlmStreamEvent.End(await NotScreenedAsync(flight)); yield break; }
                yield return new LlmStreamEvent.Text(line);
            }
            if (pending.Length > 0)
            {
                var rest = Emit(pending.ToString(), flight);
                if (rest is null) { yield return new LlmStreamEvent.End(await NotScreenedAsync(flight)); yield break; }
                yield return new LlmStreamEvent.Text(rest);
            }
            if (!assembler.IsFinished)
            {
                yield return new LlmStreamEvent.End(await FailAsync(flight, "provider_stream_cut", "The provider's stream ended without its end.", null));
                yield break;
            }
            var answer = assembler.ToResult();
            IReadOnlyList<string> errors = [];
            var gate = await StepRunner.Run(Step.SchemaGate, () =>
            {
                errors = CallSteps.SchemaErrors(flight.State, answer);
                return errors.Count == 0 ? StepResult.Continue : StepResult.Deny(SchemaInvalid, "The answer does not fit the required format.");
            }, flight.Steps, ct);
            if (gate.Verdict != StepVerdict.Continue)
            {
                var redacted = errors.Select(flight.Redact).ToList();
                yield return new LlmStreamEvent.End(await FailAsync(flight, gate.Code ?? SchemaInvalid,
                    (gate.Reason ?? "") + (redacted.Count > 0 ? " " + string.Join("; ", redacted) : ""), null, redacted));
                yield break;
            }
            yield return new LlmStreamEvent.End(await ParsedAsync(flight, answer, 0, ct));
        }
        finally
        {
            // Disposed before its end (the client went away) or broken: closed on record all the same.
            if (!flight.Closed) await CloseAbandonedAsync(flight, failure ?? new OperationCanceledException());
        }
    }

    public const string SchemaInvalid = "schema_invalid";

    /// <summary>Longest text held back while a stream waits for the end of its line.</summary>
    public const int MaxPendingChars = 2_048;

    /// <summary>Characters always kept back when a long line is cut: longer than any value the detectors find but a long key.</summary>
    public const int HoldBackChars = 256;

    /// <summary>
    /// Where the pending text may be cut: after its last line break (a line is redacted whole); for a line longer than
    /// <see cref="MaxPendingChars"/>, at a space (else anywhere) at least <see cref="HoldBackChars"/> from its end and
    /// outside every value the redactor finds in it, so no value is ever cut in two.
    /// </summary>
    private static int FlushPoint(StringBuilder pending, Flight flight)
    {
        for (var i = pending.Length - 1; i >= 0; i--)
            if (pending[i] == '\n') return i + 1;
        if (pending.Length < MaxPendingChars) return 0;
        var text = pending.ToString();
        var found = flight.Redactor.Redact(text, flight.State.Map);
        if (!found.Screened) return text.Length; // Emit refuses it (fail closed)
        bool Inside(int at) => found.Spans.Any(s => s.JsonPath is null && at > s.Start && at < s.Start + s.Length);
        var fallback = 0;
        for (var at = text.Length - HoldBackChars; at > 0; at--)
        {
            if (Inside(at)) continue;
            if (char.IsWhiteSpace(text[at - 1])) return at;
            if (fallback == 0) fallback = at;
        }
        return fallback;
    }

    /// <summary>A piece of streamed text in the caller's form; null when it cannot be screened.</summary>
    private static string? Emit(string text, Flight flight)
    {
        var r = flight.Redactor.Redact(text, flight.State.Map);
        if (!r.Screened) return null;
        return CallSteps.ForCaller(new ModelResult(r.Text, [], ModelUsage.Zero, "", FinishReason.Stop, null, null, ""), flight.State, flight.Policy).Content;
    }

    private Task<LlmCallOutcome> NotScreenedAsync(Flight flight) =>
        FailAsync(flight, "not_screened", "The answer could not be screened for secrets: withheld (fail closed).", null);

    private async Task<(Flight Flight, LlmCallOutcome? Refused, ResponseCache.Entry? Hit)> PrepareAsync(LlmCallContext context, LlmCallInput input, CancellationToken ct)
    {
        var state = new CallState(input);
        var flight = new Flight(Guid.CreateVersion7(), context, state, GuardrailPolicy.Default, Redactor.Default, time.GetUtcNow());
        var steps = flight.Steps;
        GuardrailPolicy policy = GuardrailPolicy.Default;
        Redactor? redactor = null;
        async Task<(Flight, LlmCallOutcome?, ResponseCache.Entry?)> Refuse(StepResult r)
        {
            var f = new Flight(flight.CallId, context, state, policy, redactor ?? Redactor.Default, flight.StartedAt);
            f.Steps.AddRange(steps);
            f.Record = flight.Record;
            return (f, await RefusedAsync(f, r), null);
        }

        var result = await StepRunner.RunAsync(Step.Policy, async token =>
        {
            policy = await policies.GetAsync(context.OrgId, token);
            redactor = policy.CompiledRedactor();
            return StepResult.Continue;
        }, steps, ct);
        if (result.Verdict != StepVerdict.Continue) return await Refuse(result);
        if ((result = await StepRunner.Run(Step.Accept, () => CallSteps.Accept(state), steps, ct)).Verdict != StepVerdict.Continue) return await Refuse(result);
        if ((result = await StepRunner.Run(Step.Redact, () => CallSteps.Redact(state, policy, redactor!), steps, ct)).Verdict != StepVerdict.Continue) return await Refuse(result);
        // The screen's rules are built once per process (about a second); that is start-up work, not this step's time.
        InjectionScreen.Prepare();
        if ((result = await StepRunner.Run(Step.Screen, () => CallSteps.Screen(state, policy), steps, ct)).Verdict != StepVerdict.Continue) return await Refuse(result);
        PromptCacheKey? key = null;
        result = await StepRunner.Run(Step.Envelope, () =>
        {
            var envelope = CallSteps.Envelope(state);
            // The organization's guardrails are part of the key: answers kept under other rules are not served after a change.
            key = PromptCacheKey.For(context.OrgId, $"{context.ConnectionId:D}@{context.ConnectionVersion}", state.ForProvider.Model, state.Envelope!)
                with { OptionsHash = CallSteps.Combine(state.OptionsHash, Fingerprint(policy)) };
            return envelope;
        }, steps, ct);
        if (result.Verdict != StepVerdict.Continue) return await Refuse(result);

        ResponseCache.Entry? hit = null;
        if (input.UseCache)
            await StepRunner.Run(Step.CacheLookup, () => cache.Get(key!) is { } found ? Found(found) : StepResult.Continue, steps, ct);
        StepResult Found(ResponseCache.Entry found)
        {
            hit = found;
            return StepResult.Answered;
        }
        // A lookup that overran its budget is not used (its step is recorded as skipped).
        if (steps[^1] is { Step: "cache_lookup", Outcome: not StepRunner.Answered }) hit = null;

        result = await StepRunner.RunAsync(Step.Budget, async token =>
        {
            var perCall = CallSteps.CallBudget(state);
            if (perCall.Verdict != StepVerdict.Continue) return perCall;
            var reserve = hit is null && input.Scope is not null;
            var admitted = await ledger.AdmitAsync(context, new LlmAdmission(input.Agent, input.Scope, state.EstimatedInputTokens,
                state.ForProvider.MaxTokens ?? LlmCallLimits.DefaultMaxTokens, reserve), token);
            state.Reserved = admitted.Verdict == StepVerdict.Continue && reserve;
            return admitted;
        }, steps, ct);
        if (result.Verdict != StepVerdict.Continue) return await Refuse(result);

        var ready = new Flight(flight.CallId, context, state, policy, redactor!, flight.StartedAt) { Key = key };
        ready.Steps.AddRange(steps);
        ready.Record = RequestRecord(ready, hit is not null);
        result = await StepRunner.RunAsync(Step.AuditRequest, async token => { await ledger.RequestAsync(context, ready.Record, token); return StepResult.Continue; },
            ready.Steps, ct);
        if (result.Verdict != StepVerdict.Continue) return (ready, await RefusedAsync(ready, result), null);
        return (ready, null, hit);
    }

    private static readonly ConditionalWeakTable<GuardrailPolicy, string> Fingerprints = [];

    /// <summary>SHA-256 of the policy's configuration document: same rules, same fingerprint.</summary>
    private static string Fingerprint(GuardrailPolicy policy) => Fingerprints.GetValue(policy, p =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(GuardrailPolicyJson.ToDocument(p), Json.Options))));

    /// <summary>The answer, redacted for the record (the parse step), then answered.</summary>
    private async Task<LlmCallOutcome> ParsedAsync(Flight flight, ModelResult answer, int reasks, CancellationToken ct)
    {
        ModelResult? recorded = null;
        var parse = await StepRunner.Run(Step.Parse, () =>
        {
            var (redacted, failure) = CallSteps.RedactAnswer(answer, flight.State.Map, flight.Redactor);
            recorded = redacted;
            return redacted is null ? StepResult.Deny("not_screened", $"The answer could not be screened for secrets ({failure}): withheld (fail closed).") : StepResult.Continue;
        }, flight.Steps, ct);
        if (parse.Verdict != StepVerdict.Continue) return await FailAsync(flight, parse.Code!, parse.Reason!, null);
        return await AnswerAsync(flight, recorded!, CallSteps.OutputHash(recorded!), cached: false, reasks, ct);
    }

    private async Task<LlmCallOutcome> AnswerAsync(Flight flight, ModelResult recorded, string outputHash, bool cached, int reasks, CancellationToken ct)
    {
        var state = flight.State;
        long? cost = null;
        var answer = cached ? recorded with { Usage = ModelUsage.Zero } : recorded;
        var audit = await StepRunner.RunAsync(Step.AuditResponse, async token =>
        {
            cost = await ledger.ResponseAsync(flight.Context, new LlmResponseRecord(flight.Record!, answer, state.ForRecord.Messages, outputHash, cached, reasks,
                flight.ReaskErrors, flight.StartedAt, flight.Clock.Elapsed, flight.Steps), token);
            return StepResult.Continue;
        }, flight.Steps, ct);
        // Unrecorded, the answer is not given out: the call is closed with an error row instead (if that fails too, it surfaces).
        if (audit.Verdict != StepVerdict.Continue) return await FailAsync(flight, audit.Code!, audit.Reason!, null);
        flight.Closed = true;
        if (!cached && state.Input.UseCache && flight.Key is { } key)
            await StepRunner.Run(Step.CacheSet, () => { cache.Set(key, recorded, outputHash); return StepResult.Continue; }, flight.Steps, ct);
        return new LlmCallOutcome(flight.CallId, null, null, CallSteps.ForCaller(answer, state, flight.Policy), cached, state.Envelope?.PromptHash,
            state.Envelope?.ContextHash, outputHash, cost, flight.Steps, state.Map.Report(), state.Screen, flight.ReaskErrors, reasks)
        {
            Flagged = [.. state.Flagged.Order(StringComparer.Ordinal)],
        };
    }

    /// <summary>Closes a call that failed after its request was recorded: llm.error with what it used, the reservation settled to that.</summary>
    private async Task<LlmCallOutcome> FailAsync(Flight flight, string code, string message, int? status, IReadOnlyList<string>? schemaErrors = null)
    {
        message = flight.Redact(message);
        await RecordErrorAsync(flight, code, message, status);
        return Outcome(flight, code, message) with { SchemaErrors = schemaErrors ?? [] };
    }

    /// <summary>
    /// A call refused before the provider is on record too (llm.error with the step's code and reason): every verdict is
    /// kept. A request the accept step finds malformed is not a verdict but an invalid request: answered, not recorded
    /// (like any request that fails validation, it changes nothing).
    /// </summary>
    private async Task<LlmCallOutcome> RefusedAsync(Flight flight, StepResult refused)
    {
        var code = refused.Code ?? "denied";
        if (code != InvalidRequest) await RecordErrorAsync(flight, code, refused.Reason ?? "", null);
        return Outcome(flight, code, refused.Reason);
    }

    private async Task CloseAbandonedAsync(Flight flight, Exception e)
    {
        var (code, message) = e is OperationCanceledException
            ? ("cancelled", "The caller went away before the call ended.")
            : ("pipeline_error", $"The call broke off ({e.GetType().Name}).");
        await RecordErrorAsync(flight, code, message, null);
    }

    /// <summary>An error row that cannot be written is not swallowed: the caller's request fails with <see cref="LlmAuditUnavailableException"/>.</summary>
    private async Task RecordErrorAsync(Flight flight, string code, string message, int? status)
    {
        flight.Closed = true;
        var record = flight.Record ?? RequestRecord(flight, false);
        try
        {
            // Not the caller's token: a call given up on is still recorded.
            await ledger.ErrorAsync(flight.Context, new LlmErrorRecord(record, code, message, status, flight.StartedAt, flight.Clock.Elapsed, flight.Steps,
                flight.State.Reserved, flight.Used), CancellationToken.None);
        }
        catch (Exception e)
        {
            throw new LlmAuditUnavailableException(e);
        }
    }

    private static LlmCallOutcome Outcome(Flight flight, string code, string? reason) =>
        new(flight.CallId, code, reason, null, false, flight.State.Envelope?.PromptHash, flight.State.Envelope?.ContextHash, null, null, flight.Steps,
            flight.State.Map.Report(), flight.State.Screen, [], 0)
        {
            Flagged = [.. flight.State.Flagged.Order(StringComparer.Ordinal)],
        };

    private static LlmRequestRecord RequestRecord(Flight flight, bool cached)
    {
        var (context, state) = (flight.Context, flight.State);
        return new(flight.CallId, context.Provider, context.ConnectionId, context.ConnectionName, state.ForProvider.Model, state.Input.Agent,
            state.Envelope?.PromptHash ?? "", state.Envelope?.ContextHash ?? "", state.OptionsHash, state.EstimatedInputTokens, state.ForProvider.MaxTokens, cached,
            state.Input.Scope?.Scope, [.. state.Map.Report().Kinds.Select(k => new RedactionCountView(k.Kind, k.Occurrences, k.Values))],
            [.. state.Flagged.Order(StringComparer.Ordinal)], state.Screen, [.. flight.Steps]);
    }

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
