using System.Collections.Concurrent;
using System.Text.Json;
using AgentOps.Guardrails;
using AgentOps.Guardrails.Pipeline;
using AgentOps.Platform;
using AgentOps.Platform.Auth;
using AgentOps.Platform.Http;
using AgentOps.Providers;

namespace AgentOps.Tests.Guardrails.Pipeline;

/// <summary>The ledger's rows as JSON, as the real one would write them; a switch makes any write fail.</summary>
public sealed class RecordingLedger : ILlmLedger
{
    public ConcurrentQueue<(string Kind, string Json)> Rows { get; } = new();

    public string? FailOn { get; set; }

    public StepResult Admission { get; set; } = StepResult.Continue;

    public ValueTask<StepResult> AdmitAsync(LlmCallContext context, LlmAdmission admission, CancellationToken ct) => ValueTask.FromResult(Admission);

    public Task RequestAsync(LlmCallContext context, LlmRequestRecord record, CancellationToken ct) => Write("request", record);

    public async Task<long?> ResponseAsync(LlmCallContext context, LlmResponseRecord record, CancellationToken ct)
    {
        await Write("response", record);
        return 1234;
    }

    public Task ErrorAsync(LlmCallContext context, LlmErrorRecord record, CancellationToken ct) => Write("error", record);

    public IEnumerable<string> Kinds => Rows.Select(r => r.Kind);

    public string All => string.Join("\n", Rows.Select(r => r.Json));

    private Task Write(string kind, object record)
    {
        if (FailOn == kind || FailOn == "all") throw new InvalidOperationException("audit sink down");
        Rows.Enqueue((kind, JsonSerializer.Serialize(record, record.GetType(), Json.Options)));
        return Task.CompletedTask;
    }
}

public sealed class FixedPolicies(GuardrailPolicy policy) : IGuardrailPolicies
{
    public GuardrailPolicy Policy { get; set; } = policy;

    public bool Throw { get; set; }

    public Task<GuardrailPolicy> GetAsync(Guid orgId, CancellationToken ct) =>
        Throw ? throw new InvalidOperationException("config store down") : Task.FromResult(Policy);
}

public static class PipelineKit
{
    public static readonly Guid Org = Guid.Parse("0193a0a0-0000-7000-8000-000000000001");
    public static readonly Guid OtherOrg = Guid.Parse("0193a0a0-0000-7000-8000-000000000002");
    public static readonly Guid Connection = Guid.Parse("0193a0a0-0000-7000-8000-0000000000c1");

    public static LlmCallContext Context(Guid? org = null) =>
        new(org ?? Org, new Actor(ActorType.System, null, new RequestInfo(null, null)), Connection, "openai", "main");

    public static LlmCallInput Ask(string text, string model = "gpt-4o") => new(new ModelRequest(model, [ModelMessage.OfUser(text)]));

    public static ModelCall Calling(IModelProvider provider, string secret = "") => (r, ct) => provider.CompleteAsync(r, new ProviderCredential(secret), ct);

    public static ModelStream Streaming(IModelProvider provider, string secret = "") => (r, ct) => provider.StreamAsync(r, new ProviderCredential(secret), ct);
}
