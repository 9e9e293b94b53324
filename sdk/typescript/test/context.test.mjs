import { test } from "node:test";
import assert from "node:assert/strict";
import { AgentOps, init, traced, getClient } from "../dist/esm/index.js";
import { fakeServer, options } from "./helpers.mjs";

async function collect(fn, extra = {}) {
  const server = await fakeServer();
  const client = new AgentOps(options(server.url, { flushIntervalMs: 60_000, ...extra }));
  await fn(client);
  await client.flush(5000);
  await client.shutdown(0);
  await server.close();
  return server.events();
}

test("withRun and nested withSpan set the ambient context; events directly in a run have no parent", async () => {
  let runId;
  const events = await collect(async (client) => {
    assert.ok(client.hasAsyncContext);
    await client.withRun("outer", async (run) => {
      runId = run.id;
      assert.equal(client.currentRun(), run);
      client.log("in run");
      await client.withSpan("plan", async (plan) => {
        assert.equal(client.currentSpan(), plan);
        client.log("in plan");
        await new Promise((r) => setTimeout(r, 5));
        await client.withSpan("draft", async () => {
          await Promise.resolve();
          client.llmCall({ model: "gpt-4o-mini", provider: "openai", tokensIn: 3, tokensOut: 2, tokensCached: 1, latencyMs: 40, timeToFirstTokenMs: 12 });
        });
        client.toolCall({ name: "search", input: { q: 1 }, output: [1], latencyMs: 5 });
      });
      assert.equal(client.currentSpan(), undefined);
    });
    assert.equal(client.currentRun(), undefined);
  });
  const byName = (n) => events.find((e) => e.name === n);
  const plan = byName("plan");
  const draft = byName("draft");
  assert.equal(plan.type, "span");
  assert.equal(plan.parent_id, undefined);
  assert.ok(Date.parse(plan.ended_at) >= Date.parse(plan.timestamp));
  assert.equal(draft.parent_id, plan.id);
  assert.equal(byName("in run").parent_id, undefined);
  assert.equal(byName("in plan").parent_id, plan.id);
  const llm = events.find((e) => e.type === "llm.call");
  assert.equal(llm.parent_id, draft.id);
  assert.equal(llm.run_id, runId);
  assert.equal(llm.tokens_cached, 1);
  assert.equal(llm.latency_ms, 40);
  assert.deepEqual(llm.metadata, {
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini",
    "gen_ai.provider.name": "openai",
    "gen_ai.usage.input_tokens": 3,
    "gen_ai.usage.output_tokens": 2,
    "gen_ai.usage.cache_read.input_tokens": 1,
    "gen_ai.response.time_to_first_chunk": 0.012,
  });
  assert.equal(events.find((e) => e.type === "tool.call").parent_id, plan.id);
  assert.equal(events.find((e) => e.type === "tool.call").tool_name, "search");
  assert.equal(events.find((e) => e.type === "run.end").status, "succeeded");
});

test("concurrent tasks (Promise.all) each nest under their own span", async () => {
  const events = await collect(async (client) => {
    await client.withRun("burst", async () => {
      await Promise.all(
        Array.from({ length: 8 }, (_, k) =>
          client.withSpan(`task-${k}`, async () => {
            for (let i = 0; i < 20; i++) {
              client.log(`t${k}-${i}`);
              await new Promise((r) => setTimeout(r, Math.random() * 3));
            }
            await Promise.all([0, 1].map((j) => client.withSpan(`task-${k}-sub-${j}`, async () => client.log(`s${k}-${j}`))));
          }),
        ),
      );
    });
  });
  const byId = new Map(events.map((e) => [e.id, e]));
  let logs = 0;
  for (const e of events.filter((e) => e.type === "log")) {
    logs++;
    const parent = byId.get(e.parent_id);
    const t = /^t(\d+)-/.exec(e.name);
    if (t) assert.equal(parent.name, `task-${t[1]}`);
    const s = /^s(\d+)-(\d+)$/.exec(e.name);
    if (s) {
      assert.equal(parent.name, `task-${s[1]}-sub-${s[2]}`);
      assert.equal(byId.get(parent.parent_id).name, `task-${s[1]}`);
    }
  }
  assert.equal(logs, 8 * 22);
});

test("a failing callback ends the run failed and the span with its error, and the error reaches the caller", async () => {
  const events = await collect(async (client) => {
    await assert.rejects(
      client.withRun("fails", async () => {
        await client.withSpan("step", async () => {
          throw new TypeError("boom");
        });
      }),
      TypeError,
    );
  });
  const end = events.find((e) => e.type === "run.end");
  assert.equal(end.status, "failed");
  assert.equal(end.error, "TypeError: boom");
  assert.equal(events.find((e) => e.type === "span").error, "TypeError: boom");
});

test("an aborted callback ends the run cancelled", async () => {
  const events = await collect(async (client) => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(client.withRun("aborted", async () => controller.signal.throwIfAborted()), { name: "AbortError" });
  });
  assert.equal(events.find((e) => e.type === "run.end").status, "cancelled");
});

test("explicit handles work without ambient context; withContext re-enters a run", async () => {
  const events = await collect(async (client) => {
    const run = client.startRun("explicit", { tags: ["a"], metadata: { k: 1 }, input: "hi", environment: "test" });
    const span = run.startSpan("outer");
    const inner = span.startSpan("inner");
    inner.score("quality", 0.5, { comment: "ok" });
    inner.end();
    span.externalAction({ name: "send_email", input: { to: "x" } });
    span.error(new RangeError("bad"));
    span.end();
    await client.withContext(span, async () => client.log("re-entered"));
    await run.end("succeeded", { output: "bye" });
  });
  const byName = (n) => events.find((e) => e.name === n);
  assert.equal(byName("inner").parent_id, byName("outer").id);
  assert.equal(events.find((e) => e.type === "score").parent_id, byName("inner").id);
  assert.equal(events.find((e) => e.type === "score").score, 0.5);
  assert.equal(byName("send_email").parent_id, byName("outer").id);
  assert.equal(byName("re-entered").parent_id, byName("outer").id);
  const start = events.find((e) => e.type === "run.start");
  assert.deepEqual([start.tags, start.metadata, start.input, start.environment], [["a"], { k: 1 }, "hi", "test"]);
  assert.equal(events.find((e) => e.type === "run.end").output, "bye");
});

test("traced() wraps a function in a span, and in a run at the top level", async () => {
  const server = await fakeServer();
  const client = init(options(server.url, { flushIntervalMs: 60_000 }));
  assert.equal(getClient(), client);
  const add = traced("add", async (a, b) => a + b);
  assert.equal(await add(2, 3), 5);
  await client.withRun("with traced", async () => {
    await client.traced("inner", (x) => x * 2)(4);
  });
  await client.flush(5000);
  const events = server.events();
  const adds = events.filter((e) => e.name === "add");
  assert.deepEqual(adds.map((e) => e.type).sort(), ["run.start", "span"]);
  const inner = events.find((e) => e.name === "inner");
  assert.equal(inner.type, "span");
  assert.equal(inner.run_id, events.find((e) => e.name === "with traced").run_id);
  await client.shutdown(0);
  await server.close();
});

test("await using ends runs and spans", async () => {
  if (!Symbol.asyncDispose) return;
  const events = await collect(async (client) => {
    const run = client.startRun("disposable");
    const span = run.startSpan("s");
    await span[Symbol.asyncDispose]();
    await run[Symbol.asyncDispose]();
  });
  assert.deepEqual(events.map((e) => e.type), ["run.start", "span", "run.end"]);
});

test("a span started outside any run starts a run of its own and ends it", async () => {
  const events = await collect(async (client) => {
    const span = client.startSpan("standalone");
    span.log("inside");
    span.end({ error: new Error("nope") });
  });
  assert.deepEqual(events.map((e) => e.type).sort(), ["log", "run.end", "run.start", "span"]);
  const end = events.find((e) => e.type === "run.end");
  assert.equal(end.status, "failed");
  assert.equal(new Set(events.map((e) => e.run_id)).size, 1);
});

test("handles from the CommonJS build work with the ESM build's client (both loaded in one process)", async () => {
  const { createRequire } = await import("node:module");
  const cjs = createRequire(import.meta.url)("../dist/cjs/index.js");
  const events = await collect(async (client) => {
    const other = new cjs.AgentOps({ apiKey: "k", agent: "cjs-agent", baseUrl: "http://127.0.0.1:1", flushOnExit: false, logger: () => {} });
    const foreignRun = other.startRun("foreign");
    const span = client.startSpan("esm span", { parent: foreignRun });
    client.log("under the foreign run's span", { parent: span });
    client.log("directly in the foreign run", { parent: foreignRun });
    span.end();
    await other.shutdown(0);
  });
  const span = events.find((e) => e.name === "esm span");
  assert.equal(span.parent_id, undefined);
  assert.equal(span.agent, "cjs-agent");
  assert.equal(events.find((e) => e.name === "under the foreign run's span").parent_id, span.id);
  assert.equal(events.find((e) => e.name === "directly in the foreign run").run_id, span.run_id);
});
