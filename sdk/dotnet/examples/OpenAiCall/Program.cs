// OpenAI calls recorded by AgentOps: a completion and a stream through the wrapped ChatClient, and a raw HTTP call
// through AgentOpsLlmHandler. OPENAI_BASE_URL may point at any OpenAI-compatible server.
//
//   AGENTOPS_URL=... AGENTOPS_API_KEY=... OPENAI_API_KEY=... [OPENAI_BASE_URL=http://localhost:11434/v1] \
//     dotnet run --project sdk/dotnet/examples/OpenAiCall
using System.ClientModel;
using System.Net.Http.Json;
using AgentOps.Sdk;
using AgentOps.Sdk.OpenAI;
using OpenAI;
using OpenAI.Chat;

var baseUrl = new Uri(Environment.GetEnvironmentVariable("OPENAI_BASE_URL") ?? "https://api.openai.com/v1");
var apiKey = Environment.GetEnvironmentVariable("OPENAI_API_KEY") ?? "sk-none";

await using var agentops = new AgentOpsClient(new AgentOpsOptions { Agent = "openai-example" });

// Optional: the client's own cost (else AgentOps prices the call from its price list).
static double? Cost(string model, ChatTokenUsage usage) =>
    model.StartsWith("gpt-4o-mini", StringComparison.Ordinal)
        ? ((usage.InputTokenCount - (usage.InputTokenDetails?.CachedTokenCount ?? 0)) * 0.15
           + (usage.InputTokenDetails?.CachedTokenCount ?? 0) * 0.075 + usage.OutputTokenCount * 0.60) / 1_000_000
        : null;

var chat = new AgentOpsChatClient(
    new ChatClient("gpt-4o-mini", new ApiKeyCredential(apiKey), new OpenAIClientOptions { Endpoint = baseUrl }),
    agentops, provider: "openai", costUsd: Cost);

await using (var run = agentops.StartRun("openai example"))
{
    var answer = await chat.CompleteChatAsync(new UserChatMessage("Say hello in five words."));
    Console.WriteLine(answer.Value.Content[0].Text);

    await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Count to five.")]))
        foreach (var part in update.ContentUpdate) Console.Write(part.Text);
    Console.WriteLine();

    // Any HttpClient speaking the OpenAI (or Anthropic) wire format, streams included.
    using var http = new HttpClient(new AgentOpsLlmHandler(agentops, new SocketsHttpHandler())) { BaseAddress = new Uri(baseUrl + "/") };
    http.DefaultRequestHeaders.Authorization = new("Bearer", apiKey);
    using var raw = await http.PostAsJsonAsync("chat/completions",
        new { model = "gpt-4o-mini", messages = new[] { new { role = "user", content = "Say bye." } } });
    Console.WriteLine((int)raw.StatusCode);
}

var result = await agentops.FlushAsync();
Console.WriteLine($"{agentops.Stats().Sent} events sent, {result.Unsent} unsent");
