// wrapOpenAI with the real `openai` package, pointed at an in-process server speaking the chat completions and
// responses wire formats (JSON and SSE).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import OpenAI from "openai";
import { AgentOps, wrapOpenAI } from "../dist/esm/index.js";
import { fakeServer, options } from "./helpers.mjs";

const usage = { prompt_tokens: 120, completion_tokens: 7, total_tokens: 127, prompt_tokens_details: { cached_tokens: 100 } };

async function fakeOpenAI() {
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", async () => {
      const body = JSON.parse(raw || "{}");
      if (req.url === "/v1/chat/completions" && !body.stream) {
        res.writeHead(200, { "content-type": "application/json", "x-request-id": "req_1" });
        res.end(JSON.stringify({
          id: "chatcmpl-1", object: "chat.completion", created: 1, model: "gpt-4o-mini-2024-07-18",
          choices: [{ index: 0, message: { role: "assistant", content: "Hello there" }, finish_reason: "stop" }],
          usage,
        }));
        return;
      }
      if (req.url === "/v1/chat/completions") {
        res.writeHead(200, { "content-type": "text/event-stream" });
        const chunk = (delta, extra = {}) => ({ id: "chatcmpl-2", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini-2024-07-18", choices: delta === null ? [] : [{ index: 0, delta, finish_reason: null }], ...extra });
        const parts = [chunk({ role: "assistant", content: "" }), chunk({ content: "Hel" }), chunk({ content: "lo" }), chunk({ content: "!" })];
        for (const p of parts) {
          res.write(`data: ${JSON.stringify(p)}\n\n`);
          await new Promise((r) => setTimeout(r, 20));
        }
        if (body.stream_options?.include_usage) res.write(`data: ${JSON.stringify(chunk(null, { usage }))}\n\n`);
        res.write("data: [DONE]\n\n");
        res.end();
        return;
      }
      if (req.url === "/v1/responses" && body.stream) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        const response = { id: "resp_2", object: "response", created_at: 1, model: "gpt-4.1-2025-04-14", status: "in_progress", output: [] };
        const events = [
          { type: "response.created", sequence_number: 0, response },
          { type: "response.output_text.delta", sequence_number: 1, item_id: "m1", output_index: 0, content_index: 0, delta: "Str" },
          { type: "response.output_text.delta", sequence_number: 2, item_id: "m1", output_index: 0, content_index: 0, delta: "eamed" },
          { type: "response.completed", sequence_number: 3, response: { ...response, status: "completed", usage: { input_tokens: 40, output_tokens: 2, total_tokens: 42, input_tokens_details: { cached_tokens: 8 }, output_tokens_details: { reasoning_tokens: 0 } } } },
        ];
        for (const e of events) {
          res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
          await new Promise((r) => setTimeout(r, 10));
        }
        res.end();
        return;
      }
      if (req.url === "/v1/responses") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({
          id: "resp_1", object: "response", created_at: 1, model: "gpt-4.1-2025-04-14", status: "completed",
          output: [{ type: "message", id: "m1", role: "assistant", status: "completed", content: [{ type: "output_text", text: "Done", annotations: [] }] }],
          usage: { input_tokens: 50, output_tokens: 3, total_tokens: 53, input_tokens_details: { cached_tokens: 20 }, output_tokens_details: { reasoning_tokens: 0 } },
        }));
        return;
      }
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "no such route" } }));
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  server.unref();
  return { url: `http://127.0.0.1:${server.address().port}/v1`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

async function setup() {
  const ingest = await fakeServer();
  const llm = await fakeOpenAI();
  const client = new AgentOps(options(ingest.url, { flushIntervalMs: 60_000 }));
  const openai = wrapOpenAI(new OpenAI({ apiKey: "sk-test", baseURL: llm.url, maxRetries: 0 }), { client, cost: (u) => (u.tokensIn ?? 0) / 1e6 });
  return {
    client,
    openai,
    llmEvents: async () => {
      await client.flush(5000);
      return ingest.events().filter((e) => e.type === "llm.call");
    },
    close: async () => {
      await client.shutdown(0);
      await ingest.close();
      await llm.close();
    },
  };
}

test("a JSON chat completion is recorded with model, tokens (cached included), latency and cost; withResponse still works", async () => {
  const t = await setup();
  await t.client.withRun("openai json", async () => {
    await t.client.withSpan("answer", async () => {
      const completion = await t.openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] });
      assert.equal(completion.choices[0].message.content, "Hello there");
    });
    const { data, response } = await t.openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Again" }] }).withResponse();
    assert.equal(data.choices[0].message.content, "Hello there");
    assert.equal(response.headers.get("x-request-id"), "req_1");
  });
  const events = await t.llmEvents();
  assert.equal(events.length, 2);
  const e = events[0];
  assert.equal(e.model, "gpt-4o-mini-2024-07-18");
  assert.equal(e.provider, "openai");
  assert.deepEqual([e.tokens_in, e.tokens_out, e.tokens_cached], [120, 7, 100]);
  assert.equal(e.cost_usd, 120 / 1e6);
  assert.ok(e.latency_ms >= 0);
  assert.ok(e.parent_id, "under the ambient span");
  assert.deepEqual(e.input, [{ role: "user", content: "Hi" }]);
  assert.equal(e.output, "Hello there");
  assert.equal(e.metadata["gen_ai.request.model"], "gpt-4o-mini");
  assert.equal(e.metadata["gen_ai.response.model"], "gpt-4o-mini-2024-07-18");
  assert.equal(e.metadata["gen_ai.usage.cache_read.input_tokens"], 100);
  assert.equal(events[1].parent_id, undefined, "directly in the run");
  await t.close();
});

test("a streamed completion records usage and time to first token at its end", async () => {
  const t = await setup();
  let text = "";
  await t.client.withRun("openai stream", async () => {
    const stream = await t.openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], stream: true, stream_options: { include_usage: true } });
    assert.ok(stream.controller instanceof AbortController, "the Stream keeps its controller");
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  });
  assert.equal(text, "Hello!");
  const [e] = await t.llmEvents();
  assert.deepEqual([e.tokens_in, e.tokens_out, e.tokens_cached], [120, 7, 100]);
  assert.equal(e.output, "Hello!");
  assert.equal(e.metadata["agentops.stream"], true);
  const ttft = e.metadata["gen_ai.response.time_to_first_chunk"];
  assert.ok(ttft > 0 && ttft * 1000 <= e.latency_ms + 1, `ttft ${ttft}s, latency ${e.latency_ms}ms`);
  assert.ok(e.latency_ms >= 60, "latency covers the whole stream");
  await t.close();
});

test("a stream the consumer leaves early is still recorded once", async () => {
  const t = await setup();
  await t.client.withRun("openai break", async () => {
    const stream = await t.openai.chat.completions.create({ model: "gpt-4o-mini", messages: [], stream: true });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) break;
    }
  });
  const events = await t.llmEvents();
  assert.equal(events.length, 1);
  assert.equal(events[0].model, "gpt-4o-mini-2024-07-18");
  assert.equal(events[0].tokens_in, undefined, "no usage was seen");
  await t.close();
});

test("tee() and toReadableStream() of a wrapped stream keep working", async () => {
  const t = await setup();
  await t.client.withRun("openai tee", async () => {
    const stream = await t.openai.chat.completions.create({ model: "gpt-4o-mini", messages: [], stream: true, stream_options: { include_usage: true } });
    const [a, b] = stream.tee();
    let ta = "";
    let tb = "";
    for await (const c of a) ta += c.choices[0]?.delta?.content ?? "";
    for await (const c of b) tb += c.choices[0]?.delta?.content ?? "";
    assert.equal(ta, "Hello!");
    assert.equal(tb, "Hello!");
    const s2 = await t.openai.chat.completions.create({ model: "gpt-4o-mini", messages: [], stream: true });
    const reader = s2.toReadableStream().getReader();
    let chunks = 0;
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
      chunks++;
    }
    assert.ok(chunks >= 4);
  });
  const events = await t.llmEvents();
  assert.equal(events.length, 2);
  assert.equal(events[0].tokens_out, 7);
  await t.close();
});

test("responses.create is recorded too, and a failed call is recorded with its error", async () => {
  const t = await setup();
  await t.client.withRun("openai responses", async () => {
    const r = await t.openai.responses.create({ model: "gpt-4.1", input: "Do it" });
    assert.equal(r.output_text, "Done");
    await assert.rejects(t.openai.embeddings.create({ model: "x", input: "y" }));
    const bad = wrapOpenAI(new OpenAI({ apiKey: "sk", baseURL: t.openai.baseURL.replace("/v1", "/nope"), maxRetries: 0 }), { client: t.client });
    await assert.rejects(bad.chat.completions.create({ model: "gpt-4o", messages: [] }));
  });
  const events = await t.llmEvents();
  assert.equal(events.length, 2);
  const r = events.find((e) => e.model === "gpt-4.1-2025-04-14");
  assert.deepEqual([r.tokens_in, r.tokens_out, r.tokens_cached], [50, 3, 20]);
  assert.equal(r.output, "Done");
  const failed = events.find((e) => e.model === "gpt-4o");
  assert.ok(failed.error);
  await t.close();
});

test("a streamed responses.create is recorded with its usage at the end", async () => {
  const t = await setup();
  let text = "";
  await t.client.withRun("responses stream", async () => {
    const stream = await t.openai.responses.create({ model: "gpt-4.1", input: "Go", stream: true });
    for await (const event of stream) if (event.type === "response.output_text.delta") text += event.delta;
  });
  assert.equal(text, "Streamed");
  const [e] = await t.llmEvents();
  assert.equal(e.model, "gpt-4.1-2025-04-14");
  assert.deepEqual([e.tokens_in, e.tokens_out, e.tokens_cached], [40, 2, 8]);
  assert.equal(e.output, "Streamed");
  assert.ok(e.metadata["gen_ai.response.time_to_first_chunk"] > 0);
  await t.close();
});
