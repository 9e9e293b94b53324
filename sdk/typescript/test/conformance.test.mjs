// The conformance suite (sdk/conformance): one test per scenario file, each an interpretation of the step vocabulary
// of sdk/conformance/README.md against the real server named by AGENTOPS_SDK_TEST_URL.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { AgentOps, AgentPausedError } from "../dist/esm/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const scenarioDir = join(here, "..", "..", "conformance", "scenarios");
const REQUIRED = ["AGENTOPS_SDK_TEST_URL", "AGENTOPS_SDK_TEST_API_KEY", "AGENTOPS_SDK_TEST_ADMIN_EMAIL", "AGENTOPS_SDK_TEST_ADMIN_PASSWORD"];
const missing = REQUIRED.find((v) => !process.env[v]);
const URL_ = (process.env.AGENTOPS_SDK_TEST_URL ?? "").replace(/\/+$/, "");
const KEY = process.env.AGENTOPS_SDK_TEST_API_KEY;
/** Platform-written event types, not counted by expect_events. */
const PLATFORM_TYPES = new Set(["policy.decision", "approval.decision"]);

const files = readdirSync(scenarioDir).filter((f) => f.endsWith(".json")).sort();

for (const file of files) {
  const scenario = JSON.parse(readFileSync(join(scenarioDir, file), "utf8"));
  test(`conformance: ${scenario.name ?? file}`, { skip: missing ? `${missing} is not set` : false, timeout: 170_000 }, async () => {
    await runScenario(scenario);
  });
}

// ------------------------------------------------------------------------------------------------ the interpreter

async function closedPort() {
  return await new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

let adminToken;
async function admin(method, path, body) {
  if (!adminToken) {
    const r = await fetch(`${URL_}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: process.env.AGENTOPS_SDK_TEST_ADMIN_EMAIL, password: process.env.AGENTOPS_SDK_TEST_ADMIN_PASSWORD }),
    });
    const text = await r.text();
    assert.equal(r.status, 200, `admin login: ${r.status} ${text}`);
    adminToken = JSON.parse(text).access_token;
  }
  const r = await fetch(`${URL_}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: r.status, body: json };
}

async function withKey(path) {
  const r = await fetch(`${URL_}${path}`, { headers: { authorization: `Bearer ${KEY}` } });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

function substitute(value, vars) {
  if (typeof value === "string") return value.replace(/\$(agent|unique|unreachable)/g, (_, k) => vars[k]);
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)]));
  return value;
}

async function allEvents(runId) {
  const items = [];
  let cursor;
  do {
    const q = `limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const r = await withKey(`/api/v1/events/${encodeURIComponent(runId)}?${q}`);
    if (r.status === 404) return [];
    assert.equal(r.status, 200, `GET events: ${r.status} ${JSON.stringify(r.body)}`);
    items.push(...r.body.items);
    cursor = r.body.next_cursor;
  } while (cursor);
  return items.filter((e) => !PLATFORM_TYPES.has(e.type));
}

async function agentId(name) {
  let cursor;
  do {
    const r = await admin("GET", `/api/v1/agents?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    assert.equal(r.status, 200);
    const found = r.body.items.find((a) => a.name === name);
    if (found) return found.id;
    cursor = r.body.next_cursor;
  } while (cursor);
  throw new Error(`agent ${name} not found`);
}

async function runScenario(scenario) {
  const unique = randomBytes(4).toString("hex");
  const vars = {
    unique,
    agent: `conf-typescript-${scenario.name}-${unique}`,
    unreachable: `http://127.0.0.1:${await closedPort()}`,
  };
  const handles = new Map();
  const checks = new Map();
  const policies = [];
  const faults = [];
  let client;
  let pausedCalls = 0;
  const background = [];
  try {
    for (const [index, raw] of scenario.steps.entries()) {
      const step = substitute(raw, vars);
      const where = `step ${index} (${step.op})`;
      const parentOf = (name) => {
        if (name === undefined) return undefined;
        const h = handles.get(name);
        assert.ok(h, `${where}: unknown handle ${name}`);
        return h;
      };
      switch (step.op) {
        case "client": {
          const endpoint = step.endpoint === undefined || step.endpoint === "server" ? URL_ : step.endpoint;
          client = new AgentOps({
            apiKey: KEY,
            baseUrl: endpoint,
            agent: vars.agent,
            sync: step.sync ?? false,
            batchMaxEvents: step.batch_max_events,
            flushIntervalMs: step.flush_interval_s !== undefined ? step.flush_interval_s * 1000 : undefined,
            maxQueueEvents: step.max_queue_events,
            onPaused: () => pausedCalls++,
            flushOnExit: false,
            logger: () => {},
          });
          break;
        }
        case "start_run":
          handles.set(step.as, client.startRun(step.name));
          break;
        case "start_span":
          handles.set(step.as, client.startSpan(step.name, { parent: parentOf(step.parent) }));
          break;
        case "end_span":
          parentOf(step.ref).end();
          break;
        case "llm_call":
          client.llmCall({
            parent: parentOf(step.parent),
            model: step.model,
            provider: step.provider,
            tokensIn: step.tokens_in,
            tokensOut: step.tokens_out,
            tokensCached: step.tokens_cached,
            latencyMs: step.latency_ms,
          });
          break;
        case "tool_call":
          client.toolCall({ parent: parentOf(step.parent), name: step.tool, input: step.input, output: step.output, latencyMs: step.latency_ms });
          break;
        case "external_action":
          client.externalAction({ parent: parentOf(step.parent), name: step.name, input: step.input });
          break;
        case "log": {
          const count = step.count ?? 1;
          for (let i = 0; i < count; i++) client.log(count > 1 ? `${step.message}-${i}` : step.message, { parent: parentOf(step.parent) });
          break;
        }
        case "error":
          client.error(step.message, { parent: parentOf(step.parent) });
          break;
        case "score":
          client.score(step.name, step.value, { parent: parentOf(step.parent) });
          break;
        case "end_run":
          await parentOf(step.ref).end(step.status);
          break;
        case "burst": {
          const run = parentOf(step.run);
          // Each task opens its span through the ambient context and records without naming a parent; the awaits
          // interleave the tasks so that a context leaking between them would show.
          await client.withContext(run, () =>
            Promise.all(
              Array.from({ length: step.tasks }, (_, k) =>
                client.withSpan(`task-${k}`, async () => {
                  for (let i = 0; i < step.events_per_task; i++) {
                    client.log(`t${k}-${i}`);
                    if (i % 25 === 0) await new Promise((r) => setImmediate(r));
                    else if (i % 7 === 0) await Promise.resolve();
                  }
                }),
              ),
            ),
          );
          break;
        }
        case "flush": {
          const started = performance.now();
          const result = await client.flush(step.timeout_s * 1000);
          const elapsedS = (performance.now() - started) / 1000;
          if (step.expect_unsent !== undefined) assert.equal(result.unsent, step.expect_unsent, `${where}: unsent ${JSON.stringify(result)} ${JSON.stringify(client.stats())}`);
          if (step.expect_unsent_at_least !== undefined) assert.ok(result.unsent >= step.expect_unsent_at_least, `${where}: unsent ${result.unsent}`);
          if (step.expect_within_s !== undefined) assert.ok(elapsedS <= step.expect_within_s, `${where}: took ${elapsedS.toFixed(2)} s`);
          break;
        }
        case "arm_fault": {
          const r = await admin("POST", "/api/v1/test/faults", {
            path: step.path,
            status: step.status,
            when: step.when,
            times: step.times,
            ...(step.retry_after_s !== undefined ? { retry_after_s: step.retry_after_s } : {}),
          });
          assert.ok(r.status >= 200 && r.status < 300, `${where}: ${r.status} ${JSON.stringify(r.body)}`);
          faults.push(r.body.id);
          break;
        }
        case "expect_fault_hits": {
          // The faults of the organization outlive a scenario (and other SDKs' runners share it): count the ones
          // this scenario armed.
          const r = await admin("GET", "/api/v1/test/faults");
          assert.equal(r.status, 200, `${where}: ${r.status}`);
          const hits = r.body.items.filter((f) => f.path === step.path && faults.includes(f.id)).reduce((s, f) => s + f.hits, 0);
          assert.equal(hits, step.hits, `${where}: ${JSON.stringify(r.body.items)}`);
          break;
        }
        case "create_policy": {
          // The server requires the roles that may approve a require_approval policy; the scenario leaves them out,
          // so the runner names the admin who decides in `wait_for_approval`.
          const body = { ...step.body };
          if (body.action === "require_approval" && body.approval_required_from === undefined) body.approval_required_from = ["admin"];
          const r = await admin("POST", "/api/v1/policies", body);
          assert.equal(r.status, 201, `${where}: ${r.status} ${JSON.stringify(r.body)}`);
          policies.push(r.body.id);
          if (step.as) handles.set(step.as, r.body);
          break;
        }
        case "pause_agent": {
          const id = await agentId(vars.agent);
          const r = await admin("POST", `/api/v1/controls/pause-agent/${id}`, { reason: "conformance" });
          assert.ok(r.status >= 200 && r.status < 300, `${where}: ${r.status} ${JSON.stringify(r.body)}`);
          break;
        }
        case "check_policy": {
          const decision = await client.checkPolicy(step.action, { run: parentOf(step.run), step: step.step });
          assert.ok(decision.fromServer, `${where}: the server was not reached (${decision.reason})`);
          if (step.expect_decision) assert.equal(decision.decision, step.expect_decision, where);
          if (step.expect_reason) assert.equal(decision.reason, step.expect_reason, where);
          if (step.expect_same_approval_as) assert.equal(decision.approval?.id, checks.get(step.expect_same_approval_as)?.approval?.id, where);
          if (step.expect_approval_status) assert.equal(decision.approval?.status, step.expect_approval_status, where);
          if (step.as) checks.set(step.as, decision);
          break;
        }
        case "wait_for_approval": {
          const decision = checks.get(step.ref);
          assert.ok(decision?.approval, `${where}: ${step.ref} has no approval request`);
          const approving = (async () => {
            await new Promise((r) => setTimeout(r, step.approve_after_ms ?? 0));
            const r = await admin("POST", `/api/v1/approvals/${decision.approval.id}/approve`, { comment: "conformance" });
            assert.equal(r.status, 200, `${where}: approve ${r.status} ${JSON.stringify(r.body)}`);
          })();
          background.push(approving);
          const result = await decision.waitForApproval({ timeoutMs: step.timeout_s * 1000 });
          await approving;
          if (step.expect_status) assert.equal(result.status, step.expect_status, where);
          break;
        }
        case "expect_paused": {
          assert.ok(client.isPaused(vars.agent), `${where}: not paused; ${JSON.stringify(client.stats())}`);
          assert.equal(pausedCalls, 1, `${where}: onPaused ran ${pausedCalls} times`);
          const run = [...handles.values()].find((h) => h && h.constructor?.name === "Run");
          await assert.rejects(client.checkPolicy({ type: "conformance_probe" }, { run }), AgentPausedError);
          break;
        }
        case "expect_stats": {
          const s = client.stats();
          const text = JSON.stringify(s);
          if (step.retries_at_least !== undefined) assert.ok(s.retries >= step.retries_at_least, `${where}: ${text}`);
          if (step.dropped_paused_at_least !== undefined) assert.ok(s.droppedPaused >= step.dropped_paused_at_least, `${where}: ${text}`);
          if (step.dropped_queue_full !== undefined) assert.equal(s.droppedQueueFull, step.dropped_queue_full, `${where}: ${text}`);
          if (step.rejected_at_least !== undefined) assert.ok(s.droppedRejected >= step.rejected_at_least, `${where}: ${text}`);
          break;
        }
        case "expect_events":
          await expectEvents(step, parentOf(step.run), where, client);
          break;
        case "expect_run": {
          const run = parentOf(step.run);
          let r;
          const until = Date.now() + 30_000;
          for (;;) {
            r = await withKey(`/api/v1/runs/${encodeURIComponent(run.id)}`);
            if (r.status === 200 && (!step.status || r.body.status === step.status)) break;
            if (Date.now() > until) break;
            await new Promise((res) => setTimeout(res, 500));
          }
          assert.equal(r.status, 200, `${where}: ${r.status}`);
          const stored = r.body.run ?? r.body;
          if (step.status) assert.equal(stored.status, step.status, where);
          for (const [k, v] of Object.entries(step.fields ?? {})) assert.deepEqual(stored[k], v, `${where}: ${k}`);
          break;
        }
        case "expect_approvals": {
          const run = parentOf(step.run);
          const r = await admin("GET", `/api/v1/approvals?run_id=${encodeURIComponent(run.id)}&limit=200`);
          assert.equal(r.status, 200, where);
          assert.equal(r.body.items.length, step.count, `${where}: ${JSON.stringify(r.body.items.map((a) => a.id))}`);
          break;
        }
        default:
          assert.fail(`${where}: unknown operation ${step.op}`);
      }
    }
  } finally {
    await Promise.allSettled(background);
    if (client) await client.shutdown(0);
    for (const id of policies) await admin("DELETE", `/api/v1/policies/${id}`).catch(() => {});
    if (faults.length > 0) {
      // A fault of ours still armed (the scenario failed early) would hit the next scenario: clear them.
      const r = await admin("GET", "/api/v1/test/faults").catch(() => undefined);
      if (r?.body?.items?.some((f) => faults.includes(f.id) && f.remaining > 0)) await admin("DELETE", "/api/v1/test/faults").catch(() => {});
    }
  }
}

async function expectEvents(step, run, where, client) {
  const until = Date.now() + (step.wait_s ?? 60) * 1000;
  let events = await allEvents(run.id);
  let stableSince = Date.now();
  while (events.length < step.count && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 500));
    const before = events.length;
    events = await allEvents(run.id);
    if (events.length !== before) stableSince = Date.now();
    // Waiting is pointless once everything was answered, some of it refused, and nothing new arrives for 5 s.
    const s = client.stats();
    if (s.queued === 0 && s.droppedRejected > 0 && Date.now() - stableSince > 5000) break;
  }
  await new Promise((r) => setTimeout(r, 1000));
  events = await allEvents(run.id);
  const byType = {};
  for (const e of events) byType[e.type] = (byType[e.type] ?? 0) + 1;
  assert.equal(
    events.length,
    step.count,
    `${where}: ${events.length} events stored, expected ${step.count}: ${JSON.stringify(byType)}; the client's stats: ${JSON.stringify(client.stats())}`,
  );
  const ids = new Set(events.map((e) => e.id));
  assert.equal(ids.size, events.length, `${where}: duplicated ids`);
  const byId = new Map(events.map((e) => [e.id, e]));
  const parentName = (e) => (e.parent_id ? byId.get(e.parent_id)?.name ?? `?${e.parent_id}` : null);
  const unused = [...events];
  for (const expected of step.events ?? []) {
    const i = unused.findIndex(
      (e) =>
        e.type === expected.type &&
        (expected.name === undefined || e.name === expected.name) &&
        (expected.parent === undefined || parentName(e) === expected.parent) &&
        Object.entries(expected.fields ?? {}).every(([k, v]) => JSON.stringify(e[k]) === JSON.stringify(v)),
    );
    assert.ok(
      i >= 0,
      `${where}: no event ${JSON.stringify(expected)} among ${JSON.stringify(unused.map((e) => ({ type: e.type, name: e.name, parent: parentName(e) })))}`,
    );
    unused.splice(i, 1);
  }
  if (step.tasks_consistent) {
    let logs = 0;
    for (const e of events) {
      const m = e.type === "log" && /^t(\d+)-\d+$/.exec(e.name ?? "");
      if (!m) continue;
      logs++;
      assert.equal(parentName(e), `task-${m[1]}`, `${where}: log ${e.name} under ${parentName(e)}`);
    }
    assert.ok(logs > 0, `${where}: no task logs`);
  }
}
