using System.Diagnostics;
using System.Text.Json;
using AgentOps.Guardrails;
using AgentOps.Guardrails.Pipeline;
using AgentOps.Guardrails.Redaction;
using AgentOps.Platform;
using AgentOps.Platform.Auth;
using AgentOps.Platform.Http;
using AgentOps.Providers;

namespace AgentOps.Bench;

/// <summary>
/// The guardrail pipeline's own overhead, in process: every step of <see cref="GuardrailPipeline.RunAsync"/> on the 4 KB
/// prompt of <see cref="RedactionBenchmark"/> with a provider that answers at once (so what is timed is the pipeline,
/// not a model), and a ledger that serializes each audit record as the Postgres one would (its database round trips
/// are measured apart, by the integration bench). A miss varies the prompt per round; a hit repeats one.
/// </summary>
public static class PipelineBench
{
    /// <summary>
    /// Injections flagged, not blocked: the 4 KB prompt quotes a tool's log output with credentials in it, which the screen
    /// scores as a would-be block; flagging keeps every later step in the timing (the screen costs the same either way).
    /// </summary>
    private sealed class Policies : IGuardrailPolicies
    {
        private static readonly GuardrailPolicy Flagging = GuardrailPolicy.Default with { InjectionAction = GuardrailAction.Flag };

        public Task<GuardrailPolicy> GetAsync(Guid orgId, CancellationToken ct) => Task.FromResult(Flagging);
    }

    /// <summary>Serializes what the audit rows would hold (their cost in process) and keeps nothing.</summary>
    private sealed class SerializingLedger : ILlmLedger
    {
        public long Bytes;

        public ValueTask<StepResult> AdmitAsync(LlmCallContext context, LlmAdmission admission, CancellationToken ct) => ValueTask.FromResult(StepResult.Continue);

        public Task RequestAsync(LlmCallContext context, LlmRequestRecord record, CancellationToken ct) => Write(record);

        public async Task<long?> ResponseAsync(LlmCallContext context, LlmResponseRecord record, CancellationToken ct)
        {
            await Write(record);
            return 0;
        }

        public Task ErrorAsync(LlmCallContext context, LlmErrorRecord record, CancellationToken ct) => Write(record);

        private Task Write(object record)
        {
            Bytes += JsonSerializer.SerializeToUtf8Bytes(record, record.GetType(), Json.Options).Length;
            return Task.CompletedTask;
        }
    }

    public sealed record Figures(double MissP50, double MissP99, double HitP50, double HitP99, int Rounds);

    public static async Task<Figures> MeasureAsync(int rounds)
    {
        var ledger = new SerializingLedger();
        var pipeline = new GuardrailPipeline(new Policies(), new ResponseCache(TimeProvider.System), ledger, TimeProvider.System);
        var context = new LlmCallContext(Guid.NewGuid(), new Actor(ActorType.System, null, new RequestInfo(null, null)), Guid.NewGuid(), "openai", "bench");
        var answer = new ModelResult("The ticket is resolved; the customer was refunded.", [], new ModelUsage(1100, 12), "gpt-4o", FinishReason.Stop, "stop", "req_1", "{}");
        ModelCall instant = (_, _) => Task.FromResult(answer);
        LlmCallInput Input(string text) => new(new ModelRequest("gpt-4o", [ModelMessage.OfSystem("You are a support agent."), ModelMessage.OfUser(text)]) { MaxTokens = 256 });

        async Task<(double, double)> Time(Func<int, LlmCallInput> input)
        {
            for (var i = 0; i < Math.Min(200, rounds); i++) await pipeline.RunAsync(context, input(-i - 1), instant, default); // warm-up
            var samples = new double[rounds];
            for (var i = 0; i < rounds; i++)
            {
                var call = input(i);
                var started = Stopwatch.GetTimestamp();
                var outcome = await pipeline.RunAsync(context, call, instant, default);
                samples[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (outcome.Denied) throw new InvalidOperationException($"The bench's call was refused: {outcome.DeniedCode} {outcome.DeniedReason}");
            }
            Array.Sort(samples);
            return (samples[rounds / 2], samples[(int)Math.Ceiling(rounds * 0.99) - 1]);
        }

        var prompt = RedactionBenchmark.Prompt4K;
        var miss = await Time(i => Input(prompt + "\nround " + i));
        var hit = await Time(_ => Input(prompt));
        return new Figures(miss.Item1, miss.Item2, hit.Item1, hit.Item2, rounds);
    }
}
