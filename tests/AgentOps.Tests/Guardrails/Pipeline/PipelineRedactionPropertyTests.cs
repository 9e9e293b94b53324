using System.Text.Json;
using AgentOps.Guardrails;
using AgentOps.Guardrails.Envelope;
using AgentOps.Guardrails.Pipeline;
using AgentOps.Guardrails.Redaction;
using AgentOps.Providers;
using AgentOps.Tests.Guardrails.Redaction;
using AgentOps.Tests.Providers;
using static AgentOps.Tests.Guardrails.Pipeline.PipelineKit;

namespace AgentOps.Tests.Guardrails.Pipeline;

/// <summary>
/// The pipeline's redaction law, over random calls (seeded): secrets of every kind planted anywhere a call carries text
/// (system, user, assistant and tool messages, tool-call arguments, labelled sections and context parts, and the
/// model's own answer) never reach the provider's request, an audit record, the span's prompt or answer, or the cache;
/// and the caller gets an original back only for a kind that is not a secret, only where the organization allows it.
/// </summary>
public sealed class PipelineRedactionPropertyTests : IAsyncLifetime
{
    private const string Key = "sk-test-property-0123456789";
    private static readonly string[] Fillers = ["please review", "the quarterly report", "for the customer", "thanks", "see below", "ticket 4471", "{\"x\": 1}", "ok"];
    private FakeOpenAiServer _server = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync(Key);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
    }

    private static string Text(Random r, List<(string Kind, string Value)> planted)
    {
        var parts = new List<string>();
        for (var i = r.Next(1, 5); i > 0; i--)
        {
            if (r.Next(3) == 0)
            {
                var secret = SecretSamples.Generators[r.Next(SecretSamples.Generators.Length)](r);
                planted.Add(secret);
                parts.Add(SecretSamples.Written(secret));
            }
            else parts.Add(Fillers[r.Next(Fillers.Length)]);
        }
        return string.Join(' ', parts);
    }

    [Fact]
    public async Task No_planted_secret_leaves_through_any_door()
    {
        var random = new Random(15_2026);
        var tool = new ToolDefinition("lookup", "Looks a thing up", JsonDocument.Parse("""{"type":"object","properties":{"q":{"type":"string"}}}""").RootElement);
        for (var round = 0; round < 40; round++)
        {
            var planted = new List<(string Kind, string Value)>();
            var restore = random.Next(2) == 0;
            var ledger = new RecordingLedger();
            var cache = new ResponseCache(TimeProvider.System);
            var pipeline = new GuardrailPipeline(new FixedPolicies(GuardrailPolicy.Default with { RestoreOriginals = restore, InjectionAction = GuardrailAction.Flag }),
                cache, ledger, TimeProvider.System);
            LlmCallInput input;
            if (random.Next(2) == 0)
            {
                var args = JsonSerializer.Serialize(new { q = Text(random, planted) });
                input = new LlmCallInput(new ModelRequest("gpt-4o",
                [
                    ModelMessage.OfSystem(Text(random, planted)), ModelMessage.OfUser(Text(random, planted)),
                    ModelMessage.OfAssistant("", new ToolCall("call_1", "lookup", args)), ModelMessage.OfToolResult("call_1", Text(random, planted)),
                    ModelMessage.OfUser(Text(random, planted)),
                ]) { Tools = [tool] });
            }
            else
                input = new LlmCallInput(new ModelRequest("gpt-4o", []), new PromptSections(Text(random, planted), Text(random, planted), Text(random, planted), "",
                    [new ContextPart("doc", Text(random, planted)), new ContextPart("notes", Text(random, planted))]));
            var answer = Text(random, planted);
            _server.Answers.Enqueue(answer);

            var outcome = await pipeline.RunAsync(Context(), input, Calling(new OpenAiChatAdapter(_http, new OpenAiChatOptions { BaseUrl = new Uri(_server.BaseUrl, "v1/") }), Key), default);
            var sent = _server.Requests.IsEmpty ? "" : _server.LastRequest.RawBody;
            var recorded = ledger.All;
            foreach (var (kind, value) in planted)
            {
                Assert.DoesNotContain(value, sent, StringComparison.Ordinal);
                Assert.DoesNotContain(value, recorded, StringComparison.Ordinal);
                if (outcome.Result is { } result)
                {
                    var visible = result.Content + string.Concat(result.ToolCalls.Select(c => c.ArgumentsJson));
                    if (!restore || CallSteps.Secrets.Contains(kind) || !answer.Contains(value, StringComparison.Ordinal))
                        Assert.DoesNotContain(value, visible, StringComparison.Ordinal);
                }
            }
            while (_server.Requests.TryDequeue(out _)) { }
            while (_server.Answers.TryDequeue(out _)) { }
        }
    }

    [Fact]
    public void The_options_hash_is_stable_and_changes_with_every_option()
    {
        var schema = JsonDocument.Parse("""{"type":"object"}""").RootElement;
        var tool = new ToolDefinition("t", "d", schema);
        var baseline = new ModelRequest("m", [ModelMessage.OfUser("hi")]) { Tools = [tool], Temperature = 0, MaxTokens = 10 };
        var hash = CallSteps.OptionsHash(baseline);
        Assert.Equal(hash, CallSteps.OptionsHash(baseline with { Messages = [ModelMessage.OfUser("other prompt")] })); // the prompt is the envelope's part
        Assert.Equal(hash, CallSteps.OptionsHash(new ModelRequest("m", [ModelMessage.OfUser("hi")]) { Tools = [tool with { }], Temperature = 0, MaxTokens = 10 }));
        ModelRequest[] variants =
        [
            baseline with { Tools = [] }, baseline with { Tools = [tool with { Description = "e" }] }, baseline with { Temperature = 0.1 },
            baseline with { MaxTokens = 11 }, baseline with { Stop = ["x"] }, baseline with { ToolChoice = ToolChoice.Required },
            baseline with { ResponseFormat = ResponseFormat.JsonObject }, baseline with { ResponseFormat = ResponseFormat.JsonSchema("o", schema) },
        ];
        Assert.Equal(variants.Length + 1, variants.Select(CallSteps.OptionsHash).Append(hash).Distinct().Count());
    }
}
