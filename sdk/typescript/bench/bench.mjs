// The SDK's benchmark: prints ONE JSON line (see bench.sh).
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { AgentOps } from "../dist/esm/index.js";

const quick = process.argv.includes("--quick");
/** Calls measured on the hot path, after WARMUP_CALLS unmeasured ones. */
const MEASURED_CALLS = 200_000;
const WARMUP_CALLS = 50_000;
/** The hot path's target p99, in microseconds. */
const TARGET_P99_US = 50;
/** The server-down phase: how long, and how many events per second are recorded meanwhile. */
const SERVER_DOWN_SECONDS = quick ? 10 : 60;
const SERVER_DOWN_RATE = 1000;
/** Events sent through one SDK process to the test server for the throughput figure. */
const THROUGHPUT_EVENTS = quick ? 6_000 : 12_000;

function cpuTimes() {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return { total: line.reduce((a, b) => a + b, 0), steal: line[7] ?? 0 };
  } catch {
    return undefined;
  }
}

const tick = () => new Promise((r) => setImmediate(r));
const quiet = () => {};
const cpuStart = cpuTimes();

// ---- 1. the hot path: recording an LLM call, with a sender that answers at once (no network)
async function hotPath() {

  const client = new AgentOps({ apiKey: "k", agent: "bench", baseUrl: "http://127.0.0.1:1", fetch: async () => new Response("{}", { status: 202 }), logger: quiet, flushOnExit: false, maxQueueEvents: 50_000 });
  // Recorded as an agent does: inside withRun / withSpan, the parent found through AsyncLocalStorage.
  const record = (i) =>
    client.llmCall({
      model: "gpt-4o-mini",
      provider: "openai",
      tokensIn: 1200 + (i & 15),
      tokensOut: 300,
      tokensCached: 200,
      latencyMs: 850,
      timeToFirstTokenMs: 120,
      input: "What is the status of order 42?",
      output: "It shipped yesterday.",
    });
  return client.withRun("bench", () => client.withSpan("hot path", () => measure(client, record)));
}

async function measure(client, record) {
  for (let i = 0; i < WARMUP_CALLS; i++) {
    record(i);
    if (i % 5000 === 0) await client.flush(1000);
  }
  await client.flush(5000);
  const samples = new Float64Array(MEASURED_CALLS);
  const chunk = 10_000;
  for (let start = 0; start < MEASURED_CALLS; start += chunk) {
    for (let i = start; i < start + chunk; i++) {
      const t0 = process.hrtime.bigint();
      record(i);
      samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
    }
    await client.flush(5000); // the sender runs between chunks, as it would between an agent's calls
    await tick();
  }
  samples.sort();
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  await client.shutdown(0);
  return { p50: at(0.5), p99: at(0.99) };
}

// ---- 2. throughput to the real server: events acknowledged per second through one SDK process
async function throughput() {
  const url = process.env.AGENTOPS_SDK_TEST_URL;
  const key = process.env.AGENTOPS_SDK_TEST_API_KEY;
  if (!url || !key) return null;
  const client = new AgentOps({ apiKey: key, baseUrl: url, agent: `bench-typescript-${process.pid}`, logger: quiet, flushOnExit: false, maxQueueEvents: THROUGHPUT_EVENTS + 10 });
  const started = performance.now();
  const run = client.startRun("sdk throughput");
  for (let i = 0; i < THROUGHPUT_EVENTS - 2; i++) {
    run.toolCall({ name: "search", input: { q: `query ${i}` }, output: { hits: i % 7 }, latencyMs: 12 });
    if (i % 500 === 0) await tick();
  }
  await run.end("succeeded");
  const result = await client.flush(120_000);
  const seconds = (performance.now() - started) / 1000;
  const s = client.stats();
  await client.shutdown(0);
  return { eventsPerS: s.sent / seconds, unsent: result.unsent, retries: s.retries };
}

// ---- 3. the server is down: recording goes on at SERVER_DOWN_RATE; the queue stays bounded, so does memory
async function closedPort() {
  return await new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function serverDown() {
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const client = new AgentOps({ apiKey: "k", agent: "bench-down", baseUrl: `http://127.0.0.1:${await closedPort()}`, logger: quiet, flushOnExit: false });
  const run = client.startRun("server down");
  const started = performance.now();
  let recorded = 0;
  while (performance.now() - started < SERVER_DOWN_SECONDS * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * SERVER_DOWN_RATE);
    for (; recorded < due; recorded++) {
      run.llmCall({ model: "gpt-4o-mini", provider: "openai", tokensIn: 1000, tokensOut: 200, latencyMs: 700, input: "a prompt of a realistic length ".repeat(8), output: "an answer ".repeat(10) });
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  globalThis.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  const s = client.stats();
  await client.shutdown(0);
  return { queued: s.queued, dropped: s.droppedQueueFull, heapMb: (heapAfter - heapBefore) / (1024 * 1024), maxQueue: client.options.maxQueueEvents };
}

const hot = await hotPath();
const tp = await throughput();
const down = await serverDown();
const cpuEnd = cpuTimes();
const steal = cpuStart && cpuEnd && cpuEnd.total > cpuStart.total ? ((cpuEnd.steal - cpuStart.steal) / (cpuEnd.total - cpuStart.total)) * 100 : null;
const round = (x, d = 2) => (x === null || x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d);
console.log(
  JSON.stringify({
    language: "typescript",
    record_llm_call_p50_us: round(hot.p50),
    record_llm_call_p99_us: round(hot.p99),
    target_p99_us: TARGET_P99_US,
    ratio_to_target: round(hot.p99 / TARGET_P99_US, 3),
    events_per_s: tp ? round(tp.eventsPerS, 0) : null,
    server_down_seconds: SERVER_DOWN_SECONDS,
    server_down_rate: SERVER_DOWN_RATE,
    server_down_queue_events: down.queued,
    server_down_dropped: down.dropped,
    server_down_heap_mb: round(down.heapMb),
    max_queue_events: down.maxQueue,
    cpu_steal_percent: round(steal),
  }),
);
process.exit(0);
