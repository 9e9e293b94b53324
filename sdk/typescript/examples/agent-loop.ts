// A small tool-using agent loop: each step is a span, the tool call is recorded, a refund is checked against the
// control plane first and, when a policy requires it, waits for a human's approval.
//
//   AGENTOPS_URL=http://127.0.0.1:7071 AGENTOPS_API_KEY=aok_... node examples/agent-loop.js   (after a tsc build)
import { AgentOps, AgentPausedError } from "@agentops/sdk";

const agentops = new AgentOps({ agent: "refund-bot", environment: "development" });

/** The tool: looks an order up (a stand-in for a real API). */
async function lookUpOrder(orderId: string): Promise<{ orderId: string; amount: number }> {
  await new Promise((r) => setTimeout(r, 20));
  return { orderId, amount: 120 };
}

async function handle(ticket: { id: string; orderId: string }): Promise<string> {
  return agentops.withRun(`ticket ${ticket.id}`, async (run) => {
    const order = await agentops.withSpan("look up the order", async () => {
      const started = performance.now();
      const result = await lookUpOrder(ticket.orderId);
      agentops.toolCall({ name: "look_up_order", input: { orderId: ticket.orderId }, output: result, latencyMs: performance.now() - started });
      return result;
    });

    return agentops.withSpan("refund", async () => {
      // The step name makes the check idempotent: a restarted agent gets the same approval request back.
      const decision = await agentops.checkPolicy(
        { type: "refund", amount: order.amount, order_id: order.orderId },
        { step: `refund-${ticket.id}`, context: { ticket: ticket.id } },
      );
      if (decision.decision === "block") {
        agentops.log(`refund blocked: ${decision.reason}`, { level: "warn" });
        return "blocked";
      }
      if (decision.decision === "require_approval") {
        const approval = await decision.waitForApproval({ timeoutMs: 10 * 60_000 });
        if (approval.status !== "approved") {
          agentops.log(`refund not approved: ${approval.status}`);
          return approval.status;
        }
      }
      agentops.externalAction({ name: "issue_refund", input: { orderId: order.orderId, amount: order.amount } });
      run.score("resolved", 1);
      return "refunded";
    });
  });
}

try {
  console.log(await handle({ id: "T-1001", orderId: "O-42" }));
} catch (err) {
  if (err instanceof AgentPausedError) console.log(`the agent ${err.agent} is paused; stopping`);
  else throw err;
} finally {
  const result = await agentops.shutdown(5000);
  console.log(`unsent: ${result.unsent}`, agentops.stats());
}

// Explicit resource management (TypeScript 5.2+): the run ends when the block is left, however it is left.
export async function nightlyReport(): Promise<void> {
  await using run = agentops.startRun("nightly report");
  using span = run.startSpan("collect");
  span.log("collected 42 tickets");
}
