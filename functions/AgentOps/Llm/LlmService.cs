using System.Runtime.CompilerServices;
using AgentOps.Guardrails.Pipeline;
using AgentOps.Providers;
using AgentOps.Providers.Connections;
using AgentOps.Providers.RateBudgets;
using AgentOps.Providers.Resilience;

namespace AgentOps.Llm;

/// <summary>
/// A caller's model call: the request's shape checked, its connections resolved (adapter and credential each), the
/// model chosen (given, or the connection's default for the task), then the guardrail pipeline, whose provider step is
/// the resilient client over the fallback chain (rate budgets, breaker, adaptive concurrency, retries). Refusals and
/// provider failures come back in the outcome (the API turns them into problems); nothing here knows HTTP.
/// </summary>
public sealed class LlmService(GuardrailPipeline pipeline, IConnectionResolver connections, ResilientModelClient client, TimeProvider time)
{
    /// <summary>A prepared call; <see cref="Deadline"/> bounds all of it (re-asks included), not each provider call anew.</summary>
    public sealed record Call(LlmCallContext Context, LlmCallInput Input, ResolvedConnection Connection, IReadOnlyList<ModelTarget> Chain, ModelCallOptions Options,
        DateTimeOffset Deadline);

    public async Task<Call> PrepareAsync(Caller caller, LlmCompleteRequest body, CancellationToken ct)
    {
        var (input, routing) = LlmRequests.Parse(body);
        var primary = await connections.ResolveAsync(caller.OrgId, routing.Connection, ct);
        var model = ModelOf(primary, routing.Model, routing.Task, "$.model");
        var chain = new List<ModelTarget> { Target(caller.OrgId, primary, model) };
        for (var i = 0; i < routing.Fallbacks.Count; i++)
        {
            var (name, fallbackModel) = routing.Fallbacks[i];
            var connection = await connections.ResolveAsync(caller.OrgId, name, ct);
            chain.Add(Target(caller.OrgId, connection, ModelOf(connection, fallbackModel, routing.Task, $"$.fallbacks[{i}].model")));
        }
        var options = new ModelCallOptions { Priority = routing.Batch ? CallPriority.Batch : CallPriority.Interactive };
        return new Call(new LlmCallContext(caller.OrgId, Actor.Of(caller), primary.Id, primary.Kind, primary.Name) { ConnectionVersion = primary.ChangedAt.UtcTicks },
            input with { Request = input.Request with { Model = model } }, primary, chain, options, time.GetUtcNow() + routing.Timeout);
    }

    public async Task<(LlmCallOutcome Outcome, Call Call)> CompleteAsync(Caller caller, LlmCompleteRequest body, CancellationToken ct)
    {
        var call = await PrepareAsync(caller, body, ct);
        return (await pipeline.RunAsync(call.Context, call.Input, async (request, token) =>
        {
            try
            {
                var answer = await client.CompleteAsync(request, call.Chain, OptionsFor(call, request), token);
                Log(call, answer.Attempts);
                Answered(call, answer.Target);
                return answer.Result;
            }
            catch (ModelCallFailedException e)
            {
                Log(call, e.Attempts);
                throw AsProviderError(e);
            }
        }, ct), call);
    }

    public IAsyncEnumerable<LlmStreamEvent> StreamAsync(Call call, CancellationToken ct) =>
        pipeline.StreamAsync(call.Context, call.Input, (request, token) => Deltas(request, call, token), ct);

    private async IAsyncEnumerable<ModelDelta> Deltas(ModelRequest request, Call call, [EnumeratorCancellation] CancellationToken ct)
    {
        var stream = client.StreamAsync(request, call.Chain, OptionsFor(call, request));
        await using var reader = stream.GetAsyncEnumerator(ct);
        while (true)
        {
            try
            {
                if (!await reader.MoveNextAsync())
                {
                    Log(call, stream.Attempts);
                    if (stream.Target is { } target) Answered(call, target);
                    yield break;
                }
            }
            catch (ModelCallFailedException e)
            {
                Log(call, e.Attempts);
                throw AsProviderError(e);
            }
            catch (ProviderException)
            {
                Log(call, stream.Attempts);
                throw;
            }
            yield return reader.Current;
        }
    }

    /// <summary>The time left of the call's deadline (the first call has all of it; a re-ask what remains).</summary>
    private ModelCallOptions OptionsFor(Call call, ModelRequest request)
    {
        var left = call.Deadline - time.GetUtcNow();
        if (left <= TimeSpan.Zero) throw new ProviderException(ProviderErrorKind.Timeout, "The call's deadline passed before the provider was asked again.");
        return call.Options with { EstimatedTokens = TokenEstimate.Of(request), Timeout = left };
    }

    /// <summary>A fallback target of another provider answered: the call is priced and labelled as that provider's.</summary>
    private static void Answered(Call call, ModelTarget target)
    {
        if (!ReferenceEquals(target, call.Chain[0])) call.Context.AnsweredBy = target.Provider.Name;
    }

    /// <summary>The attempt log into the call's context, for its audit rows and span (no detail text: a provider's message may quote the prompt).</summary>
    private static void Log(Call call, IReadOnlyList<CallAttempt> attempts)
    {
        lock (call.Context.Attempts)
            call.Context.Attempts.AddRange(attempts.Select(a => new ProviderAttempt($"{call.Chain[a.Target].DeploymentKey.Split('/')[0]}/{a.Model}", a.Attempt,
                a.Outcome.ToString(), a.Kind?.ToString(), a.StatusCode, Math.Round(a.Waited.TotalMilliseconds, 1), Math.Round(a.Duration.TotalMilliseconds, 1))));
    }

    /// <summary>Every target spent: one provider error of the last kind, whose message says why each target was passed over.</summary>
    private static ProviderException AsProviderError(ModelCallFailedException e) =>
        new(e.Kind, e.Message, e.StatusCode, e.RetryAfter, e.LastError?.RateLimits, e.LastError?.RequestId, e.LastError?.ProviderErrorType, e);

    private static string ModelOf(ResolvedConnection connection, string? model, string task, string path) =>
        model ?? connection.DefaultModels.GetValueOrDefault(task)
        ?? throw DomainError.Invalid(path, $"is required: the connection '{connection.Name}' names no default model for the task '{task}'.");

    private static ModelTarget Target(Guid orgId, ResolvedConnection c, string model) =>
        new(c.Provider, c.Credential, model, ModelTarget.KeyOf(c.Id, model), new RateKey(orgId, c.Name, model));
}
