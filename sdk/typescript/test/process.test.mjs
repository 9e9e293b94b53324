// What a process sees: the package loads through its ESM and CommonJS entry points, the background timer never keeps
// a process alive, and what is queued is flushed at exit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fakeServer } from "./helpers.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function runNode(args, env = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => resolve({ code, out, ms: performance.now() - started }));
  });
}

test("the package's ESM (import) and CommonJS (require) entry points both load, with the same surface", async () => {
  const esm = await import("@agentops/sdk");
  const cjs = createRequire(import.meta.url)("@agentops/sdk");
  for (const name of ["AgentOps", "init", "getClient", "traced", "wrapOpenAI", "AgentPausedError", "PolicyDecision"]) {
    assert.equal(typeof esm[name], "function", `esm ${name}`);
    assert.equal(typeof cjs[name], "function", `cjs ${name}`);
  }
  assert.notEqual(esm.AgentOps, cjs.AgentOps, "two builds");
  const r = await runNode(["-e", "const { AgentOps } = require('@agentops/sdk'); const c = new AgentOps({apiKey:'k', agent:'a', baseUrl:'http://127.0.0.1:1', logger(){}}); console.log(c.hasAsyncContext)"]);
  assert.equal(r.out.trim(), "true", r.out);
});

test("the timer never keeps the process alive, and queued events are flushed at exit", async () => {
  const server = await fakeServer();
  const script = `import { AgentOps } from '@agentops/sdk';
    const c = new AgentOps({ logger() {} });
    c.startRun('exit').log('last words');`;
  const r = await runNode(["--input-type=module", "-e", script], { AGENTOPS_URL: server.url, AGENTOPS_API_KEY: "k", AGENTOPS_AGENT: "exiting" });
  assert.equal(r.code, 0, r.out);
  assert.equal(server.events().length, 2, "flushed at beforeExit");
  assert.equal(server.events()[0].agent, "exiting", "configured from the environment");
  await server.close();
  // Nothing queued: the process exits at once although the client's interval timer runs.
  const idle = await runNode(["--input-type=module", "-e", "import { AgentOps } from '@agentops/sdk'; new AgentOps({ apiKey: 'k', agent: 'a', baseUrl: 'http://127.0.0.1:1', logger() {} });"]);
  assert.equal(idle.code, 0);
  assert.ok(idle.ms < 1500, `${idle.ms} ms`);
});

test("with the server down the exit flush gives up after 2 s", async () => {
  const server = await fakeServer(() => "hang");
  const script = `import { AgentOps } from '@agentops/sdk';
    const c = new AgentOps({ logger() {} });
    c.startRun('exit').log('never acknowledged');`;
  const r = await runNode(["--input-type=module", "-e", script], { AGENTOPS_URL: server.url, AGENTOPS_API_KEY: "k", AGENTOPS_AGENT: "a" });
  assert.equal(r.code, 0, r.out);
  assert.ok(r.ms >= 1900 && r.ms < 4500, `${r.ms} ms`);
  await server.close();
});

test("without process.getBuiltinModule (Node 18 ESM): context after a guarded dynamic import, gzip by CompressionStream", async () => {
  const server = await fakeServer();
  const script = `process.getBuiltinModule = undefined;
    const { AgentOps } = await import('@agentops/sdk');
    const c = new AgentOps({ logger() {}, flushIntervalMs: 60000 });
    const before = c.hasAsyncContext;
    await new Promise((r) => setTimeout(r, 20));
    await c.withRun('late context', async () => {
      await Promise.all([1, 2].map((k) => c.withSpan('task-' + k, async () => { await new Promise((r) => setTimeout(r, 5)); c.log('t' + k + '-' + 'x'.repeat(600)); })));
    });
    const r = await c.flush(5000);
    console.log(JSON.stringify({ before, after: c.hasAsyncContext, unsent: r.unsent }));`;
  const r = await runNode(["--input-type=module", "-e", script], { AGENTOPS_URL: server.url, AGENTOPS_API_KEY: "k", AGENTOPS_AGENT: "a" });
  assert.equal(r.code, 0, r.out);
  assert.deepEqual(JSON.parse(r.out.trim().split("\n").at(-1)), { before: false, after: true, unsent: 0 });
  const ingest = server.ingests()[0];
  assert.ok(ingest.gzipped, "compressed without node:zlib");
  const events = server.events();
  const byId = new Map(events.map((e) => [e.id, e]));
  for (const k of [1, 2]) assert.equal(byId.get(events.find((e) => e.name?.startsWith(`t${k}-`)).parent_id).name, `task-${k}`);
  await server.close();
});

test("without AsyncLocalStorage: explicit handles, and the synchronous part of a callback sees its run", async () => {
  const server = await fakeServer();
  // Without process.versions.node the SDK takes the runtime for one without Node's modules (fetch is loaded first:
  // Node's own fetch reads process.versions when it first loads).
  const script = `const nodeFetch = globalThis.fetch; await nodeFetch('data:,').catch(() => {});
    process.getBuiltinModule = undefined;
    Object.defineProperty(process, 'versions', { value: {} });
    const { AgentOps } = await import('@agentops/sdk');
    const c = new AgentOps({ logger() {}, flushIntervalMs: 60000, fetch: nodeFetch });
    await c.withRun('sync slot', async (run) => {
      c.log('sync part');
      const span = run.startSpan('explicit');
      await new Promise((r) => setTimeout(r, 5));
      span.log('in span');
      span.end();
    });
    const r = await c.flush(5000);
    console.log(JSON.stringify({ async: c.hasAsyncContext, unsent: r.unsent }));`;
  const r = await runNode(["--input-type=module", "-e", script], { AGENTOPS_URL: server.url, AGENTOPS_API_KEY: "k", AGENTOPS_AGENT: "a" });
  assert.equal(r.code, 0, r.out);
  assert.deepEqual(JSON.parse(r.out.trim().split("\n").at(-1)), { async: false, unsent: 0 });
  const events = server.events();
  const span = events.find((e) => e.name === "explicit");
  assert.equal(events.find((e) => e.name === "in span").parent_id, span.id);
  assert.equal(events.find((e) => e.name === "sync part").run_id, span.run_id);
  await server.close();
});
