// OpenTelemetry without the AgentOps SDK: the official OTLP/HTTP exporter sends a GenAI span to the server's OTLP
// endpoint with the API key, and the span arrives as an llm.call (read back through the API).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";

const missing = ["AGENTOPS_SDK_TEST_URL", "AGENTOPS_SDK_TEST_API_KEY"].find((v) => !process.env[v]);

test("integration: an OTLP/HTTP export of a GenAI span arrives as an llm.call", { skip: missing ? `${missing} is not set` : false, timeout: 60_000 }, async () => {
  const base = process.env.AGENTOPS_SDK_TEST_URL.replace(/\/+$/, "");
  const key = process.env.AGENTOPS_SDK_TEST_API_KEY;
  const agent = `conf-typescript-otel-${randomBytes(4).toString("hex")}`;
  const exporter = new OTLPTraceExporter({ url: `${base}/api/v1/otlp/v1/traces`, headers: { Authorization: `Bearer ${key}` } });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": agent, "deployment.environment.name": "test" }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer("agentops-sdk-typescript-test");
  const root = tracer.startSpan("otel agent run");
  const traceId = root.spanContext().traceId;
  const { trace, context } = await import("@opentelemetry/api");
  const ctx = trace.setSpan(context.active(), root);
  const llm = tracer.startSpan("chat gpt-4o-mini", {
    attributes: {
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.response.model": "gpt-4o-mini",
      "gen_ai.usage.input_tokens": 321,
      "gen_ai.usage.output_tokens": 12,
      "gen_ai.usage.cache_read.input_tokens": 300,
    },
  }, ctx);
  llm.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();

  let events = [];
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const r = await fetch(`${base}/api/v1/events/${traceId}?limit=1000`, { headers: { authorization: `Bearer ${key}` } });
    if (r.status === 200) {
      events = (await r.json()).items;
      if (events.some((e) => e.type === "llm.call")) break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const call = events.find((e) => e.type === "llm.call");
  assert.ok(call, `no llm.call among ${JSON.stringify(events.map((e) => e.type))}`);
  assert.equal(call.model, "gpt-4o-mini");
  assert.equal(call.provider, "openai");
  assert.deepEqual([call.tokens_in, call.tokens_out, call.tokens_cached], [321, 12, 300]);
  assert.equal(call.parent_id, `${traceId}-${root.spanContext().spanId}`);
  const run = await (await fetch(`${base}/api/v1/runs/${traceId}`, { headers: { authorization: `Bearer ${key}` } })).json();
  const stored = run.run ?? run;
  assert.equal(stored.agent_name, agent, "the agent is the resource's service.name");
  assert.equal(stored.llm_calls, 1);
  assert.equal(stored.tokens_cached, 300);
});
