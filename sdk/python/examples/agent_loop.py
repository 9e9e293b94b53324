"""A small tool-using agent loop, observed and controlled by AgentOps.

The "model" here is a stub that plans two tool calls and a refund, so that the example runs anywhere; replace
``plan_next_step`` with a real model call (see openai_call.py). Before the refund, the agent asks the control plane
(``check_policy``) and, when a policy requires a human, waits for the approval. The step name makes the check
idempotent: a restarted agent that asks again for "refund-<order>" gets the same approval request, not a new one.

    AGENTOPS_URL=http://127.0.0.1:7480 AGENTOPS_API_KEY=aok_... python3 examples/agent_loop.py
"""
import os
import sys
import time
from typing import Any, Dict, List, Optional

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import agentops  # noqa: E402

TOOLS = {
    "lookup_order": lambda args: {"order": args["order"], "amount": 120, "status": "delivered damaged"},
    "lookup_customer": lambda args: {"customer": "acme", "tier": "gold"},
}


def plan_next_step(history: List[Dict[str, Any]]) -> Dict[str, Any]:
    """A stand-in for the model: look up the order, then the customer, then refund."""
    done = {h["tool"] for h in history}
    for tool in ("lookup_order", "lookup_customer"):
        if tool not in done:
            return {"tool": tool, "args": {"order": "A-1001"}}
    return {"action": {"type": "refund", "order": "A-1001", "amount": 120}}


def handle_ticket(ticket: str, approval_timeout_s: float = 120.0) -> str:
    history: List[Dict[str, Any]] = []
    with agentops.run("handle ticket", input=ticket, tags=["support"]) as run:
        for turn in range(5):
            with agentops.span("turn %d" % turn):
                t0 = time.perf_counter()
                step = plan_next_step(history)
                agentops.llm_call("gpt-4o-mini", "openai", tokens_in=850, tokens_out=40,
                                  latency_ms=(time.perf_counter() - t0) * 1000, input=history, output=step)
                if "tool" in step:
                    t0 = time.perf_counter()
                    result = TOOLS[step["tool"]](step["args"])
                    agentops.tool_call(step["tool"], step["args"], result, (time.perf_counter() - t0) * 1000)
                    history.append({"tool": step["tool"], "result": result})
                    continue
                action = step["action"]
                try:
                    decision = agentops.check_policy(action, step="refund-%s" % action["order"],
                                                     context={"customer": "acme"})
                except agentops.AgentPausedError:
                    agentops.log("agent paused by an operator: stopping", level="warning")
                    run.end("cancelled")
                    return "paused"
                if decision.requires_approval:
                    agentops.log("waiting for a human to approve the refund")
                    status = decision.wait_for_approval(timeout=approval_timeout_s)
                    if status != "approved":
                        agentops.log("refund not approved: %s" % status, level="warning")
                        return "refund %s" % status
                elif decision.blocked:
                    agentops.log("refund blocked by policy: %s" % decision.reason, level="warning")
                    return "refund blocked"
                agentops.external_action("refund", input=action, output={"refund_id": "R-1"})
                agentops.score("resolved", 1.0)
                return "refunded"
    return "gave up"


def main(argv: Optional[List[str]] = None) -> int:
    agentops.init(agent=os.environ.get("AGENTOPS_AGENT", "support-bot"))
    print(handle_ticket("My order A-1001 arrived broken, please refund."))
    result = agentops.flush(5)
    print("unsent:", result.unsent, "stats:", agentops.get_client().stats())
    return 0


if __name__ == "__main__":
    sys.exit(main())
