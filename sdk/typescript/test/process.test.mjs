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
