// A small support agent: it plans, looks an order up with a tool, asks AgentOps whether it may refund, waits for a
// human when a policy says so, and records everything as one run.
//
//   AGENTOPS_URL=http://127.0.0.1:7480 AGENTOPS_API_KEY=aok_... dotnet run --project sdk/dotnet/examples/AgentLoop
using System.Diagnostics;
using AgentOps.Sdk;

await using var agentops = new AgentOpsClient(new AgentOpsOptions
{
    Agent = "refund-bot",
    Environment = "development",
    OnPaused = agent => Console.Error.WriteLine($"{agent} was paused by an operator: stopping."),
});

await using var run = agentops.StartRun("refund request", input: "Customer 42 wants order 1001 refunded");
try
{
    for (var turn = 1; turn <= 3; turn++)
    {
        using var step = agentops.StartSpan($"turn {turn}");

        // The model decides what to do (a real agent calls its LLM here; see the OpenAiCall example).
        var started = Stopwatch.GetTimestamp();
        var action = turn switch { 1 => "lookup_order", 2 => "refund", _ => "reply" };
        agentops.RecordLlmCall("gpt-4o-mini", "openai", tokensIn: 820, tokensOut: 64, tokensCached: 512,
            latency: Stopwatch.GetElapsedTime(started) + TimeSpan.FromMilliseconds(600));

        switch (action)
        {
            case "lookup_order":
                var order = LookupOrder("1001");
                agentops.RecordToolCall("lookup_order", input: new { order_id = "1001" }, output: order, latency: TimeSpan.FromMilliseconds(35));
                break;

            case "refund":
                // Ask before acting. `step` makes the approval idempotent: a restarted agent gets the same request back.
                var decision = await agentops.CheckPolicyAsync(new { type = "refund", order_id = "1001", amount = 120 }, step: "refund-1001",
                    context: new { customer = "42" });
                if (decision.Decision == Decision.RequireApproval)
                {
                    Console.WriteLine($"Waiting for a human ({decision.Policy?.Name})...");
                    var status = await decision.WaitForApprovalAsync(TimeSpan.FromMinutes(5));
                    if (status != ApprovalStatus.Approved)
                    {
                        agentops.Log($"refund not approved ({status})", level: "warning");
                        await run.EndAsync("cancelled");
                        return;
                    }
                }
                else if (decision.Decision == Decision.Block)
                {
                    agentops.Log($"refund blocked: {decision.Reason}{(decision.FromServer ? "" : " (AgentOps unreachable)")}", level: "warning");
                    break;
                }
                agentops.RecordExternalAction("refund", input: new { order_id = "1001", amount = 120 }, output: "refunded");
                break;

            default:
                agentops.Log("told the customer the refund is on its way");
                break;
        }
    }
    agentops.RecordScore("resolved", 1.0);
    await run.EndAsync("succeeded", output: "refunded order 1001");
}
catch (AgentPausedException)
{
    await run.EndAsync("cancelled", error: "the agent was paused");
}
catch (AgentOpsException ex)
{
    // A refused approval wait (unknown request, a key without `read`). An unreachable control plane does not throw:
    // its checks answer PolicyFallback (Block by default), so this agent fails closed above.
    agentops.RecordError(ex);
    await run.EndAsync("failed", error: ex.Message);
}

var flushed = await agentops.FlushAsync(TimeSpan.FromSeconds(5));
Console.WriteLine($"run {run.Id}: {agentops.Stats().Sent} events sent, {flushed.Unsent} unsent");

static object LookupOrder(string id) => new { id, total = 120, currency = "USD", status = "delivered" };
