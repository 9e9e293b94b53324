import { test } from "node:test";
import assert from "node:assert/strict";
import { AgentOps } from "../dist/esm/index.js";
import { fakeServer, options } from "./helpers.mjs";

function approvalServer(decideAfterPolls, finalStatus = "approved") {
  let polls = 0;
  return fakeServer(async (req) => {
    if (req.url === "/api/v1/policy/check") {
      return {
        status: 200,
        body: {
          decision: "require_approval",
          reason: "rule_matched",
          policy: { id: "p1", name: "Approve refunds", version: 2 },
          matched: ["p1"],
          approval: { id: "ap1", status: "pending", expires_at: "2099-01-01T00:00:00Z", wait_url: "/api/v1/approvals/ap1/wait" },
          check_id: "chk1",
        },
      };
    }
    if (req.url.startsWith("/api/v1/approvals/ap1/wait")) {
      polls++;
      const timeoutS = Number(new URL(req.url, "http://x").searchParams.get("timeout_s"));
      if (polls > decideAfterPolls) return { status: 200, body: { id: "ap1", status: finalStatus, decision_reason: "looks fine" } };
      await new Promise((r) => setTimeout(r, Math.min(timeoutS * 1000, 300)));
      return { status: 200, body: { id: "ap1", status: "pending" } };
    }
  });
}

test("checkPolicy sends the run, agent, action, context and step, and waitForApproval long-polls until decided", async () => {
  const server = await approvalServer(2);
  const client = new AgentOps(options(server.url, { flushIntervalMs: 60_000 }));
  const result = await client.withRun("approvals", async (run) => {
    const decision = await client.checkPolicy({ type: "refund", amount: 120 }, { step: "refund-1", context: { customer: "acme" } });
    assert.equal(decision.decision, "require_approval");
    assert.equal(decision.policy.name, "Approve refunds");
    assert.deepEqual(decision.matched, ["p1"]);
    assert.equal(decision.approval.id, "ap1");
    assert.equal(decision.checkId, "chk1");
    const check = server.requests.find((r) => r.url === "/api/v1/policy/check");
    assert.deepEqual(check.body, { run_id: run.id, agent: "unit-agent", action: { type: "refund", amount: 120 }, context: { customer: "acme" }, step: "refund-1" });
    return decision.waitForApproval({ timeoutMs: 10_000 });
  });
  assert.equal(result.status, "approved");
  assert.equal(result.reason, "looks fine");
  const polls = server.requests.filter((r) => r.url.includes("/wait"));
  assert.equal(polls.length, 3);
  for (const p of polls) {
    const t = Number(new URL(p.url, "http://x").searchParams.get("timeout_s"));
    assert.ok(t >= 1 && t <= 10, `timeout_s=${t}`);
  }
  await client.shutdown(0);
  await server.close();
});

test("waitForApproval answers pending at its timeout, never asks beyond 60 s, and rejects when its signal aborts", async () => {
  const server = await approvalServer(Infinity);
  const client = new AgentOps(options(server.url, { flushIntervalMs: 60_000 }));
  const started = performance.now();
  const result = await client.waitForApproval("ap1", { timeoutMs: 1500 });
  const elapsed = performance.now() - started;
  assert.equal(result.status, "pending");
  assert.ok(elapsed >= 1400 && elapsed < 2500, `${elapsed} ms`);
  const polls = server.requests.filter((r) => r.url.includes("/wait"));
  assert.equal(new URL(polls[0].url, "http://x").searchParams.get("timeout_s"), "1");

  server.requests.length = 0;
  const controller = new AbortController();
  const long = client.waitForApproval("ap1", { timeoutMs: 600_000, signal: controller.signal });
  setTimeout(() => controller.abort(new Error("cancelled by the agent")), 200);
  await assert.rejects(long, /cancelled by the agent/);
  assert.equal(new URL(server.requests[0].url, "http://x").searchParams.get("timeout_s"), "60");
  await client.shutdown(0);
  await server.close();
});

test("a refused wait (404) rejects at once with AgentOpsError, not retried until the timeout", async () => {
  const server = await fakeServer(() => ({ status: 404, body: { code: "approval_not_found" } }));
  const client = new AgentOps(options(server.url, { flushIntervalMs: 60_000 }));
  const started = performance.now();
  await assert.rejects(client.waitForApproval("nope", { timeoutMs: 5000 }), (e) => e.name === "AgentOpsError" && /404/.test(e.message));
  assert.ok(performance.now() - started < 1000);
  assert.equal(server.requests.length, 1);
  await client.shutdown(0);
  await server.close();
});

test("a server answering pending (or an empty body) at once is polled at most once a second; abort still stops the wait", async () => {
  const server = await fakeServer((req, i) =>
    req.url.startsWith("/api/v1/approvals/") ? { status: 200, body: i % 2 ? { id: "ap1", status: "pending" } : undefined } : undefined);
  const client = new AgentOps(options(server.url, { flushIntervalMs: 60_000 }));
  const started = performance.now();
  assert.equal((await client.waitForApproval("ap1", { timeoutMs: 2500 })).status, "pending");
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 2300 && elapsed < 3500, `${elapsed} ms`);
  assert.ok(server.requests.length <= 4, `${server.requests.length} polls`);
  server.requests.length = 0;
  const controller = new AbortController();
  const waiting = client.waitForApproval("ap1", { timeoutMs: 60_000, signal: controller.signal });
  setTimeout(() => controller.abort(new Error("stop now")), 300);
  const abortStarted = performance.now();
  await assert.rejects(waiting, /stop now/);
  assert.ok(performance.now() - abortStarted < 600);
  assert.equal(server.requests.length, 1);
  await client.shutdown(0);
  await server.close();
});

test("a rejected or expired request is reported as such", async () => {
  const server = await approvalServer(0, "rejected");
  const client = new AgentOps(options(server.url));
  assert.equal((await client.waitForApproval("ap1", { timeoutMs: 5000 })).status, "rejected");
  await client.shutdown(0);
  await server.close();
});

test("an unreachable control plane answers the policyFallback without throwing (strict mode rejects)", async () => {
  const server = await fakeServer();
  const url = server.url;
  await server.close();
  const blocking = new AgentOps(options(url));
  const run = blocking.startRun("down");
  const d = await blocking.checkPolicy({ type: "x" }, { run, timeoutMs: 1000 });
  assert.equal(d.decision, "block");
  assert.equal(d.reason, "check_failed");
  assert.equal(d.fromServer, false);
  const strict = new AgentOps(options(url, { strict: true }));
  await assert.rejects(strict.checkPolicy({ type: "x" }, { run: strict.startRun("down"), timeoutMs: 1000 }), /policy check failed/);
  await strict.shutdown(0);
  const open = new AgentOps(options(url, { policyFallback: "allow" }));
  const d2 = await open.checkPolicy({ type: "x" }, { run: open.startRun("down"), timeoutMs: 1000 });
  assert.equal(d2.decision, "allow");
  assert.equal((await d2.waitForApproval()).status, "approved");
  await blocking.shutdown(0);
  await open.shutdown(0);
});

test("a server without policy steps is asked again without the step", async () => {
  const server = await fakeServer((req) => {
    if (req.url !== "/api/v1/policy/check") return undefined;
    if (req.body.step !== undefined) return { status: 400, body: { code: "unknown_field", errors: { "$.step": ["is not a field"] } } };
    return { status: 200, body: { decision: "allow", reason: "no_rule_matched", matched: [] } };
  });
  const client = new AgentOps(options(server.url));
  const d = await client.checkPolicy({ type: "x" }, { run: client.startRun("old"), step: "s1" });
  assert.equal(d.decision, "allow");
  assert.ok(d.fromServer);
  await client.shutdown(0);
  await server.close();
});

test("a policy check that hangs is bounded by its timeout, and aborting its signal rejects it", async () => {
  const server = await fakeServer(() => "hang");
  const client = new AgentOps(options(server.url));
  const run = client.startRun("hanging control plane");
  const started = performance.now();
  const d = await client.checkPolicy({ type: "x" }, { run, timeoutMs: 300 });
  assert.ok(performance.now() - started < 1000);
  assert.equal(d.decision, "block");
  assert.equal(d.reason, "check_failed");
  const controller = new AbortController();
  const pending = client.checkPolicy({ type: "x" }, { run, signal: controller.signal });
  setTimeout(() => controller.abort(new Error("agent cancelled")), 100);
  await assert.rejects(pending, /agent cancelled/);
  await client.shutdown(0);
  await server.close();
});

test("checkPolicy outside any run uses the client's ad-hoc run; an error answer is check_failed with its code", async () => {
  const server = await fakeServer((req) => {
    if (req.url !== "/api/v1/policy/check") return undefined;
    if (req.body.action.type === "bad") return { status: 500, body: { code: "internal" } };
    return { status: 200, body: { decision: "allow", reason: "no_rule_matched", matched: [] } };
  });
  const client = new AgentOps(options(server.url));
  const d = await client.checkPolicy({ type: "x" }, { step: "s1" });
  await client.checkPolicy({ type: "x" }, { step: "s1" });
  const checks = server.requests.filter((r) => r.url === "/api/v1/policy/check");
  assert.equal(checks.length, 2);
  assert.equal(checks[0].body.run_id, checks[1].body.run_id);
  assert.match(checks[0].body.run_id, /^[0-9a-f]{32}$/);
  assert.ok(d.fromServer);
  const failed = await client.checkPolicy({ type: "bad" });
  assert.deepEqual([failed.decision, failed.reason, failed.problemCode, failed.fromServer], ["block", "check_failed", "internal", false]);
  await client.shutdown(0);
  await server.close();
});

test("an unconfigured client answers not_configured (strict mode throws at construction)", async () => {
  const client = new AgentOps({ apiKey: "", baseUrl: "", flushOnExit: false, logger: () => {} });
  const d = await client.checkPolicy({ type: "x" });
  assert.deepEqual([d.decision, d.reason, d.fromServer], ["block", "not_configured", false]);
  assert.equal(client.llmCall({ model: "m", parent: client.startRun("r") }), undefined);
  assert.throws(() => new AgentOps({ apiKey: "", baseUrl: "", strict: true, flushOnExit: false }), /no API key/);
});
