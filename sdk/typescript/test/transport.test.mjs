import { test } from "node:test";
import assert from "node:assert/strict";
import { AgentOps, AgentPausedError } from "../dist/esm/index.js";
import { fakeServer, options, defaultAnswer } from "./helpers.mjs";

test("batches by count, with snake_case wire events and unique client ids", async () => {
  const server = await fakeServer();
  const client = new AgentOps(options(server.url, { batchMaxEvents: 10, flushIntervalMs: 60_000 }));
  const run = client.startRun("batching");
  for (let i = 0; i < 23; i++) run.log(`line ${i}`);
  await run.end("succeeded");
  const result = await client.flush(5000);
  assert.equal(result.unsent, 0);
  const sizes = server.ingests().map((r) => r.body.batch.length);
  assert.deepEqual(sizes, [10, 10, 5]);
  const events = server.events();
  assert.equal(new Set(events.map((e) => e.id)).size, 25);
  for (const e of events) assert.match(e.id, /^[0-9a-f]{32}$/);
  assert.equal(events[0].type, "run.start");
  assert.equal(events[0].run_id, run.id);
  assert.equal(events[0].agent, "unit-agent");
  assert.equal(events[1].name, "line 0");
  assert.equal(events[1].parent_id, undefined);
  assert.equal(events.at(-1).type, "run.end");
  assert.equal(events.at(-1).status, "succeeded");
  assert.equal(server.ingests()[0].headers.authorization, "Bearer aok_test");
  assert.equal(client.stats().sent, 25);
  await client.shutdown(0);
  await server.close();
});

test("a full batch is sent without waiting for the interval", async () => {
  const server = await fakeServer();
  const client = new AgentOps(options(server.url, { batchMaxEvents: 5, flushIntervalMs: 60_000 }));
  const run = client.startRun("eager");
  for (let i = 0; i < 4; i++) run.log(`l${i}`);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(server.events().length, 5);
  await client.shutdown(0);
  await server.close();
});

test("the interval timer sends partial batches in the background", async () => {
  const server = await fakeServer();
  const client = new AgentOps(options(server.url, { flushIntervalMs: 50 }));
  client.startRun("ticks").log("one");
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(server.events().length, 2);
  await client.shutdown(0);
  await server.close();
});

test("batches by bytes (before compression) and gzips bodies above 1 KiB", async () => {
  const server = await fakeServer();
  const client = new AgentOps(options(server.url, { batchMaxBytes: 4000, flushIntervalMs: 60_000 }));
  const run = client.startRun("bytes");
  const big = "x".repeat(900);
  for (let i = 0; i < 12; i++) run.toolCall({ name: "t", input: big });
  assert.equal((await client.flush(5000)).unsent, 0);
  const ingests = server.ingests();
  assert.ok(ingests.length >= 3, `${ingests.length} requests`);
  for (const r of ingests) assert.ok(JSON.stringify(r.body).length <= 4000 + 20, `${JSON.stringify(r.body).length} bytes`);
  assert.ok(ingests.some((r) => r.gzipped));
  assert.equal(server.events().length, 13);
  // A small body is not compressed.
  client.startRun("small");
  await client.flush(5000);
  assert.equal(server.ingests().at(-1).gzipped, false);
  await client.shutdown(0);
  await server.close();
});

test("a server without gzip (415 unsupported_content_encoding) gets the batch again uncompressed", async () => {
  const server = await fakeServer((req) =>
    req.gzipped ? { status: 415, body: { code: "unsupported_content_encoding" } } : undefined,
  );
  const client = new AgentOps(options(server.url, { flushIntervalMs: 60_000 }));
  const run = client.startRun("no gzip");
  for (let i = 0; i < 30; i++) run.log("y".repeat(100));
  assert.equal((await client.flush(5000)).unsent, 0);
  const s = client.stats();
  assert.equal(s.sent, 31);
  assert.equal(s.droppedRejected, 0);
  assert.deepEqual(server.ingests().map((r) => r.gzipped), [true, false]);
  await client.shutdown(0);
  await server.close();
});

test("retries 503 and 429 honouring Retry-After, re-sending the same ids", async () => {
  const answers = [
    { status: 503, headers: { "retry-after": "1" }, body: { code: "ingest_backlogged" } },
    { status: 429, headers: { "retry-after": "0.3" }, body: { code: "rate_limited" } },
  ];
  const server = await fakeServer(() => answers.shift());
  const client = new AgentOps(options(server.url, { flushIntervalMs: 60_000 }));
  const run = client.startRun("retries");
  run.log("a");
  const started = performance.now();
  const result = await client.flush(10_000);
  const elapsed = performance.now() - started;
  assert.equal(result.unsent, 0);
  assert.ok(elapsed >= 1250, `retried after ${elapsed} ms`);
  const ingests = server.ingests();
  assert.equal(ingests.length, 3);
  assert.ok(ingests[1].at - ingests[0].at >= 990, "the 503's Retry-After was honoured");
  assert.ok(ingests[2].at - ingests[1].at >= 290, "the 429's Retry-After was honoured");
  const ids = ingests.map((r) => r.body.batch.map((e) => e.id).join());
  assert.equal(new Set(ids).size, 1, "every attempt carries the same ids");
  assert.equal(client.stats().retries, 2);
  assert.equal(client.stats().sent, 2);
  await client.shutdown(0);
  await server.close();
});

test("network errors are retried with backoff until the server is back", async () => {
  const server = await fakeServer();
  const url = server.url;
  await server.close();
  const client = new AgentOps(options(url, { flushIntervalMs: 60_000 }));
  client.startRun("down").log("kept");
  const first = await client.flush(700);
  assert.equal(first.unsent, 2);
  assert.ok(first.timedOut);
  assert.ok(client.stats().retries >= 1);
  await client.shutdown(0);
});

test("a 4xx batch is dropped and counted by code; 207 refusals are counted per code and not re-sent", async () => {
  let n = 0;
  const server = await fakeServer((req) => {
    n++;
    if (n === 1) return { status: 400, body: { code: "malformed_json" } };
    if (n === 2) {
      const batch = req.body.batch;
      return {
        status: 207,
        body: {
          accepted: batch.length - 2,
          rejected: 2,
          results: batch.map((e, i) =>
            i < 2 ? { index: i, id: e.id, status: "rejected", code: "invalid_value", path: "$.x" } : { index: i, id: e.id, status: "accepted" },
          ),
        },
      };
    }
    return undefined;
  });
  const client = new AgentOps(options(server.url, { flushIntervalMs: 60_000, batchMaxEvents: 3 }));
  const run = client.startRun("refused");
  run.log("1");
  run.log("2");
  await client.flush(5000); // first batch of 3: 400
  run.log("3");
  run.log("4");
  run.log("5");
  await client.flush(5000); // 207: two refused
  const s = client.stats();
  assert.equal(s.droppedRejected, 5);
  assert.deepEqual(s.rejectedByCode, { malformed_json: 3, invalid_value: 2 });
  assert.equal(s.sent, 1);
  assert.equal(s.retries, 0);
  assert.equal(server.ingests().length, 2);
  await client.shutdown(0);
  await server.close();
});

test("413 splits the batch", async () => {
  const server = await fakeServer((req) => (req.body.batch.length > 2 ? { status: 413, body: { code: "payload_too_large" } } : undefined));
  const client = new AgentOps(options(server.url, { flushIntervalMs: 60_000 }));
  const run = client.startRun("split");
  for (let i = 0; i < 6; i++) run.log(`${i}`);
  assert.equal((await client.flush(5000)).unsent, 0);
  assert.equal(client.stats().sent, 7);
  assert.equal(new Set(server.events().filter((e) => e.type === "log").map((e) => e.id)).size, 6);
  await client.shutdown(0);
  await server.close();
});

test("a full queue drops the newest events and counts them", async () => {
  const server = await fakeServer(() => "hang");
  const client = new AgentOps(options(server.url, { maxQueueEvents: 5, flushIntervalMs: 60_000 }));
  const run = client.startRun("full");
  const ids = [];
  for (let i = 0; i < 7; i++) ids.push(run.log(`${i}`));
  assert.deepEqual(ids.map((id) => id !== undefined), [true, true, true, true, false, false, false]);
  const s = client.stats();
  assert.equal(s.droppedQueueFull, 3);
  assert.equal(s.queued, 5);
  await client.shutdown(0);
  await server.close();
});

test("flush returns within its timeout when the server never answers, and aborts the request", async () => {
  const server = await fakeServer(() => "hang");
  const client = new AgentOps(options(server.url, { flushIntervalMs: 60_000 }));
  const run = client.startRun("hang");
  for (let i = 0; i < 9; i++) run.log(`${i}`);
  const started = performance.now();
  const result = await client.flush(300);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 450, `flush took ${elapsed} ms`);
  assert.equal(result.unsent, 10);
  assert.ok(result.timedOut);
  // The same holds in sync mode.
  const sync = new AgentOps(options(server.url, { sync: true }));
  const r2 = sync.startRun("hang sync");
  const t0 = performance.now();
  await r2.end("succeeded", { flushTimeoutMs: 300 });
  assert.ok(performance.now() - t0 < 450);
  assert.equal(sync.stats().queued, 2);
  await client.shutdown(0);
  await sync.shutdown(0);
  await server.close();
});

test("sync mode sends nothing in the background and everything when the run ends", async () => {
  const server = await fakeServer();
  const client = new AgentOps(options(server.url, { sync: true, flushIntervalMs: 10 }));
  const run = client.startRun("serverless");
  run.llmCall({ model: "gpt-4o", provider: "openai", tokensIn: 10, tokensOut: 5, latencyMs: 120 });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(server.ingests().length, 0, "no background sender");
  await run.end("succeeded");
  assert.equal(server.events().length, 3, "sent before end() resolved");
  assert.equal(client.stats().queued, 0);
  await client.shutdown(0);
  await server.close();
});

test("a paused agent: events dropped and counted, isPaused, onPaused once, typed errors", async () => {
  const server = await fakeServer((req) => {
    if (req.url === "/api/v1/ingest") {
      return {
        status: 207,
        body: {
          accepted: 0,
          rejected: req.body.batch.length,
          results: req.body.batch.map((e, i) => ({ index: i, id: e.id, status: "rejected", code: "agent_paused" })),
        },
      };
    }
    if (req.url === "/api/v1/policy/check") return { status: 200, body: { decision: "block", reason: "agent_paused", matched: [] } };
  });
  const paused = [];
  const client = new AgentOps(options(server.url, { flushIntervalMs: 60_000, onPaused: (a) => paused.push(a) }));
  const run = client.startRun("paused");
  run.log("refused");
  await client.flush(5000);
  assert.ok(client.isPaused());
  assert.ok(client.isPaused("unit-agent"));
  assert.ok(!client.isPaused("another"));
  assert.deepEqual(paused, ["unit-agent"]);
  for (let i = 0; i < 4; i++) assert.equal(run.log("dropped"), undefined);
  await run.end("cancelled");
  await client.flush(5000);
  const s = client.stats();
  assert.equal(s.droppedPaused, 5);
  assert.equal(s.rejectedByCode.agent_paused, 2);
  assert.equal(server.ingests().length, 1);
  await assert.rejects(client.checkPolicy({ type: "refund" }, { run }), AgentPausedError);
  assert.deepEqual(paused, ["unit-agent"], "onPaused ran once");
  // Strict mode raises from record calls too.
  const strict = new AgentOps(options(server.url, { strict: true, flushIntervalMs: 60_000 }));
  const r2 = strict.startRun("strict");
  await strict.flush(5000);
  assert.throws(() => r2.log("x"), AgentPausedError);
  await client.shutdown(0);
  await strict.shutdown(0);
  await server.close();
});

test("a policy check that is not agent_paused clears the paused state", async () => {
  let pausedAnswer = true;
  const server = await fakeServer((req) => {
    if (req.url === "/api/v1/policy/check") {
      return pausedAnswer
        ? { status: 200, body: { decision: "block", reason: "agent_paused" } }
        : { status: 200, body: { decision: "allow", reason: "no_rule_matched", matched: [], policy: null, approval: null, check_id: "c1" } };
    }
  });
  const client = new AgentOps(options(server.url, { flushIntervalMs: 60_000 }));
  const run = client.startRun("resume");
  await assert.rejects(client.checkPolicy({ type: "x" }, { run }), AgentPausedError);
  assert.ok(client.isPaused());
  pausedAnswer = false;
  const d = await client.checkPolicy({ type: "x" }, { run });
  assert.equal(d.decision, "allow");
  assert.equal(d.checkId, "c1");
  assert.ok(!client.isPaused());
  await client.shutdown(0);
  await server.close();
});

test("recording never touches the network on the caller's path and never throws by default", async () => {
  let calls = 0;
  const client = new AgentOps({
    apiKey: "k",
    baseUrl: "http://127.0.0.1:1",
    agent: "a",
    logger: () => {},
    flushOnExit: false,
    fetch: async () => {
      calls++;
      throw new Error("down");
    },
  });
  const run = client.startRun("r");
  const cyclic = {};
  cyclic.self = cyclic;
  run.llmCall({ model: "m", input: cyclic, output: 10n });
  run.llmCall(undefined);
  run.toolCall({});
  client.log("outside any run");
  assert.equal(calls, 0);
  assert.equal(client.stats().droppedInvalid, 3);
  await client.shutdown(0);
  // An unconfigured client is a no-op.
  const none = new AgentOps({ logger: () => {}, flushOnExit: false, apiKey: "" });
  none.startRun("nothing").log("x");
  assert.equal((await none.flush(100)).unsent, 0);
});

test("an event JSON cannot hold is still sent, with the value replaced by a note", async () => {
  const server = await fakeServer();
  const client = new AgentOps(options(server.url, { flushIntervalMs: 60_000 }));
  const run = client.startRun("odd values");
  const cyclic = {};
  cyclic.self = cyclic;
  run.llmCall({ model: "m", input: cyclic, output: 10n });
  await client.flush(5000);
  const llm = server.events().find((e) => e.type === "llm.call");
  assert.match(llm.input, /unserializable/);
  assert.match(llm.output, /unserializable/);
  await client.shutdown(0);
  await server.close();
});

test("a paused agent is probed again after the probe interval and resumes when its events are accepted", async () => {
  let paused = true;
  const server = await fakeServer((req) => {
    if (req.url !== "/api/v1/ingest" || !paused) return undefined;
    return {
      status: 207,
      body: { accepted: 0, rejected: req.body.batch.length, results: req.body.batch.map((e, i) => ({ index: i, id: e.id, status: "rejected", code: "agent_paused" })) },
    };
  });
  const calls = [];
  const client = new AgentOps(options(server.url, { flushIntervalMs: 60_000, pausedProbeIntervalMs: 300, onPaused: (a) => calls.push(a) }));
  const run = client.startRun("probe");
  await client.flush(5000);
  assert.ok(client.isPaused());
  assert.equal(run.log("dropped"), undefined);
  await new Promise((r) => setTimeout(r, 350));
  assert.ok(run.log("probe 1"), "the first event after the interval is a probe");
  assert.equal(run.log("dropped too"), undefined, "one probe per interval");
  await client.flush(5000);
  assert.equal(server.ingests().length, 2, "the probe was sent");
  assert.ok(client.isPaused(), "still paused: the probe was refused");
  paused = false;
  await new Promise((r) => setTimeout(r, 350));
  assert.ok(run.log("probe 2"));
  await client.flush(5000);
  assert.ok(!client.isPaused(), "resumed: the probe was accepted");
  assert.ok(run.log("sent again"));
  await client.flush(5000);
  assert.equal(server.events().filter((e) => e.name === "sent again").length, 1);
  assert.deepEqual(calls, ["unit-agent"]);
  assert.equal(client.stats().droppedPaused, 2);
  await client.shutdown(0);
  await server.close();
});

test("events queued before the pause was known are dropped, not sent", async () => {
  let first = true;
  const server = await fakeServer((req) => {
    if (req.url !== "/api/v1/ingest") return undefined;
    if (!first) return undefined;
    first = false;
    return { status: 207, body: { accepted: 0, rejected: 1, results: [{ index: 0, id: req.body.batch[0].id, status: "rejected", code: "agent_paused" }] } };
  });
  const client = new AgentOps(options(server.url, { flushIntervalMs: 60_000, batchMaxEvents: 1 }));
  const run = client.startRun("queued");
  run.log("a");
  run.log("b");
  await client.flush(5000);
  assert.equal(server.ingests().length, 1);
  assert.equal(client.stats().droppedPaused, 2);
  assert.equal(client.stats().queued, 0);
  await client.shutdown(0);
  await server.close();
});

test("strict mode raises configuration and validation errors; the default logs them once", async () => {
  const { ConfigurationError, ValidationError } = await import("../dist/esm/index.js");
  assert.throws(() => new AgentOps({ strict: true, apiKey: "", agent: "a", flushOnExit: false, logger: () => {} }), ConfigurationError);
  assert.throws(() => new AgentOps({ strict: true, apiKey: "k", agent: "a", baseUrl: "ftp://x", flushOnExit: false, logger: () => {} }), ConfigurationError);
  const strict = new AgentOps({ strict: true, apiKey: "k", agent: "a", baseUrl: "http://127.0.0.1:1", flushOnExit: false, logger: () => {} });
  assert.throws(() => strict.llmCall({ parent: strict.startRun("r") }), ValidationError);
  assert.throws(() => strict.log("no run"), ValidationError);
  await strict.shutdown(0);
  const warnings = [];
  const lenient = new AgentOps({ apiKey: "k", agent: "a", baseUrl: "http://127.0.0.1:1", flushOnExit: false, logger: (level, m) => warnings.push(m) });
  for (let i = 0; i < 3; i++) lenient.log("no run");
  assert.equal(warnings.filter((w) => w.includes("outside any run")).length, 1);
  await lenient.shutdown(0);
});

test("drops are warned about at most once a minute", async () => {
  const server = await fakeServer(() => "hang");
  const warnings = [];
  const client = new AgentOps(options(server.url, { maxQueueEvents: 3, flushIntervalMs: 60_000, logger: (level, m) => level === "warn" && warnings.push(m) }));
  const run = client.startRun("drops");
  for (let i = 0; i < 100; i++) run.log(`${i}`);
  assert.equal(client.stats().droppedQueueFull, 98);
  assert.equal(warnings.filter((w) => w.includes("dropped")).length, 1, warnings.join("\n"));
  await client.shutdown(0);
  await server.close();
});
